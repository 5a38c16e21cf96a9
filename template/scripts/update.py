# /// script
# requires-python = ">=3.11"
# dependencies = ["copier>=9.13,<10", "pyyaml>=6"]
# ///
"""Update from the template without losing work silently: the entry point for `copier update`.

`copier update` renders the recorded template version with the recorded answers and the new
version with the new answers, merges the difference into this repository, then deletes every
file that only the old render has: even a file the team edited, even one under `contexts/`.
It exits 0 when it leaves conflicts, and the template cannot see the previous answers. So,
before anything changes, this script reads `.copier-answers.yml`, renders both sides into
temporary folders and:

- lists every file the update will delete that differs from its last render (an edit that
  would be lost), and the team's own files under a context removed from `contexts`;
- when a context is removed, names the contexts that depend on it (their pyproject.toml);
- refuses, changing nothing (exit 3), when anything is listed, unless --allow-deletions.

Then it runs `copier update` (no --trust: the template needs none) and `uv lock`, so that the
lock file matches the updated workspace (the Dockerfile installs with `uv sync --locked`).

    uv run nox -s update                                  # newest release, same answers
    uv run nox -s update -- --vcs-ref 1.2.0
    uv run nox -s update -- -d architecture=hybrid -d 'services=[<context>]'
    uv run nox -s update -- -d 'contexts=[<the contexts you keep>]' --allow-deletions

Exit status: 0 updated, 1 updated but `uv lock` failed (the message says why), 2 the update
could not run (nothing changed), 3 refused (nothing changed).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from copier import run_update
from template_drift import DriftCheckError, read_answers, recorded_data, render

ANSWERS_FILE = ".copier-answers.yml"
REFUSED = 3


@dataclass(frozen=True)
class RemovedContext:
    name: str
    dependents: list[str]  # contexts whose pyproject.toml still depends on it
    leftovers: list[str]  # the team's files Copier leaves behind (it did not render them)


@dataclass(frozen=True)
class Plan:
    """What an update will do that the team must know before it runs."""

    version_from: str
    version_to: str
    lost: list[str]  # files the update deletes although they differ from their last render
    removed: list[RemovedContext] = field(default_factory=list)

    @property
    def at_risk(self) -> list[str]:
        return self.lost + [path for context in self.removed for path in context.leftovers]


class UpdateError(Exception):
    """The update cannot run; the message says why."""


def parse_data(pairs: list[str]) -> dict[str, str]:
    """`-d name=value` as Copier's CLI takes it: Copier parses each value by its question."""
    data: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            msg = f"-d takes name=value, got {pair!r}"
            raise UpdateError(msg)
        data[name] = value
    return data


