"""What a team does to its own code between template updates, and the checks after one.

Every file under contexts/ gets a recognisable edit (a function with a unique marker line for
Python, a comment elsewhere), every context gets a new route and new files with tests of
their own, and the result is committed. After an update every one of those lines must still
be there, and no conflict marker or *.rej file may be left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gitrepo import commit_all, git

MARKER = "groundwork-team-marker"
TEAM_OWNED = "contexts"
CONFLICT_PREFIXES = ("<<<<<<<", ">>>>>>>")
SKIPPED_DIRS = {".git", ".venv", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
# How each kind of team-owned file takes a marker line without changing its meaning.
COMMENT_PREFIX = {".toml": "# ", ".mako": "## ", ".typed": "# ", ".md": "<!-- "}
COMMENT_SUFFIX = {".md": " -->"}
ROUTER = re.compile(r"^router = APIRouter\(", re.MULTILINE)


@dataclass(frozen=True)
class TeamLine:
    """A line the team wrote: `path` is relative to the project."""

    path: str
    line: str


def _append(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8")
    lead = text.rstrip("\n") + "\n\n\n" if text.strip() else ""
    path.write_text(lead + block, encoding="utf-8")


def _mark_file(project: Path, relative: str, scenario: str, number: int) -> TeamLine:
    path = project / relative
    tag = f"{MARKER} {scenario} {number}"
    if path.suffix == ".py":
        line = f'    return "{tag}"'
        _append(
            path,
            f"def team_marker_{_slug(scenario)}_{number}() -> str:\n"
            f'    """Written by the team: no template update may lose it."""\n'
            f"{line}\n",
        )
        return TeamLine(relative, line)
    if path.suffix not in COMMENT_PREFIX:
        raise AssertionError(f"{relative}: teach team_edits.py how to mark a {path.suffix} file")
    line = f"{COMMENT_PREFIX[path.suffix]}{tag}{COMMENT_SUFFIX.get(path.suffix, '')}"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("" if not text or text.endswith("\n") else "\n") + line + "\n")
    return TeamLine(relative, line)


def _slug(scenario: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", scenario.lower()).strip("_")


def _add_route(project: Path, package: Path, scenario: str) -> list[TeamLine]:
    """A new endpoint in the context's router, and a test of its own."""
    http = package / "entrypoints" / "http.py"
    if not ROUTER.search(http.read_text(encoding="utf-8")):
        raise AssertionError(f"{http}: no module-level `router = APIRouter(...)` to add a route")
    slug = _slug(scenario)
    marker = f"{MARKER} {scenario} route {package.name}"
    line = f'    return {{"marker": "{marker}"}}'
    _append(
        http,
        f'@router.get("/team-marker/{slug}")\n'
        f"def team_marker_route_{slug}() -> dict[str, str]:\n"
        '    """An endpoint the team added."""\n'
        f"{line}\n",
    )
    test = package / "tests" / "e2e" / f"test_team_route_{slug}.py"
    expected = f'EXPECTED = {{"marker": "{marker}"}}'
    test.parent.mkdir(parents=True, exist_ok=True)
    test.write_text(
        "from fastapi import FastAPI\n"
        "from fastapi.testclient import TestClient\n"
        "\n"
        f"from {package.name}.entrypoints.http import router\n"
        "\n"
        f"{expected}\n"
        "\n"
        "\n"
        "def test_the_team_route_survives_template_updates() -> None:\n"
        "    app = FastAPI()\n"
        "    app.include_router(router)\n"
        f'    assert TestClient(app).get("/team-marker/{slug}").json() == EXPECTED\n',
        encoding="utf-8",
    )
    return [TeamLine(_rel(project, http), line), TeamLine(_rel(project, test), expected)]


def _add_module(project: Path, package: Path, scenario: str) -> list[TeamLine]:
    """A new domain module and its unit test."""
    slug = _slug(scenario)
    marker = f"{MARKER} {scenario} module {package.name}"
    module = package / "domain" / f"team_rules_{slug}.py"
    line = f'    return "{marker}"'
    module.write_text(
        f'"""Rules the team wrote after generating {package.name}."""\n'
        "\n"
        "\n"
        "def team_rule() -> str:\n"
        f"{line}\n",
        encoding="utf-8",
    )
    test = package / "tests" / "unit" / f"test_team_rules_{slug}.py"
    expected = f'EXPECTED = "{marker}"'
    test.parent.mkdir(parents=True, exist_ok=True)
    test.write_text(
        f"from {package.name}.domain.team_rules_{slug} import team_rule\n"
        "\n"
        f"{expected}\n"
        "\n"
        "\n"
        "def test_the_team_rule_survives_template_updates() -> None:\n"
        "    assert team_rule() == EXPECTED\n",
        encoding="utf-8",
    )
    return [TeamLine(_rel(project, module), line), TeamLine(_rel(project, test), expected)]


def _rel(project: Path, path: Path) -> str:
    return path.relative_to(project).as_posix()


def edit_team_files(project: Path, scenario: str) -> list[TeamLine]:
    """Edit every team-owned file, add a route and new files per context, and commit."""
    tracked = sorted(filter(None, git("ls-files", "-z", TEAM_OWNED, cwd=project).split("\0")))
    assert tracked, f"{project} has no team-owned files under {TEAM_OWNED}/"
    lines = [
        _mark_file(project, relative, scenario, number) for number, relative in enumerate(tracked)
    ]
    for context in sorted((project / TEAM_OWNED).iterdir()):
        package = context / "src" / context.name
        lines += _add_route(project, package, scenario)
        lines += _add_module(project, package, scenario)
    commit_all(project, f"Team work before the update ({scenario})")
    return lines


def lost_lines(project: Path, lines: list[TeamLine]) -> list[TeamLine]:
    """The team's lines an update dropped (empty when none is lost)."""
    lost = []
    for team_line in lines:
        path = project / team_line.path
        present = path.is_file() and team_line.line in path.read_text("utf-8").splitlines()
        if not present:
            lost.append(team_line)
    return lost


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for path in root.iterdir():
        if path.is_dir():
            if path.name not in SKIPPED_DIRS:
                found.extend(_walk(path))
        else:
            found.append(path)
    return found


def leftovers(project: Path) -> dict[str, str]:
    """Files with conflict markers or *.rej files, with what was found in each."""
    found: dict[str, str] = {}
    for path in _walk(project):
        relative = _rel(project, path)
        if path.suffix == ".rej":
            found[relative] = "rejected hunk"
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if any(line.startswith(CONFLICT_PREFIXES) for line in text.splitlines()):
            found[relative] = "conflict markers"
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=project).splitlines()
    for relative in unmerged:
        found.setdefault(relative, "unmerged in the index")
    return found


def keep_team_side(path: Path) -> None:
    """Resolve inline conflicts as a team keeping its own edit ("before updating")."""
    kept: list[str] = []
    side = None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("<<<<<<<"):
            side = "ours"
        elif line.startswith("|||||||") and side == "ours":
            side = "base"
        elif line.startswith("=======") and side in {"ours", "base"}:
            side = "theirs"
        elif line.startswith(">>>>>>>") and side == "theirs":
            side = None
        elif side in {None, "ours"}:
            kept.append(line)
    path.write_text("".join(kept), encoding="utf-8")
