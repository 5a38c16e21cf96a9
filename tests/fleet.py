"""What the fleet-tooling tests share: a project generated at the release under test."""

from __future__ import annotations

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
