"""Organisation presets: one YAML file a platform team hands to `copier copy --data-file`.

The file fixes answers (plain question keys, Copier's own data file) and narrows the choices
of others (the `preset` answer: {name, allowed: {question: [choices]}}). The validators of
copier.yml refuse an answer outside the allowed choices, naming the preset and the rule.
`preset` is recorded in .copier-answers.yml like any answer, so `copier update` without the
file keeps enforcing it. No --trust, no wrapper: Copier's CLI as a team runs it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import find_tool, init_git, project_env, recorded_answers
from gitrepo import commit_all, git
from releases import ReleasedTemplate

# The README's worked example, word for word (test_the_readme_shows_this_preset checks it).
PRESET_FILE = """\
# acme-preset.yml: Acme's platform team fixes CI, broker and Python, and narrows architecture.
preset:
  name: acme-platform
  description: Acme services run on GitLab and RabbitMQ, as a monolith or a hybrid
  allowed:
    architecture: [modular-monolith, hybrid]
    broker: [&broker rabbitmq]
    ci: [&ci gitlab]
    python_version: [&python "3.12"]
# The fixed answers: Copier takes them as given (each alias repeats the one allowed choice).
ci: *ci
broker: *broker
python_version: *python
"""
PRESET = yaml.safe_load(PRESET_FILE)
NON_EMPTY = "must be a non-empty list of choices"
FIXED = {"ci": "gitlab", "broker": "rabbitmq", "python_version": "3.12"}


def copier_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`copier ...` as a user runs it (never with --trust)."""
    assert "--trust" not in args
    assert "--UNSAFE" not in args
    executable = find_tool("copier")
    assert executable, "copier is not installed: uv sync --group dev"
    return subprocess.run(
        [executable, *args], cwd=cwd, capture_output=True, text=True, env=env or project_env()
    )


@pytest.fixture(name="preset_file")
def _preset_file(tmp_path: Path) -> Path:
    path = tmp_path / "acme-preset.yml"
    path.write_text(PRESET_FILE)
    return path


