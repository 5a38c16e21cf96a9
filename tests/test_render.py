"""What a render produces for every combination in the matrix, without running it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import copier
import pytest
from conftest import Render, fast_copier, recorded_answers
from matrix import MATRIX, narrowed

# Jinja as written in our templates: `{{ name`, `{%- if`. Mermaid's `{{label}}` (a hexagon)
# and GitHub's `${{ ... }}` are not leftovers.
JINJA_LEFTOVER = re.compile(
    r"(?<!\$){{-? [a-z_]|{%-? *(if|for|set|endif|endfor|yield|from|include)\b"
)
SECRET_WORDS = ("password", "secret", "token", "api_key", "private_key")


def all_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file() and ".git" not in path.parts]


@pytest.fixture(name="project", scope="session", params=narrowed())
def _project(
    request: pytest.FixtureRequest, template_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """One render per combination (per xdist worker): the tests of TestRender only read it."""
    answers = MATRIX[request.param].answers
    destination = tmp_path_factory.mktemp(request.param) / "project"
    with fast_copier():
        copier.run_copy(str(template_clone), destination, data=answers, defaults=True,
                        vcs_ref="HEAD", quiet=True)  # fmt: skip
    return destination, answers


class TestRender:
    """Every combination renders completely and records its answers."""

    def test_no_unrendered_jinja(self, project: tuple[Path, dict[str, Any]]) -> None:
        root, _ = project
        leftovers = []
        for path in all_files(root):
            assert not path.name.endswith(".jinja"), f"template suffix left on {path}"
            text = path.read_text(errors="replace")
            if JINJA_LEFTOVER.search(text):
                leftovers.append(str(path.relative_to(root)))
            assert "{%" not in str(path.relative_to(root)), path
            assert "{{" not in str(path.relative_to(root)), path
        assert leftovers == []

    def test_answers_file_is_complete_and_holds_no_secret(
        self, project: tuple[Path, dict[str, Any]]
    ) -> None:
        root, answers = project
        recorded = recorded_answers(root)
        for name, value in answers.items():
            if name == "services" and answers.get("architecture") != "hybrid":
                continue
            assert recorded[name] == value
        assert {"_commit", "_src_path"} <= set(recorded)
        assert not [key for key in recorded if any(word in key for word in SECRET_WORDS)]

    def test_one_package_per_context(self, project: tuple[Path, dict[str, Any]]) -> None:
        root, answers = project
        contexts = answers.get("contexts", ["catalog", "billing"])
        assert sorted(p.name for p in (root / "contexts").iterdir()) == sorted(contexts)
        for name in contexts:
            assert (root / "contexts" / name / "pyproject.toml").is_file()
            assert (root / "contexts" / name / "src" / name / "__init__.py").is_file()

    def test_workspace_lists_every_package(self, project: tuple[Path, dict[str, Any]]) -> None:
        import tomllib

        root, _ = project
        pyproject = tomllib.loads((root / "pyproject.toml").read_text())
        members = pyproject["tool"]["uv"]["workspace"]["members"]
        for package_dir in [p.parent for p in root.glob("*/pyproject.toml")] + [
            p.parent for p in root.glob("contexts/*/pyproject.toml")
        ]:
            relative = package_dir.relative_to(root).as_posix()
            assert any(Path(relative).match(member) for member in members), relative

    def test_ci_files_follow_the_answer(self, project: tuple[Path, dict[str, Any]]) -> None:
        root, answers = project
        ci = answers.get("ci", "github")
        # .github/workflows/team.yml, the team's extension point, exists whatever ci is.
        assert (root / ".github" / "workflows" / "ci.yml").is_file() == (ci == "github")
        assert (root / ".gitlab-ci.yml").is_file() == (ci == "gitlab")

    def test_readme_states_ownership(self, project: tuple[Path, dict[str, Any]]) -> None:
        root, _ = project
        readme = (root / "README.md").read_text()
        assert "contexts/" in readme
        assert "copier update" in readme


def test_context_skeletons_are_team_owned() -> None:
    """Contexts are written once: an update never rewrites them."""
    from conftest import COPIER_CONFIG

    assert "contexts/**" in COPIER_CONFIG["_skip_if_exists"]


def module_names(path: Path) -> set[str]:
    """Names a Python module assigns or defines at its top level."""
    import ast

    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


class TestExampleFlow:
    """The catalog→billing example is its own set of files; every other context is a skeleton."""

    def test_the_example_is_on_by_default_and_billing_has_no_items(self, render: Render) -> None:
        root = render()
        catalog = root / "contexts" / "catalog" / "src" / "catalog"
        billing = root / "contexts" / "billing" / "src" / "billing"
        assert (catalog / "entrypoints" / "readers.py").is_file()
        assert {"items", "orders"} <= module_names(catalog / "adapters" / "orm.py")
        assert "items" not in module_names(billing / "adapters" / "orm.py")
        assert "create_item" not in module_names(billing / "entrypoints" / "http.py")
        assert (root / "app/src/acme_shop_app/tests/test_order_flow.py").is_file()

    def test_without_the_example_catalog_and_billing_get_the_skeleton(self, render: Render) -> None:
        root = render(example_flow=False)
        for name in ("catalog", "billing"):
            package = root / "contexts" / name / "src" / name
            assert not (package / "entrypoints" / "readers.py").exists()
            assert module_names(package / "adapters" / "orm.py") >= {"items", "start_mappers"}
            assert "orders" not in module_names(package / "adapters" / "orm.py")
        assert not (root / "app/src/acme_shop_app/tests/test_order_flow.py").exists()

    def test_a_context_of_any_name_gets_the_same_skeleton(self, render: Render) -> None:
        """The skeleton depends on no context name: two renders differ only by the name."""
        first = render(contexts=["orders"]) / "contexts" / "orders"
        second = render(contexts=["shipping"]) / "contexts" / "shipping"
        for path in sorted(p for p in first.rglob("*") if p.is_file()):
            relative = path.relative_to(first).as_posix().replace("orders", "shipping")
            text = path.read_text().replace("orders", "shipping").replace("Orders", "Shipping")
            assert text == (second / relative).read_text(), relative