def git(project: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        msg = f"git {' '.join(args)} failed: {result.stderr.strip()}"
        raise UpdateError(msg)
    return result.stdout


def require_clean(project: Path) -> None:
    # Copier refuses a dirty repository too, but only after rendering; and a clean tree lets
    # the team undo the whole update with `git reset --hard`.
    if git(project, "status", "--porcelain").strip():
        msg = "the working tree has uncommitted changes: commit or stash them first"
        raise UpdateError(msg)


def files_under(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def lost_files(project: Path, old: Path, new: Path, kept: list[str]) -> list[str]:
    """Files only the old render has (Copier deletes them) that the project has changed,
    and every such file of a context that stays: the team's code may import it."""
    kept_folders = tuple(f"contexts/{name}/" for name in kept)
    lost = []
    for relative in sorted(files_under(old) - files_under(new) - {ANSWERS_FILE}):
        current = project / relative
        if current.is_file() and (
            relative.startswith(kept_folders)
            or current.read_bytes() != (old / relative).read_bytes()
        ):
            lost.append(relative)
    return lost


def distribution(requirement: str) -> str:
    """The normalised project name of a PEP 508 requirement string."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def dependents(project: Path, slug: str, removed: str, remaining: list[str]) -> list[str]:
    """The remaining contexts whose pyproject.toml depends on the removed context."""
    wanted = distribution(f"{slug}-{removed}")
    found = []
    for context in remaining:
        pyproject = project / "contexts" / context / "pyproject.toml"
        if not pyproject.is_file():
            continue
        metadata = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if wanted in {distribution(r) for r in metadata.get("dependencies", [])}:
            found.append(context)
    return found


def team_leftovers(project: Path, old: Path, context: str) -> list[str]:
    """Files under contexts/<context>/ the template did not render: Copier keeps them."""
    folder = f"contexts/{context}/"
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard", "-z", folder)
    return sorted(path for path in listed.split("\0") if path and not (old / path).is_file())


def plan_update(project: Path, data: dict[str, str], vcs_ref: str | None) -> Plan:
    """Render the recorded version and the target, and compare them with the project."""
    answers = read_answers(project, ANSWERS_FILE)
    source = str(answers["_src_path"])
    recorded = recorded_data(answers)
    with tempfile.TemporaryDirectory(prefix="template-update-") as scratch:
        # Same folder name as the project: a template may render `_folder_name`.
        old = render(
            source,
            Path(scratch) / "old" / project.name,
            data=recorded,
            version=str(answers["_commit"]),
        )
        new = render(
            source, Path(scratch) / "new" / project.name, data=recorded | data, version=vcs_ref
        )
        updated = yaml.safe_load((new / ANSWERS_FILE).read_text(encoding="utf-8"))
        remaining = list(updated.get("contexts") or [])
        removed = [
            RemovedContext(
                name,
                dependents(project, str(answers.get("project_slug", "")), name, remaining),
                team_leftovers(project, old, name),
            )
            for name in answers.get("contexts") or []
            if name not in remaining
        ]
        lost = lost_files(project, old, new, remaining)
    return Plan(str(answers["_commit"]), str(updated["_commit"]), lost, removed)


def print_plan(plan: Plan) -> None:
    print(f"Template update: {plan.version_from} -> {plan.version_to}")
    for context in plan.removed:
        print(f"\nContext removed from the answers: {context.name}")
        if context.dependents:
            names = ", ".join(context.dependents)
            print(
                f"  {names} still depend(s) on it (contexts/<name>/pyproject.toml): remove "
                "the dependency and its imports, or `uv sync` fails."
            )
        if context.leftovers:
            print(
                f"  The team's files stay in contexts/{context.name}/, outside the workspace "
                "(not installed, linted, type-checked or tested): move what you keep"
            )
            for path in context.leftovers:
                print(f"    {path}")
    if plan.lost:
        print("\nThe update deletes these files, which differ from their last render:")
        for path in plan.lost:
            print(f"  {path}")


def lock(project: Path) -> bool:
    """`uv lock`: the update may change the workspace's members or dependencies."""
    try:
        result = subprocess.run(
            ["uv", "lock"], cwd=project, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        print("uv is not on PATH: run `uv lock` before committing.", file=sys.stderr)
        return False
    if result.returncode != 0:
        print(f"`uv lock` failed, fix it and run it again:\n{result.stderr}", file=sys.stderr)
        return False
    print("uv.lock matches the updated workspace.")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="copier update, listing deletions first.")
    parser.add_argument("--project", type=Path, default=Path(), help="default: .")
    parser.add_argument("--vcs-ref", help="template version to update to (default: newest)")
    parser.add_argument(
        "-d", "--data", action="append", default=[], metavar="NAME=VALUE", help="new answer"
    )
    parser.add_argument(
        "--allow-deletions",
        action="store_true",
        help="update even when edited files are deleted or a context leaves files behind",
    )
    parser.add_argument("--report", type=Path, help="also write the plan here as JSON")
    arguments = parser.parse_args(argv)
    project = arguments.project.resolve()
    try:
        data = parse_data(arguments.data)
        require_clean(project)
        plan = plan_update(project, data, arguments.vcs_ref)
    except (UpdateError, DriftCheckError) as error:
        print(f"update not started: {error}", file=sys.stderr)
        return 2
    print_plan(plan)
    if arguments.report:
        report: dict[str, Any] = asdict(plan) | {"at_risk": plan.at_risk}
        arguments.report.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if plan.at_risk and not arguments.allow_deletions:
        print(
            "\nRefused: nothing changed. Keep what you need (move it into contexts/ or an "
            "extension point, see README.md), or run again with --allow-deletions "
            "(git history keeps every deleted file).",
            file=sys.stderr,
        )
        return REFUSED
    run_update(
        str(project),
        data=data,
        answers_file=ANSWERS_FILE,
        # The version the plan rendered, so that a release tagged meanwhile is not taken.
        vcs_ref=arguments.vcs_ref or plan.version_to,
        defaults=True,
        overwrite=True,
        conflict="inline",
    )
    return 0 if lock(project) else 1


if __name__ == "__main__":
    sys.exit(main())