class TestCopy:
    def test_a_preset_fixes_and_narrows(self, template_clone: Path, tmp_path: Path) -> None:
        """From the settings file's `defaults`: the fixed answers and the preset land in the
        answers file; an allowed choice of a narrowed question is accepted, another refused.
        (`--data-file` is the other way in: test_an_update_without_the_preset_file_keeps_it.)"""
        settings = tmp_path / "settings.yml"
        settings.write_text(yaml.safe_dump({"defaults": PRESET}))
        env = project_env(COPIER_SETTINGS_PATH=str(settings))
        project = tmp_path / "acme-orders"
        result = copier_cli(
            "copy", "--defaults", "--vcs-ref", "HEAD", "-d", "architecture=hybrid",
            str(template_clone), str(project), cwd=tmp_path, env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        recorded = recorded_answers(project)
        assert {key: recorded[key] for key in FIXED} == FIXED
        assert recorded["architecture"] == "hybrid"
        assert recorded["preset"] == PRESET["preset"]
        assert (project / ".gitlab-ci.yml").is_file()
        assert not (project / ".github" / "workflows" / "ci.yml").exists()

        refused = copier_cli(
            "copy", "--defaults", "--vcs-ref", "HEAD", "-d", "architecture=microservices",
            str(template_clone), str(tmp_path / "refused"), cwd=tmp_path, env=env,
        )  # fmt: skip
        assert refused.returncode != 0
        assert "organisation preset 'acme-platform' (rule allowed.architecture" in refused.stderr
        assert not (tmp_path / "refused").exists()

    @pytest.mark.parametrize(
        ("answer", "rule"),
        [
            ({"architecture": "microservices"},
             'allowed.architecture: ["modular-monolith", "hybrid"]'),
            ({"broker": "redis"}, 'allowed.broker: ["rabbitmq"]'),
            ({"ci": "github"}, 'allowed.ci: ["gitlab"]'),
            ({"python_version": "3.11"}, 'allowed.python_version: ["3.12"]'),
        ],
        ids=["architecture", "broker", "ci", "python_version"],
    )  # fmt: skip
    def test_a_forbidden_answer_is_refused(
        self, template_clone: Path, tmp_path: Path, answer: dict[str, str], rule: str
    ) -> None:
        """Even over a fixed answer: the message names the question, the preset and the rule."""
        project = tmp_path / "refused"
        with pytest.raises(ValueError, match="Validation error") as refused:
            copier.run_copy(
                str(template_clone), project, data=PRESET | answer, defaults=True,
                vcs_ref="HEAD", quiet=True,
            )  # fmt: skip
        message = str(refused.value)
        question = next(iter(answer))
        assert f"Validation error for question '{question}'" in message
        assert "organisation preset 'acme-platform'" in message
        assert f"(rule {rule})" in message
        assert not project.exists()

    def test_the_recommendation_outside_the_preset_is_refused(
        self, template_clone: Path, tmp_path: Path
    ) -> None:
        """A big, mature team is advised microservices; this preset allows none: say why."""
        data = PRESET | {
            "arch_team_size": 40,
            "arch_coupling": "low",
            "arch_ops_maturity": "mature",
        }
        with pytest.raises(ValueError, match=r"architecture: \"microservices\" is not allowed"):
            copier.run_copy(str(template_clone), tmp_path / "p", data=data, defaults=True,
                            vcs_ref="HEAD", quiet=True, pretend=True)  # fmt: skip

    def test_without_a_preset_nothing_is_recorded(
        self, template_clone: Path, tmp_path: Path
    ) -> None:
        """Projects without a preset keep the answers file they had (a dry run is enough)."""
        worker = copier.run_copy(str(template_clone), tmp_path / "p", defaults=True,
                                 vcs_ref="HEAD", quiet=True, pretend=True)  # fmt: skip
        # What Copier writes to .copier-answers.yml (no public API exposes it).
        remembered = worker._answers_to_remember()  # noqa: SLF001
        assert "preset" not in remembered
        assert remembered["broker"] == "redis"


class TestMalformedPreset:
    """A typo in the preset is refused, never silently allowing everything."""

    @pytest.mark.parametrize(
        ("preset", "problem"),
        [
            ("acme", "preset must be a mapping"),
            ({"allowed": {"broker": ["rabbitmq"]}}, "preset needs a `name`"),
            ({"name": "acme", "alowed": {}}, "unknown keys alowed"),
            ({"name": "acme", "allowed": {"brokers": ["rabbitmq"]}}, "`allowed` names brokers"),
            ({"name": "acme", "allowed": {"broker": "rabbitmq"}}, f"allowed.broker {NON_EMPTY}"),
            ({"name": "acme", "allowed": {"broker": []}}, f"allowed.broker {NON_EMPTY}"),
            ({"name": "acme", "allowed": ["broker"]}, "`allowed` must map questions"),
        ],
        ids=["not-mapping", "no-name", "unknown-key", "bad-question", "string", "empty", "list"],
    )  # fmt: skip
    def test_is_refused(
        self, template_clone: Path, tmp_path: Path, preset: Any, problem: str
    ) -> None:
        with pytest.raises(ValueError, match="Validation error for question 'preset'") as refused:
            copier.run_copy(str(template_clone), tmp_path / "p", data={"preset": preset},
                            defaults=True, vcs_ref="HEAD", quiet=True, pretend=True)  # fmt: skip
        assert problem in str(refused.value)


@pytest.mark.update
def test_an_update_without_the_preset_file_keeps_it(
    released_template: ReleasedTemplate, preset_file: Path, tmp_path: Path
) -> None:
    """Generated with the preset, updated to a newer release without it: the preset and the
    fixed answers stay recorded, and a forbidden answer is still refused."""
    project = tmp_path / "acme-orders"
    created = copier_cli("copy", "--defaults", "--vcs-ref", released_template.head,
                         "--data-file", str(preset_file), released_template.src, str(project),
                         cwd=tmp_path)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert recorded_answers(project)["preset"] == PRESET["preset"]
    init_git(project)
    preset_file.unlink()
    # A newer release that appends a line to the README.
    readme = released_template.path / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA line of release 99.0.1.\n")
    commit_all(released_template.path, "Release 99.0.1")
    git("tag", "99.0.1", cwd=released_template.path)

    updated = copier_cli("update", "--defaults", cwd=project)
    assert updated.returncode == 0, updated.stderr
    recorded = recorded_answers(project)
    assert recorded["_commit"] == "99.0.1"
    assert "A line of release 99.0.1." in (project / "README.md").read_text()
    assert recorded["preset"] == PRESET["preset"]
    assert {key: recorded[key] for key in FIXED} == FIXED
    commit_all(project, "Update to 99.0.1")

    before = (project / ".copier-answers.yml").read_text()
    refused = copier_cli("update", "--defaults", "-d", "broker=redis", cwd=project)
    assert refused.returncode != 0
    assert "organisation preset 'acme-platform' (rule allowed.broker" in refused.stderr
    assert (project / ".copier-answers.yml").read_text() == before


def test_the_readme_shows_this_preset() -> None:
    """The README's worked example is the file these tests use."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert PRESET_FILE in readme
