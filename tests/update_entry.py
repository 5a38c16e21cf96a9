"""Drive a generated project's update entry point (scripts/update.py) as a team would.

The script runs in a subprocess with this environment's interpreter (it has Copier and
PyYAML, the script's inline dependencies) and this environment's uv on PATH (it runs
`uv lock`). Its plan comes back through `--report`, written outside the project so that a
refused update leaves the working tree exactly as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import yaml
from conftest import init_git, project_env
from gitrepo import commit_all, git
from releases import ReleasedTemplate

ANSWERS_FILE = ".copier-answers.yml"
REFUSED = 3
MARKER = "groundwork-team-marker"
# Team-owned extension points (copier.yml _skip_if_exists) and how each takes a comment.
EXTENSION_POINTS = (
    ".github/workflows/team.yml",
    ".gitlab/team.yml",
    "deploy/k8s/overlays/dev/team/kustomization.yaml",
    "deploy/k8s/overlays/prod/team/kustomization.yaml",
    "compose.override.yaml",
)


@dataclass(frozen=True)
class Outcome:
    status: int
    output: str
    plan: dict[str, Any]

    @property
    def lost(self) -> list[str]:
        return list(self.plan.get("lost", []))


@dataclass
class TeamProject:
    """A project generated from a tagged template, then edited and updated by its team."""

    template: ReleasedTemplate
    root: Path
    lines: list[tuple[str, str]] = field(default_factory=list)  # (path, line) the team wrote
    edits: int = 0

    @classmethod
    def generate(
        cls, template: ReleasedTemplate, where: Path, answers: dict[str, Any]
    ) -> TeamProject:
        root = where / "project"
        copier.run_copy(
            template.src, root, data=answers, defaults=True, vcs_ref=template.head, quiet=True
        )
        init_git(root)
        return cls(template, root)

    def answers(self) -> dict[str, Any]:
        return yaml.safe_load((self.root / ANSWERS_FILE).read_text())

    def append_line(self, relative: str, what: str) -> str:
        """A comment line only the team wrote, appended to `relative`."""
        self.edits += 1
        line = f"# {MARKER} {what} {self.edits}"
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        path.write_text(text + ("" if text.endswith("\n") else "\n") + line + "\n")
        return line

    def edit_extension_points(self) -> None:
        for relative in EXTENSION_POINTS:
            self.lines.append((relative, self.append_line(relative, "extension")))

    def edit_template_files(self, *relatives: str) -> None:
        """Edit template-owned files: the update is expected to delete (and report) them."""
        for relative in relatives:
            self.append_line(relative, "template-owned")

    def commit(self, message: str) -> None:
        commit_all(self.root, message)

    def lost_lines(self) -> list[tuple[str, str]]:
        lost = []
        for relative, line in self.lines:
            path = self.root / relative
            if not path.is_file() or line not in path.read_text(encoding="utf-8").splitlines():
                lost.append((relative, line))
        return lost

    def head(self) -> str:
        return git("rev-parse", "HEAD", cwd=self.root).strip()

    def update(self, *data: str, allow_deletions: bool = False) -> Outcome:
        """`python scripts/update.py --vcs-ref <head> -d ...` in the project."""
        report = self.root.parent / f"plan-{self.edits}-{len(data)}.json"
        report.unlink(missing_ok=True)
        command = [sys.executable, "scripts/update.py", "--vcs-ref", self.template.head]
        for pair in data:
            command += ["-d", pair]
        command += ["--report", str(report)]
        if allow_deletions:
            command.append("--allow-deletions")
        env = project_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        result = subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, timeout=600
        )
        plan = json.loads(report.read_text()) if report.exists() else {}
        return Outcome(result.returncode, result.stdout + result.stderr, plan)
