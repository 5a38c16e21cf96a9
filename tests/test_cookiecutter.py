"""The Cookiecutter entry point: same questions, same checks, the same project as Copier.

cookiecutter.json mirrors copier.yml (kept in sync here); its hooks validate with Copier's
own validators and render with `copier.run_copy`, so both entry points produce one tree.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from conftest import (
    COPIER_CONFIG,
    MATRIX,
    TEMPLATE_ROOT,
    Render,
    clone_working_tree,
    find_tool,
    recorded_answers,
    selected_matrix,
)
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from gitrepo import commit_all, git
from team_edits import edit_team_files, leftovers, lost_lines
from test_questions import BAD_ANSWERS

COOKIECUTTER: dict[str, Any] = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())
# What cookiecutter.json holds where Copier computes the default from other answers.
DERIVED, RECOMMENDED = "", "recommended"
# Files only one engine writes; nothing else may differ between the two trees.
ENGINE_METADATA: set[str] = set()
BACKSTAGE = TEMPLATE_ROOT / "docs" / "backstage" / "template.yaml"


def asked_questions() -> dict[str, dict[str, Any]]:
    """The Copier questions a user answers (computed ones, `when: false`, are not asked)."""
    return {
        name: spec
        for name, spec in COPIER_CONFIG.items()
        if not name.startswith("_") and spec.get("when") is not False
    }


def as_cookiecutter_value(value: Any) -> str:
    """An answer as a user types it for Cookiecutter (`key=value` on its command line)."""
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def run_cookiecutter(template: Path, output: Path, answers: dict[str, Any]) -> Path:
    """`cookiecutter --no-input <template> key=value ...` with its own config and replay dirs."""
    config = output.parent / f"{output.name}-cookiecutter.yaml"
    config.write_text(
        yaml.safe_dump({
            "cookiecutters_dir": str(output.parent / "cookiecutters"),
            "replay_dir": str(output.parent / "replay"),
        })
    )  # fmt: skip
    extra = {key: as_cookiecutter_value(value) for key, value in answers.items()}
    return Path(
        cookiecutter(
            str(template), no_input=True, extra_context=extra, output_dir=str(output),
            config_file=str(config),
        )
    )  # fmt: skip


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


class TestSync:
    """cookiecutter.json asks every Copier question with the same default and choices."""

    @pytest.mark.parametrize("name", list(asked_questions()))
    def test_question_has_the_same_default_and_choices(self, name: str) -> None:
        spec = asked_questions()[name]
        assert name in COOKIECUTTER, f"cookiecutter.json lacks the Copier question {name}"
        assert name in COOKIECUTTER["__prompts__"], f"cookiecutter.json has no prompt for {name}"
        value = COOKIECUTTER[name]
        default = spec.get("default")
        computed = isinstance(default, str) and "{{" in default
        choices = list(spec.get("choices", {}).values())
        if spec.get("type") == "bool":
            choices = [True, False]
        if choices:
            expected_first = RECOMMENDED if computed else as_cookiecutter_value(default)
            assert value[0] == expected_first, f"{name}: the first choice is the default"
            offered = set(value) - {RECOMMENDED}
            assert offered == set(map(as_cookiecutter_value, choices)), name
        else:
            expected = (
                DERIVED
                if computed
                else as_cookiecutter_value(
                    yaml.safe_load(default) if spec.get("type") == "yaml" else default
                )
            )
            assert value == expected, f"{name}: cookiecutter default {value!r} != {expected!r}"

    def test_no_key_without_a_copier_question(self) -> None:
        extra = {k for k in COOKIECUTTER if not k.startswith("_")} - set(asked_questions())
        assert extra == set()


# Each combination of the declared matrix (arch x broker x ci, ...), narrowed like every other
# render by GROUNDWORK_MATRIX: `nox` checks the default one, `nox -s full` all of them.
PARITY = selected_matrix()


@pytest.mark.generated
class TestParity:
    """`cookiecutter --no-input` and `copier copy --defaults` give identical projects."""

    @pytest.mark.parametrize("combination", PARITY)
    def test_same_tree_as_copier(
        self, render: Render, template_clone: Path, tmp_path: Path, combination: str
    ) -> None:
        answers = MATRIX[combination].answers
        by_copier = render(**answers)
        by_cookiecutter = run_cookiecutter(template_clone, tmp_path / "cc", answers)
        copier_tree, cookiecutter_tree = tree(by_copier), tree(by_cookiecutter)
        for name in ENGINE_METADATA:
            copier_tree.pop(name, None), cookiecutter_tree.pop(name, None)
        assert sorted(cookiecutter_tree) == sorted(copier_tree)
        differing = [name for name in copier_tree if copier_tree[name] != cookiecutter_tree[name]]
        assert differing == []


class TestRefusals:
    """Bad answers are refused with Copier's message, and no project folder is left."""

    @pytest.mark.parametrize(
        ("answers", "question"),
        [p for p in BAD_ANSWERS if set(p.values[0]) & {"project_name", "project_slug",
                                                       "project_package", "contexts"}],
    )  # fmt: skip
    def test_bad_name_is_refused(
        self, template_clone: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str],
        answers: dict[str, Any], question: str,
    ) -> None:  # fmt: skip
        output = tmp_path / "out"
        with pytest.raises(FailedHookException):
            run_cookiecutter(template_clone, output, answers)
        assert f"Validation error for question '{question}'" in capfd.readouterr().err
        assert list(output.iterdir()) == []

    def test_without_copier_one_line_says_what_to_install(self, tmp_path: Path) -> None:
        """Cookiecutter's interpreter lacks Copier: nothing written, the fix in one line."""
        venv = tmp_path / "venv"
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        uv = find_tool("uv") or "uv"
        subprocess.run([uv, "venv", "--quiet", str(venv)], check=True, env=env)
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
             "cookiecutter>=2.7"], check=True, env=env,
        )  # fmt: skip
        output = tmp_path / "out"
        output.mkdir()
        result = subprocess.run(
            [str(venv / "bin" / "cookiecutter"), "--no-input", str(TEMPLATE_ROOT)],
            cwd=output, capture_output=True, text=True, env=env,
        )  # fmt: skip
        assert result.returncode != 0
        assert "pipx inject cookiecutter copier" in result.stderr
        assert "uv tool install cookiecutter --with copier" in result.stderr
        assert list(output.iterdir()) == []


