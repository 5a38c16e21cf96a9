"""The matrix covers every choice: each one is in a combination that runs the full checks.

Questions are read from copier.yml, so a new question or choice fails here until a
combination covers it: every value of a question with `choices`, True and False for a bool
question, and one and five contexts. Answers are what Copier records for each combination,
not what the matrix states, so defaults computed by copier.yml count too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import copier
import pytest
from conftest import recorded_answers
from matrix import COPIER_CONFIG, MATRIX, declared

# A question Copier computes (`when: false`) is never answered, so it has no choice to cover.
ASKED = {
    name: spec
    for name, spec in COPIER_CONFIG.items()
    if not name.startswith("_") and spec.get("when") is not False
}
CONTEXT_COUNTS = {1, 5}


def required_choices(questions: dict[str, Any] = ASKED) -> dict[str, set[Any]]:
    """Question -> every answer that a full-check combination must give at least once."""
    required: dict[str, set[Any]] = {}
    for name, spec in questions.items():
        if "choices" in spec:
            choices = spec["choices"]
            required[name] = set(choices.values() if isinstance(choices, dict) else choices)
        elif spec.get("type") == "bool":
            required[name] = {True, False}
    return required


@pytest.fixture(name="recorded", scope="module")
def _recorded(template_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Combination -> the answers Copier records when it renders it (every combination)."""
    recorded = {}
    for name, combination in MATRIX.items():
        destination = tmp_path_factory.mktemp(name) / "project"
        copier.run_copy(
            str(template_clone), destination, data=combination.answers, defaults=True,
            vcs_ref="HEAD", quiet=True,
        )  # fmt: skip
        recorded[name] = recorded_answers(destination)
    return recorded


class TestCoverage:
    """Every choice of every question is answered by a combination that runs the full checks."""

    def test_every_choice_runs_the_full_checks(self, recorded: dict[str, Any]) -> None:
        full = [recorded[name] for name, combination in MATRIX.items() if combination.full]
        missing = {
            question: sorted(map(str, wanted - {answers.get(question) for answers in full}))
            for question, wanted in required_choices().items()
        }
        assert {question: values for question, values in missing.items() if values} == {}

    def test_one_and_five_contexts_run_the_full_checks(self, recorded: dict[str, Any]) -> None:
        counts = {
            len(recorded[name]["contexts"])
            for name, combination in MATRIX.items()
            if combination.full
        }
        assert counts >= CONTEXT_COUNTS

    def test_a_new_bool_or_choice_question_is_required(self) -> None:
        """A question added to copier.yml later (e.g. `example_flow`) is required at once."""
        questions = {
            "example_flow": {"type": "bool", "default": "{{ 'billing' in contexts }}"},
            "db": {"type": "str", "choices": {"PostgreSQL": "postgres", "SQLite": "sqlite"}},
            "project_name": {"type": "str"},
        }
        assert required_choices(questions) == {
            "example_flow": {True, False},
            "db": {"postgres", "sqlite"},
        }


class TestDeclaredAnswers:
    """What the matrix says a combination answers is what Copier records for it."""

    def test_every_stated_answer_is_recorded(self, recorded: dict[str, Any]) -> None:
        for name, combination in MATRIX.items():
            for question, answer in combination.answers.items():
                assert question in ASKED, f"{name}: {question} is not a question of copier.yml"
                if question == "services" and recorded[name]["architecture"] != "hybrid":
                    continue
                assert recorded[name][question] == answer, (name, question)

    def test_implicit_answers_match_the_render(self, recorded: dict[str, Any]) -> None:
        """The deployment tests filter on `declared`, which fills in what a combination omits."""
        for name in MATRIX:
            for question in ("architecture", "broker", "ci", "python_version", "contexts"):
                assert declared(name, question) == recorded[name][question], (name, question)

    def test_each_redis_integration_run_has_a_db_of_its_own(self) -> None:
        dbs = [
            combination.redis_db
            for name, combination in MATRIX.items()
            if combination.integration and declared(name, "broker") == "redis"
        ]
        assert None not in dbs
        assert len(set(dbs)) == len(dbs)
        # db 15 is left to developers' own runs.
        assert all(0 < db < 15 for db in dbs if db is not None)
