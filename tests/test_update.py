"""`copier update` never loses a team's code: from every release, across architectures.

Each scenario generates a project from a real tag of a function-scoped template clone (see
`released_template`), lets a team edit every file under contexts/ and commit, runs Copier's
`run_update` (without `unsafe`) to another tag or other answers, and checks: every team line
is still there, nothing conflicts (except in the scenario that edits a template-owned file on
purpose), the answers file records the new answers and version, the drift check is clean, and
the project passes its own checks. The counts end up in build/update-report.json.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import init_git, uv_sync
from generated_scripts import drift
from gitrepo import commit_all
from matrix import MATRIX, running
from releases import ReleasedTemplate, load_releases
from team_edits import (
    TEAM_OWNED,
    TeamLine,
    edit_team_files,
    keep_team_side,
    leftovers,
    lost_lines,
)
from test_generated import check_project

pytestmark = pytest.mark.update

ANSWERS_FILE = ".copier-answers.yml"
MONOLITH = {"architecture": "modular-monolith"}
HYBRID = {"architecture": "hybrid", "services": ["billing"]}
MICROSERVICES = {"architecture": "microservices"}
RELEASES = load_releases()
# Short names: they appear in every marker line the team writes (lines stay under 100).
SCENARIO_NAMES = {
    "test_switching_architecture_back_and_forth_keeps_the_team_code": "switch",
    "test_adding_a_context_creates_its_skeleton_and_keeps_the_team_code": "add-context",
    "test_an_edited_template_file_conflicts_alone": "conflict",
}


def release_scenarios() -> list[Any]:
    if not RELEASES:
        return [
            pytest.param(
                None, None,
                marks=pytest.mark.skip(
                    reason="releases.toml lists no release yet: nothing to update from "
                    "(the first entry, 0.1.0, enables these scenarios)"
                ),
                id="no-release-yet",
            )
        ]  # fmt: skip
    combinations = running("update_from_release")
    first_words = [name.split("-")[0] for name in combinations]
    assert len(set(first_words)) == len(first_words), f"scenario names collide: {combinations}"
    # Each combination updates from one release, newest first, round-robin, so that every
    # release and every combination is covered while CI runs max(releases, combinations)
    # scenarios, not their product (each costs a full check of the project, ~1 min on CI).
    # GROUNDWORK_ALL_RELEASES=1 runs every combination from every release.
    versions = list(reversed(RELEASES))
    if os.environ.get("GROUNDWORK_ALL_RELEASES"):
        pairs = [(version, name) for version in versions for name in combinations]
    else:
        count = max(len(versions), len(combinations))
        pairs = [
            (versions[i % len(versions)], combinations[i % len(combinations)]) for i in range(count)
        ]
    return [pytest.param(version, name, id=f"{version}-{name}") for version, name in pairs]


# --- steps of a scenario ------------------------------------------------------------------


class Scenario:
    """One project's life: generated once, edited by its team, updated one or more times."""

    def __init__(self, name: str, template: ReleasedTemplate, root: Path, record: Any) -> None:
        self.name = name
        self.template = template
        self.project = root / "project"
        self.record = record
        self.team_lines: list[TeamLine] = []
        self.steps = 0
        self.checked = 0

    def generate(self, version: str, answers: dict[str, Any]) -> None:
        copier.run_copy(
            self.template.src, self.project, data=answers, defaults=True, vcs_ref=version,
            quiet=True,
        )  # fmt: skip
        init_git(self.project)
        self.record("update_scenario", self.name)

    def team_edits(self) -> None:
        self.team_lines += edit_team_files(self.project, f"{self.name}-{self.steps}")

    def update(self, data: dict[str, Any] | None = None, version: str | None = None) -> None:
        copier.run_update(
            str(self.project), data=data or {}, defaults=True, overwrite=True,
            vcs_ref=version or self.template.head, conflict="inline", quiet=True,
        )  # fmt: skip
        self.steps += 1
        self.record("update_steps", self.steps)

    def answers(self) -> dict[str, Any]:
        return yaml.safe_load((self.project / ANSWERS_FILE).read_text())

    def assert_team_lines_kept(self) -> None:
        lost = lost_lines(self.project, self.team_lines)
        assert not lost, "the update lost team-written lines:\n" + "\n".join(
            f"  {line.path}: {line.line.strip()}" for line in lost
        )
        self.checked += len(self.team_lines)
        self.record("team_lines_checked", self.checked)

    def assert_updated(self, answers: dict[str, Any], version: str | None = None) -> None:
        """Team lines kept, nothing left to resolve, the answers and version recorded."""
        self.assert_team_lines_kept()
        assert leftovers(self.project) == {}
        recorded = self.answers()
        assert recorded["_commit"] == (version or self.template.head)
        for question, answer in answers.items():
            assert recorded[question] == answer, question
        assert drift(self.project) == []

    def assert_green(self) -> None:
        """The project's own checks: the same commands as a freshly generated project."""
        uv_sync(self.project, self.answers().get("python_version", "3.11"))
        check_project(self.project)

    def commit(self, message: str) -> None:
        commit_all(self.project, message)