@pytest.mark.update
def test_a_cookiecutter_project_updates_with_copier(tmp_path: Path) -> None:
    """Generated through Cookiecutter, edited by its team, updated by `copier update`."""
    template = clone_working_tree(tmp_path / "groundwork")
    project = run_cookiecutter(template, tmp_path / "out", {})
    answers = recorded_answers(project)
    assert answers["_src_path"] == str(template)
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "Generate through Cookiecutter")
    team_lines = edit_team_files(project, "cookiecutter")
    # A later template commit changes a template-owned file.
    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA line from a later template release.\n")
    commit_all(template, "Later release")
    copier.run_update(project, defaults=True, overwrite=True, vcs_ref="HEAD", quiet=True)
    assert "A line from a later template release." in (project / "README.md").read_text()
    assert lost_lines(project, team_lines) == []
    assert leftovers(project) == {}


class TestBackstage:
    """docs/backstage/template.yaml asks what cookiecutter.json asks and passes it on."""

    def _template(self) -> dict[str, Any]:
        return yaml.safe_load(BACKSTAGE.read_text())

    def _properties(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for page in self._template()["spec"]["parameters"]:
            found.update(page.get("properties", {}))
        return found

    def test_every_question_is_a_parameter_with_the_same_default(self) -> None:
        properties = self._properties()
        for name, value in COOKIECUTTER.items():
            if name.startswith("_"):
                continue
            assert name in properties, f"the Backstage template does not ask {name}"
            if isinstance(value, list):
                assert properties[name]["enum"] == value, name
                assert properties[name]["default"] == value[0], name
            else:
                assert properties[name].get("default", "") == value, name

    def test_fetch_cookiecutter_passes_every_answer(self) -> None:
        steps = {step["action"]: step for step in self._template()["spec"]["steps"]}
        assert {"fetch:cookiecutter", "publish:github", "catalog:register"} <= set(steps)
        values = steps["fetch:cookiecutter"]["input"]["values"]
        for name in (k for k in COOKIECUTTER if not k.startswith("_")):
            assert values[name] == "${{ parameters.%s }}" % name  # noqa: UP031 - Backstage syntax


class TestRecordedSource:
    """The answers file records an address `copier update` can reach later."""

    @pytest.fixture(name="hook")
    def _hook(self) -> Any:
        import importlib
        import sys

        sys.path.insert(0, str(TEMPLATE_ROOT / "hooks"))
        try:
            return importlib.import_module("cookiecutter_to_copier")
        finally:
            sys.path.remove(str(TEMPLATE_ROOT / "hooks"))

    def test_a_url_given_is_recorded_as_given(self, hook: Any, tmp_path: Path) -> None:
        url = "https://git.example.invalid/platform/groundwork.git"
        assert hook.template_address({"_template": url}, tmp_path) == url

    def test_a_local_checkout_records_its_published_remote(self, hook: Any, tmp_path: Path) -> None:
        url = "https://git.example.invalid/platform/groundwork.git"
        git("init", "--quiet", cwd=tmp_path)
        git("remote", "add", "origin", url, cwd=tmp_path)
        assert hook.template_address({"_template": "."}, tmp_path) == url

    def test_a_local_checkout_without_a_url_remote_records_its_path(
        self, hook: Any, tmp_path: Path
    ) -> None:
        git("init", "--quiet", cwd=tmp_path)
        git("remote", "add", "origin", "/srv/git/groundwork", cwd=tmp_path)
        assert hook.template_address({"_template": "."}, tmp_path) == str(tmp_path)
