"""The questionnaire: the recommendation as a table of rules, and answer validation."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import COPIER_CONFIG, Render, fast_copier, recorded_answers
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st


def adr_front_matter(project: Path) -> dict[str, Any]:
    text = (project / "docs" / "adr" / "0001-architecture.md").read_text()
    _, front_matter, _ = text.split("---\n", 2)
    return yaml.safe_load(front_matter)


# (team size, coupling, scaling, cpu-bound, ops maturity) -> recommendation, rule, reason words
DECISION_TABLE = [
    pytest.param(5, "medium", "uniform", "no", "containers",
                 "modular-monolith", "default", ["uniform load"], id="defaults"),
    pytest.param(40, "low", "divergent", "yes", "none",
                 "modular-monolith", "no-platform", ["no container platform"], id="no-platform-wins"),
    pytest.param(40, "high", "divergent", "yes", "mature",
                 "modular-monolith", "coupled-domains", ["distributed monolith"], id="coupling-wins"),
    pytest.param(30, "low", "uniform", "no", "mature",
                 "microservices", "many-teams", ["30 engineers"], id="many-teams"),
    pytest.param(30, "low", "divergent", "yes", "mature",
                 "microservices", "many-teams-uneven-load", ["30 engineers", "uneven"], id="many-teams-uneven"),
    pytest.param(5, "medium", "divergent", "no", "containers",
                 "hybrid", "isolate-hot-spots", ["CPU or memory", "only 5 engineers"], id="divergent-small-team"),
    pytest.param(12, "medium", "uniform", "yes", "containers",
                 "hybrid", "isolate-hot-spots", ["GIL"], id="cpu-bound"),
    pytest.param(30, "medium", "uniform", "no", "mature",
                 "modular-monolith", "default", ["uniform load"], id="large-team-medium-coupling"),
    pytest.param(30, "low", "uniform", "no", "containers",
                 "modular-monolith", "default", ["uniform load"], id="large-team-no-platform-maturity"),
    pytest.param(1, "low", "uniform", "no", "mature",
                 "modular-monolith", "default", ["uniform load"], id="solo"),
]  # fmt: skip


class TestRecommendation:
    """The computed recommendation follows the rule table and is recorded in the ADR."""

    @pytest.mark.parametrize(
        ("team", "coupling", "scaling", "cpu", "ops", "expected", "rule", "reason_words"),
        DECISION_TABLE,
    )
    def test_rule_table(
        self, render: Render, team: int, coupling: str, scaling: str, cpu: str, ops: str,
        expected: str, rule: str, reason_words: list[str],
    ) -> None:  # fmt: skip
        project = render(
            arch_team_size=team, arch_coupling=coupling, arch_scaling=scaling,
            arch_cpu_bound=cpu, arch_ops_maturity=ops,
        )  # fmt: skip
        adr = adr_front_matter(project)
        assert (adr["recommendation"], adr["rule"]) == (expected, rule)
        reasons = " ".join(adr["reasons"])
        for word in reason_words:
            assert word in reasons
        # Defaults follow the advice: no override is recorded.
        assert adr["architecture"] == expected
        assert adr["override_warning"] == ""

    def test_table_covers_every_rule(self) -> None:
        rules = {param.values[6] for param in DECISION_TABLE}
        decision = (Path(__file__).parents[1] / "includes" / "decision.jinja").read_text()
        declared = set(__import__("re").findall(r'set rule = "([a-z-]+)"', decision))
        assert rules == declared

    @pytest.mark.parametrize(
        ("answers", "warning_words"),
        [
            pytest.param({"architecture": "microservices", "arch_coupling": "high", "arch_team_size": 3},
                         ["distributed monolith risk", "3 engineers"], id="coupled-microservices"),
            pytest.param({"architecture": "hybrid", "arch_ops_maturity": "none"},
                         ["operations risk"], id="hybrid-without-platform"),
            pytest.param({"architecture": "microservices", "arch_team_size": 4},
                         ["team overload risk", "4 engineers"], id="small-team-microservices"),
            pytest.param({"architecture": "modular-monolith", "arch_cpu_bound": "yes"},
                         ["resource contention risk"], id="monolith-against-hybrid"),
            pytest.param({"architecture": "hybrid", "arch_team_size": 12},
                         ["hybrid was chosen over the recommended modular-monolith"], id="plain-override"),
        ],
    )  # fmt: skip
    def test_override_is_recorded_with_a_warning(
        self, render: Render, answers: dict[str, Any], warning_words: list[str]
    ) -> None:
        adr = adr_front_matter(render(**answers))
        assert adr["architecture"] == answers["architecture"]
        assert adr["recommendation"] != adr["architecture"]
        for word in warning_words:
            assert word in adr["override_warning"]


class TestHybridServices:
    """A hybrid whose `services` nobody answered says which context it extracted, and how to choose."""

    @staticmethod
    def copy_message(template_clone: Path, destination: Path, capfd: Any, **answers: Any) -> str:
        capfd.readouterr()
        copier.run_copy(
            str(template_clone), destination, data=answers, defaults=True, vcs_ref="HEAD",
            quiet=False,
        )  # fmt: skip
        return capfd.readouterr().err

    def test_the_default_is_named_after_copy_and_in_the_adr(
        self, template_clone: Path, tmp_path: Path, capfd: Any
    ) -> None:
        project = tmp_path / "project"
        message = self.copy_message(template_clone, project, capfd, architecture="hybrid")
        notes = [line for line in message.splitlines() if line.startswith("NOTE:")]
        assert notes == [
            "NOTE: no `services` answer was given, so the hybrid extracts its default, the last"
            " context:"
        ]
        assert "copier update --defaults -d 'services=[<context>, ...]'" in message
        assert adr_front_matter(project)["services_is_default"] is True
        adr = (project / "docs" / "adr" / "0001-architecture.md").read_text()
        assert "`services` is the hybrid's default, the last context (billing)." in adr

    def test_a_chosen_service_gets_no_note(
        self, template_clone: Path, tmp_path: Path, capfd: Any
    ) -> None:
        project = tmp_path / "project"
        message = self.copy_message(
            template_clone, project, capfd, architecture="hybrid",
            contexts=["catalog", "billing", "shipping"], services=["catalog"],
        )  # fmt: skip
        assert "NOTE:" not in message
        assert adr_front_matter(project)["services_is_default"] is False

    def test_the_questions_help_names_the_default(self) -> None:
        assert "by default the last one" in COPIER_CONFIG["architecture"]["help"]
        assert "it is the last context" in COPIER_CONFIG["services"]["help"]


BAD_ANSWERS = [
    pytest.param({"project_name": "  "}, "project_name", id="empty-name"),
    pytest.param({"project_slug": "Acme Shop"}, "project_slug", id="slug-with-space"),
    pytest.param({"project_slug": "9lives"}, "project_slug", id="slug-starts-with-digit"),
    pytest.param({"project_package": "acme-shop"}, "project_package", id="package-with-dash"),
    pytest.param({"project_package": "class"}, "project_package", id="package-keyword"),
    pytest.param({"project_package": "celery"}, "project_package", id="package-shadows-celery"),
    pytest.param({"project_package": "test"}, "project_package", id="package-shadows-test"),
    pytest.param({"project_name": "x" * 51}, "project_name", id="name-too-long"),
    pytest.param({"project_name": 'The "Best" Shop'}, "project_name", id="name-with-double-quote"),
    pytest.param({"project_name": "Two\nlines"}, "project_name", id="name-on-two-lines"),
    pytest.param({"project_slug": "a" * 41}, "project_slug", id="slug-too-long"),
    pytest.param({"project_slug": "shop-"}, "project_slug", id="slug-ends-with-dash"),
    pytest.param({"project_package": "a" * 31}, "project_package", id="package-too-long"),
    pytest.param({"project_description": "C:\\temp"}, "project_description", id="description-with-backslash"),
    pytest.param({"arch_team_size": 0}, "arch_team_size", id="no-engineers"),
    pytest.param({"contexts": []}, "contexts", id="no-contexts"),
    pytest.param({"contexts": "catalog"}, "contexts", id="contexts-not-a-list"),
    pytest.param({"contexts": ["catalog", "catalog"]}, "contexts", id="duplicate-context"),
    pytest.param({"contexts": ["Catalog"]}, "contexts", id="context-uppercase"),
    pytest.param({"contexts": ["orders", "n" * 31]}, "contexts", id="context-too-long"),
    pytest.param({"contexts": ["orders_"]}, "contexts", id="context-ends-with-underscore"),
    pytest.param({"contexts": ["orders", "on"]}, "contexts", id="context-reads-as-yaml-boolean"),
    pytest.param({"project_slug": "null"}, "project_slug", id="slug-reads-as-yaml-null"),
    pytest.param({"contexts": ["import"]}, "contexts", id="context-keyword"),
    pytest.param({"contexts": ["fastapi"]}, "contexts", id="context-shadows-fastapi"),
    pytest.param({"contexts": ["app"]}, "contexts", id="context-reserved"),
    pytest.param({"contexts": ["monolith", "billing"]}, "contexts", id="context-named-like-the-monolith"),
    pytest.param({"contexts": ["acme_shop_platform"]}, "contexts", id="context-platform-name"),
    pytest.param({"architecture": "hybrid", "services": []}, "services", id="hybrid-extracts-nothing"),
    pytest.param({"architecture": "hybrid", "services": ["shipping"]}, "services", id="service-not-a-context"),
    pytest.param({"architecture": "hybrid", "services": ["billing", "billing"]}, "services", id="duplicate-service"),
    pytest.param({"architecture": "hybrid", "services": ["catalog", "billing"]}, "services", id="hybrid-extracts-all"),
    pytest.param({"architecture": "hybrid", "contexts": ["catalog"]}, "services", id="hybrid-one-context"),
    pytest.param({"contexts": ["catalog", "shipping"], "example_flow": True}, "example_flow", id="example-flow-without-billing"),
    pytest.param({"architecture": "serverless"}, "architecture", id="unknown-architecture"),
    pytest.param({"broker": "kafka"}, "broker", id="unknown-broker"),
]  # fmt: skip


class TestValidation:
    """A bad answer is refused with a message that names the question and the rule."""

    @pytest.mark.parametrize(("answers", "question"), BAD_ANSWERS)
    def test_bad_answer_is_refused(
        self, render: Render, answers: dict[str, Any], question: str
    ) -> None:
        with pytest.raises(ValueError, match=rf"'{question}'") as refused:
            render(**answers)
        # Copier prefixes the question; our validators also name it in the rule they state.
        rule = str(refused.value).split(":", 1)[1]
        assert question in rule or "not in" in rule

    @pytest.mark.parametrize(
        "answers",
        [
            {"contexts": ["orders"]},
            {"contexts": ["catalog", "billing", "shipping_2"]},
            {"contexts": ["catalog", "billing"], "example_flow": False},
            {"project_name": "Ünïcode Shop!"},
            {"project_name": "An Exceptionally Long Project Name For A Shop 2026"},
            {"contexts": ["n" * 30]},
            {"architecture": "hybrid", "contexts": ["a", "b", "c"], "services": ["b", "c"]},
        ],
    )
    def test_good_answers_are_accepted(self, render: Render, answers: dict[str, Any]) -> None:
        assert (render(**answers) / ".copier-answers.yml").is_file()


def test_every_question_has_a_default() -> None:
    questions = {k: v for k, v in COPIER_CONFIG.items() if not k.startswith("_")}
    missing = [name for name, spec in questions.items() if "default" not in spec]
    assert missing == []


def test_no_trust_needed() -> None:
    """No setting that makes Copier demand --trust."""
    assert {"_tasks", "_jinja_extensions", "_migrations"}.isdisjoint(COPIER_CONFIG)


# Any one-line name without quotes or backslashes: letters, digits, punctuation, accents.
accepted_project_names = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"], exclude_characters='"\\'),
    min_size=1, max_size=50,
).filter(lambda name: name.strip() != "")  # fmt: skip


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(project_name=accepted_project_names)
@example(project_name="Y").via("a YAML word")
@example(project_name="2048").via("digits only")
@example(project_name="-- Null --").via("punctuation around a YAML word")
@example(project_name="Été 9").via("accents")
def test_any_accepted_project_name_gives_valid_defaults(
    template_tree: Path, tmp_path: Path, project_name: str
) -> None:
    """The slug and package derived from a valid name pass their own validators ('Yes!',
    '2048', '--' included), so `--defaults` never stops at a question the user did not ask."""
    destination = Path(tempfile.mkdtemp(dir=tmp_path))
    with fast_copier():
        copier.run_copy(
            str(template_tree), destination, data={"project_name": project_name},
            defaults=True, quiet=True, exclude=["*", "!.copier-answers.yml"],
        )  # fmt: skip
    recorded = recorded_answers(destination)
    assert recorded["project_name"] == project_name