@pytest.fixture(name="scenario")
def _scenario(
    request: pytest.FixtureRequest,
    released_template: ReleasedTemplate,
    tmp_path: Path,
    record_property: Any,
) -> Scenario:
    if hasattr(request.node, "callspec"):
        # e.g. 0.1.0-hybrid for 0.1.0-hybrid-billing: the first word of the combination keeps
        # the team's marker lines short (release_scenarios checks that it stays unique).
        params = request.node.callspec.params
        name = f"{params['release']}-{params['answers_name'].split('-')[0]}"
    else:
        name = SCENARIO_NAMES[request.node.originalname]
    return Scenario(name, released_template, tmp_path, record_property)


# --- the scenarios ---------------------------------------------------------------------


@pytest.mark.parametrize(("release", "answers_name"), release_scenarios())
def test_an_update_from_a_release_keeps_the_team_code(
    scenario: Scenario, release: str, answers_name: str
) -> None:
    """A project generated at a release and edited by its team updates to HEAD cleanly."""
    answers = MATRIX[answers_name].answers
    scenario.generate(release, answers)
    scenario.team_edits()
    scenario.update()
    scenario.assert_updated(answers)
    scenario.assert_green()


def test_switching_architecture_back_and_forth_keeps_the_team_code(scenario: Scenario) -> None:
    """Monolith -> hybrid (billing) -> microservices -> monolith: contexts/ never moves."""
    scenario.generate(scenario.template.head, {})
    for answers in (HYBRID, MICROSERVICES, MONOLITH):
        scenario.team_edits()
        scenario.update(answers)
        scenario.assert_updated(answers)
        deployables = scenario.project / "deploy" / "k8s" / "deployables"
        expected = {"hybrid": ["billing", "monolith"], "microservices": ["billing", "catalog"]}
        assert sorted(p.name for p in deployables.iterdir()) == expected.get(
            answers["architecture"], ["monolith"]
        )
        scenario.assert_green()
        scenario.commit(f"Update to {answers['architecture']}")


def test_adding_a_context_creates_its_skeleton_and_keeps_the_team_code(
    scenario: Scenario,
) -> None:
    """A new name in `contexts` adds a package; the existing contexts stay as the team left them."""
    scenario.generate(scenario.template.head, {})
    scenario.team_edits()
    answers = {"contexts": ["catalog", "billing", "shipping"]}
    scenario.update(answers)
    scenario.assert_updated(answers)
    assert (scenario.project / TEAM_OWNED / "shipping" / "pyproject.toml").is_file()
    scenario.assert_green()


def test_an_edited_template_file_conflicts_alone(scenario: Scenario) -> None:
    """Editing a line the update changes gives inline conflict markers in that file only."""
    scenario.generate(scenario.template.head, {})
    scenario.team_edits()
    path, line_number = line_the_update_changes(scenario, HYBRID)
    edited = scenario.project / path
    lines = edited.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line_number] = lines[line_number].rstrip("\n") + " (edited by the team)\n"
    edited.write_text("".join(lines), encoding="utf-8")
    scenario.commit(f"Edit {path}, a template-owned file")

    scenario.update(HYBRID)
    scenario.assert_team_lines_kept()
    conflicts = leftovers(scenario.project)
    assert set(conflicts) == {path}, conflicts
    assert "<<<<<<< before updating" in edited.read_text(encoding="utf-8").splitlines()

    # The team keeps its edit: the project is green, and the drift check names that file.
    keep_team_side(edited)
    scenario.commit("Resolve the update, keeping our edit")
    assert leftovers(scenario.project) == {}
    assert scenario.answers()["architecture"] == "hybrid"
    assert [(d["path"], d["change"]) for d in drift(scenario.project)] == [(path, "modified")]
    scenario.assert_green()


def line_the_update_changes(scenario: Scenario, answers: dict[str, Any]) -> tuple[str, int]:
    """A template-owned file and a line of it that the answer change rewrites (README first)."""
    current = scenario.answers()
    data = {k: v for k, v in current.items() if not k.startswith("_")}
    with tempfile.TemporaryDirectory() as scratch:
        renders = {}
        for label, values in (("before", data), ("after", data | answers)):
            destination = Path(scratch) / label / scenario.project.name
            copier.run_copy(
                scenario.template.src, destination, data=values, defaults=True,
                vcs_ref=scenario.template.head, quiet=True,
            )  # fmt: skip
            renders[label] = destination
        changed = []
        for before in sorted(renders["before"].rglob("*")):
            relative = before.relative_to(renders["before"]).as_posix()
            after = renders["after"] / relative
            if (
                before.is_dir()
                or relative.startswith(f"{TEAM_OWNED}/")
                or relative == ANSWERS_FILE
                or not after.is_file()
            ):
                continue
            old = before.read_text(encoding="utf-8").splitlines()
            new = after.read_text(encoding="utf-8").splitlines()
            for tag, i1, _, _, _ in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
                if tag == "replace" and old[i1].strip():
                    changed.append((relative, i1))
                    break
    assert changed, f"no template-owned line changes with {answers}"
    return next((c for c in changed if c[0] == "README.md"), changed[0])
