"""Template releases (releases.toml) as real git tags in a clone of the template.

releases.toml maps each PEP 440 version to the full sha of the commit it was cut from. Tags
may not travel with a pushed branch, so the update tests tag a temporary clone from the file,
then tag the working tree (committed by `clone_working_tree`) as a future version.
GROUNDWORK_RELEASES points at another file, to try the machinery on a local list.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gitrepo import commit_all, git
from packaging.version import InvalidVersion, Version

RELEASES_FILE = Path(__file__).resolve().parents[1] / "releases.toml"
# Far above any real release, so that every release can update to it.
FUTURE_VERSION = "99.0.0"
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


def releases_file() -> Path:
    return Path(os.environ.get("GROUNDWORK_RELEASES", RELEASES_FILE))


def load_releases(path: Path | None = None) -> dict[str, str]:
    """Version -> commit, oldest first; raises ValueError naming what is wrong."""
    path = path or releases_file()
    table = tomllib.loads(path.read_text())
    releases = table.get("releases")
    if not isinstance(releases, dict):
        raise ValueError(f"{path}: needs a [releases] table (version = full commit sha)")
    previous: Version | None = None
    for version, commit in releases.items():
        try:
            parsed = Version(version)
        except InvalidVersion as error:
            raise ValueError(f"{path}: {version!r} is not a PEP 440 version") from error
        if str(parsed) != version:
            raise ValueError(f"{path}: write {version!r} in canonical form, {str(parsed)!r}")
        if previous is not None and parsed <= previous:
            raise ValueError(f"{path}: {version} must come after {previous} (increasing order)")
        if not isinstance(commit, str) or not FULL_SHA.match(commit):
            raise ValueError(f"{path}: {version} must map to a full 40-hex commit sha")
        if parsed >= Version(FUTURE_VERSION):
            raise ValueError(f"{path}: {version} collides with the tests' {FUTURE_VERSION}")
        previous = parsed
    return dict(releases)


def missing_commits(repository: Path, releases: dict[str, str]) -> list[str]:
    """Releases whose commit is absent from the repository or not an ancestor of HEAD."""
    problems = []
    for version, commit in releases.items():
        exists = subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=repository, capture_output=True
        )
        if exists.returncode != 0:
            problems.append(f"{version}: commit {commit} is not in the repository")
            continue
        ancestor = subprocess.run(
            ["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=repository
        )
        if ancestor.returncode != 0:
            problems.append(f"{version}: commit {commit} is not an ancestor of HEAD")
    return problems


@dataclass(frozen=True)
class ReleasedTemplate:
    """A clone of the template with a tag per release and the working tree as `head`."""

    path: Path
    releases: dict[str, str]
    head: str = FUTURE_VERSION

    @property
    def src(self) -> str:
        return str(self.path)


def tag_releases(clone: Path, releases: dict[str, str]) -> ReleasedTemplate:
    """Tag each release, then the working tree (a commit of its own) as FUTURE_VERSION."""
    problems = missing_commits(clone, releases)
    if problems:
        raise AssertionError(
            "releases.toml names commits this clone cannot use (a shallow checkout? fetch the "
            "full history):\n" + "\n".join(problems)
        )
    for version, commit in releases.items():
        # A clone of a checkout that has the tags already carries them: they must agree.
        existing = subprocess.run(
            ["git", "rev-parse", "--quiet", "--verify", f"refs/tags/{version}^{{commit}}"],
            cwd=clone, capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        if existing and existing != commit:
            raise AssertionError(f"tag {version} is {existing}, releases.toml says {commit}")
        if not existing:
            git("tag", version, commit, cwd=clone)
    # A commit of its own, so that `git describe` never mistakes it for a tagged release.
    commit_all(clone, "Future release under test")
    git("tag", FUTURE_VERSION, cwd=clone)
    return ReleasedTemplate(clone, dict(releases))
