"""Raising `python_version` by `copier update` keeps the team's code lint-clean.

Ruff's pyupgrade rules that fire only from a newer target version (UP040, UP043, UP046,
UP047) are ignored in the generated pyproject.toml for every version, so the rule set does not
change with the answer: code that passed at 3.11 passes at 3.13 (the template's choice, over a
message asking the team to run unsafe fixes after the update).
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import copier
import pytest
from conftest import Render, init_git, project_env, run
from gitrepo import commit_all

pytestmark = pytest.mark.update

# Spellings every supported Python accepts, which newer targets' pyupgrade rules rewrite.
TEAM_MODULE = '''"""Type names the team wrote while the project targeted Python 3.11."""

from __future__ import annotations

from collections.abc import Generator
from typing import Generic, TypeAlias, TypeVar

T = TypeVar("T")
ItemIds: TypeAlias = list[str]


class Page(Generic[T]):
    """A page of results."""

    def __init__(self, items: list[T]) -> None:
        self.items = items


def first(items: list[T]) -> T:
    """The first item."""
    return items[0]


def each(ids: ItemIds) -> Generator[str, None, None]:
    """Every id, one by one."""
    yield from ids
'''


def ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The project's own pinned ruff (from its dev group), run offline from the uv cache first."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    (pin,) = [req for req in pyproject["dependency-groups"]["dev"] if req.startswith("ruff==")]
    command = ["uv", "tool", "run", "--from", pin, "ruff", *args]
    offline = subprocess.run(
        command, cwd=project, env=project_env(UV_OFFLINE="1"), capture_output=True, text=True
    )
    if offline.returncode == 0:
        return offline
    return run(command, project)


class TestRaisingPythonVersion:
    """A project generated at 3.11, with team code in 3.11 spellings, stays green at 3.13."""

    def test_team_code_passes_lint_after_the_update(self, render: Render) -> None:
        project = render(python_version="3.11", contexts=["orders"])
        module = project / "contexts" / "orders" / "src" / "orders" / "domain" / "names.py"
        module.write_text(TEAM_MODULE)
        init_git(project)
        ruff(project, "check", ".")

        copier.run_update(
            str(project), data={"python_version": "3.13"}, defaults=True, overwrite=True,
            vcs_ref="HEAD", conflict="inline", quiet=True,
        )  # fmt: skip
        commit_all(project, "Update to Python 3.13")
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        assert pyproject["tool"]["ruff"]["target-version"] == "py313"
        assert module.read_text() == TEAM_MODULE
        ruff(project, "check", ".")
        ruff(project, "format", "--check", ".")
