"""Git as the tests use it: output returned, failures raised, one identity, no hooks."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def commit_all(repository: Path, message: str) -> None:
    """Commit everything in the working tree (an empty commit when nothing changed)."""
    git("add", "--all", cwd=repository)
    git(
        "-c", "user.name=groundwork tests", "-c", "user.email=tests@groundwork.invalid",
        "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message,
        cwd=repository,
    )  # fmt: skip
