"""What the fleet-tooling tests share: a project generated at the release under test."""

from __future__ import annotations

import sys
from pathlib import Path

import copier
import pytest
from conftest import find_tool, init_git
from releases import ReleasedTemplate

GITHUB_WORKFLOW = ".github/workflows/template-update.yml"
GITLAB_JOB = ".gitlab/template-update.yml"


def tool(name: str) -> str:
    """A command of the template's dev environment (check-jsonschema, zizmor)."""
    found = find_tool(name)
    assert found, f"{name} is not installed: uv sync --group dev"
    return found


@pytest.fixture(name="project")
def _project(released_template: ReleasedTemplate, tmp_path: Path) -> Path:
    """The default answers at the release under test, committed."""
    project = tmp_path / "acme-shop"
    copier.run_copy(
        released_template.src, project, defaults=True, vcs_ref=released_template.head, quiet=True
    )
    init_git(project)
    return project


def fake_tools(directory: Path, calls: Path) -> Path:
    """uvx runs this environment's copier; gh and curl record their arguments."""
    directory.mkdir()
    copier_exe = Path(sys.executable).parent / "copier"
    scripts = {
        # `uvx --from SPEC copier ARGS...`
        "uvx": f'#!/bin/sh\nshift 3\nexec "{copier_exe}" "$@"\n',
        "gh": f'#!/bin/sh\nprintf "%s\\0" "gh" "$@" "--end--" >> "{calls}"\n',
        "curl": f'#!/bin/sh\nprintf "%s\\0" "curl" "$@" "--end--" >> "{calls}"\n',
    }
    for name, text in scripts.items():
        (directory / name).write_text(text)
        (directory / name).chmod(0o755)
    return directory


def recorded(calls: Path) -> list[list[str]]:
    if not calls.exists():
        return []
    commands, current = [], []
    for line in calls.read_text().split("\0")[:-1]:
        if line == "--end--":
            commands.append(current)
            current = []
        else:
            current.append(line)
    return commands
