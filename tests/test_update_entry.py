"""The update entry point reads the previous answers: it warns when, and only when, a context
is removed, naming the contexts that depend on it and the team's files left behind, and the
project still syncs once the context is gone.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import Render, uv_sync
from gitrepo import git
from hypothesis import given, settings
from hypothesis import strategies as st
from releases import ReleasedTemplate
from team_edits import edit_team_files, lost_lines
from test_generated import check_project
from update_entry import REFUSED, TeamProject

pytestmark = pytest.mark.update

REMOVED = "Context removed from the answers"


class TestRemovingAContext:
    def test_a_context_others_depend_on_names_them_and_changes_nothing(
        self, released_template: ReleasedTemplate, tmp_path: Path
    ) -> None:
        """Removing catalog names billing (its pyproject depends on catalog) and the leftovers."""
        project = TeamProject.generate(released_template, tmp_path, {})
        edit_team_files(project.root, "remove")
        before = project.head()

        # The example flow needs both contexts: without catalog it must be answered off.
        outcome = project.update("contexts=[billing]", "example_flow=false")

        assert outcome.status == REFUSED, outcome.output
        assert f"{REMOVED}: catalog" in outcome.output
        assert "billing still depend(s) on it" in outcome.output
        [removed] = outcome.plan["removed"]
        assert (removed["name"], removed["dependents"]) == ("catalog", ["billing"])
        # The files the team added stay behind; the skeleton files it edited would be deleted.
        assert "contexts/catalog/src/catalog/domain/team_rules_remove.py" in removed["leftovers"]
        assert all(path.startswith("contexts/catalog/") for path in removed["leftovers"])
        assert "contexts/catalog/pyproject.toml" in outcome.lost
        for path in removed["leftovers"]:
            assert f"    {path}" in outcome.output
        assert git("status", "--porcelain", cwd=project.root) == ""
        assert project.head() == before

        # Forced, the update happens, but the lock cannot be made until billing lets go.
        forced = project.update("contexts=[billing]", "example_flow=false", allow_deletions=True)
        assert forced.status == 1, forced.output
        assert "`uv lock` failed" in forced.output
        assert project.answers()["contexts"] == ["billing"]

    def test_the_project_still_syncs_and_passes_its_checks(
        self, released_template: ReleasedTemplate, tmp_path: Path, record_property: Any
    ) -> None:
        """With --allow-deletions shipping goes; its leftovers are outside the workspace."""
        answers = {"contexts": ["catalog", "billing", "shipping"]}
        project = TeamProject.generate(released_template, tmp_path, answers)
        team_lines = edit_team_files(project.root, "drop")

        outcome = project.update("contexts=[catalog, billing]", allow_deletions=True)

        assert outcome.status == 0, outcome.output
        [removed] = outcome.plan["removed"]
        assert (removed["name"], removed["dependents"]) == ("shipping", [])
        record_property("leftovers", len(removed["leftovers"]))
        for path in removed["leftovers"]:
            assert (project.root / path).is_file(), path  # Copier keeps what it did not render
        kept = [line for line in team_lines if not line.path.startswith("contexts/shipping/")]
        assert lost_lines(project.root, kept) == []
        assert not (project.root / "contexts/shipping/pyproject.toml").exists()
        uv_sync(project.root, "3.11")
        check_project(project.root)


def test_adding_a_context_warns_about_nothing(
    released_template: ReleasedTemplate, tmp_path: Path
) -> None:
    """Only a removal warns: a new context is an update like any other, no flag needed."""
    project = TeamProject.generate(released_template, tmp_path, {})
    edit_team_files(project.root, "add")

    outcome = project.update("contexts=[catalog, billing, shipping]")

    assert outcome.status == 0, outcome.output
    assert REMOVED not in outcome.output
    assert "depend" not in outcome.output
    assert outcome.plan["removed"] == []
    assert outcome.lost == []
    assert (project.root / "contexts/shipping/pyproject.toml").is_file()


def test_a_dirty_tree_is_not_updated(released_template: ReleasedTemplate, tmp_path: Path) -> None:
    """Uncommitted work stops the update before anything renders (exit 2)."""
    project = TeamProject.generate(released_template, tmp_path, {})
    (project.root / "notes.txt").write_text("uncommitted\n")
    outcome = project.update("ci=gitlab")
    assert outcome.status == 2
    assert "uncommitted changes" in outcome.output
    assert (project.root / ".github/workflows/ci.yml").is_file()


def test_turning_the_example_off_lists_the_context_files_it_deletes(
    released_template: ReleasedTemplate, tmp_path: Path
) -> None:
    """Unedited files of a context that stays are listed too: the team's code imports them."""
    project = TeamProject.generate(released_template, tmp_path, {})
    before = project.head()

    outcome = project.update("example_flow=false")

    assert outcome.status == REFUSED, outcome.output
    assert "contexts/catalog/src/catalog/entrypoints/readers.py" in outcome.lost
    assert all(path.startswith("contexts/catalog/") for path in outcome.lost)
    assert project.head() == before


def load_noxfile(project: Path) -> ModuleType:
    """The project's noxfile.py as a module (nox registers its sessions once)."""
    spec = importlib.util.spec_from_file_location("generated_noxfile", project / "noxfile.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CACHES = ["__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"]
REMOVED_FOLDERS = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
        lambda name: name not in ("catalog", "billing")
    ),
    # (holds a team file, the caches beside it, how deep in src/<name>/domain it sits)
    st.tuples(st.booleans(), st.lists(st.sampled_from(CACHES), max_size=3), st.integers(0, 3)),
    max_size=4,
)


def test_nox_reports_a_removed_context_only_while_it_holds_files(
    render: Render, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """After a context's removal its folder may keep the team's files (reported: lint skips
    them) or only what tests and tools cached (not reported: nothing there is the team's)."""
    noxfile = load_noxfile(render())

    @settings(max_examples=40, deadline=None)
    @given(folders=REMOVED_FOLDERS)
    def check(folders: dict[str, tuple[bool, list[str], int]]) -> None:
        project = tmp_path_factory.mktemp("removed")
        for name, (team_file, caches, depth) in folders.items():
            folder = project / "contexts" / name / Path(*["src", name, "domain"][:depth])
            folder.mkdir(parents=True)
            for cache in caches:
                (folder / cache).mkdir(exist_ok=True)
                (folder / cache / "entry.pyc").write_bytes(b"\0")
            if team_file:
                (folder / "team_rules.py").write_text("RULE = 1\n")
        for name in ("catalog", "billing"):  # still answered, with caches of their own
            (project / "contexts" / name / "__pycache__").mkdir(parents=True)

        noxfile.ROOT = project
        reported = noxfile.removed_contexts()

        assert reported == sorted(name for name, (team, _, _) in folders.items() if team)

    check()
