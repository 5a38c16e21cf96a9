"""releases.toml and CHANGELOG.md: the record of template releases the update tests start from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TEMPLATE_ROOT, clone_working_tree, git
from releases import FUTURE_VERSION, load_releases, missing_commits, tag_releases

SHA = "0123456789abcdef0123456789abcdef01234567"


class TestReleasesFile:
    def test_every_release_is_a_commit_of_this_history(self) -> None:
        """Each listed commit exists and is an ancestor of HEAD (a shallow clone fails here)."""
        assert missing_commits(TEMPLATE_ROOT, load_releases()) == []

    def test_the_changelog_has_a_section_per_release(self) -> None:
        """`## Unreleased` first, then one `## X.Y.Z` per release, newest first."""
        headings = re.findall(r"^## (\S+)", (TEMPLATE_ROOT / "CHANGELOG.md").read_text(), re.M)
        assert headings[0] == "Unreleased"
        assert headings[1:] == list(reversed(load_releases()))

    @pytest.mark.parametrize(
        ("content", "problem"),
        [
            ("", "needs a [releases] table"),
            ('[releases]\n"one" = "x"', "not a PEP 440 version"),
            (f'[releases]\n"1.0.0-rc1" = "{SHA}"', "canonical form"),
            (f'[releases]\n"0.2.0" = "{SHA}"\n"0.1.0" = "{SHA}"', "increasing order"),
            ('[releases]\n"0.1.0" = "0123abc"', "full 40-hex commit sha"),
            (f'[releases]\n"{FUTURE_VERSION}" = "{SHA}"', "collides"),
        ],
        ids=["no-table", "not-pep440", "not-canonical", "decreasing", "short-sha", "future"],
    )
    def test_a_malformed_list_is_refused(self, tmp_path: Path, content: str, problem: str) -> None:
        path = tmp_path / "releases.toml"
        path.write_text(content)
        with pytest.raises(ValueError, match=re.escape(problem)):
            load_releases(path)


class TestTagging:
    def test_releases_and_the_work_under_test_become_tags(self, tmp_path: Path) -> None:
        """An earlier commit as a release, and the working tree as a later commit of its own."""
        clone = clone_working_tree(tmp_path / "groundwork")
        earlier = git("rev-parse", "HEAD~1", cwd=clone).strip()
        template = tag_releases(clone, {"0.1.0": earlier})
        assert git("rev-parse", "0.1.0^{commit}", cwd=clone).strip() == earlier
        assert git("describe", "--tags", "HEAD", cwd=clone).strip() == FUTURE_VERSION
        assert template.head == FUTURE_VERSION

    def test_an_unknown_commit_is_reported(self, tmp_path: Path) -> None:
        clone = clone_working_tree(tmp_path / "groundwork")
        with pytest.raises(AssertionError, match="0.1.0: commit 0123"):
            tag_releases(clone, {"0.1.0": SHA})
