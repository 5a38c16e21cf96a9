"""Generic code lives in the template-owned platform, so `copier update` can deliver fixes to it.

Copier deletes every file of the old render that the new render lacks, even under
`_skip_if_exists` and even when the team edited it, and it creates files that are new in the
template inside existing contexts. So the paths a context renders must never change between
releases; what changes is where the generic code lives (the platform) and what the context
files hold (thin bindings of it).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import copier
import pytest
from conftest import init_git, uv_sync
from gitrepo import commit_all, git
from releases import ReleasedTemplate
from team_edits import edit_team_files, leftovers, lost_lines
from test_generated import check_project

RELEASE = "0.1.0"
LATER = "99.1.0"
# The answers a 0.1.0 project could have had: the example pair, one context of the team's
# own, and three contexts deployed as microservices (the example pair plus a skeleton).
PATH_ANSWERS = {
    "default": {},
    "one-context": {"contexts": ["orders"]},
    "microservices-three": {
        "architecture": "microservices",
        "contexts": ["catalog", "billing", "shipping"],
    },
}
PLATFORM_FAKES = Path("template/platform/src/{{ project_package }}_platform/fakes.py.jinja")


def render(
    template: ReleasedTemplate, destination: Path, ref: str, answers: dict[str, Any]
) -> Path:
    copier.run_copy(template.src, destination, data=answers, defaults=True, vcs_ref=ref, quiet=True)
    return destination


def context_paths(project: Path) -> set[str]:
    return {
        path.relative_to(project).as_posix()
        for path in (project / "contexts").rglob("*")
        if path.is_file()
    }


class TestContextPaths:
    @pytest.mark.parametrize("answers_name", list(PATH_ANSWERS))
    def test_contexts_render_the_same_paths_as_the_release(
        self, released_template: ReleasedTemplate, tmp_path: Path, answers_name: str
    ) -> None:
        """HEAD renders exactly the files 0.1.0 rendered under contexts/: none deleted, none new."""
        answers = PATH_ANSWERS[answers_name]
        released = render(released_template, tmp_path / "released", RELEASE, answers)
        head = render(released_template, tmp_path / "head", released_template.head, answers)
        old, new = context_paths(released), context_paths(head)
        assert sorted(old - new) == [], "an update would delete these team files"
        assert sorted(new - old) == [], "an update would add these files to existing contexts"


def attributes_set_in_init(source: str, class_name: str) -> set[str]:
    """Names assigned as `self.<name>` in `class_name.__init__` of a Python module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            init = next(
                item
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name == "__init__"
            )
            return {
                target.attr
                for statement in ast.walk(init)
                if isinstance(statement, ast.Assign | ast.AnnAssign)
                for target in (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                if isinstance(target, ast.Attribute)
            }
    raise AssertionError(f"no class {class_name}")


def release_a_platform_change(template: ReleasedTemplate) -> None:
    """A later template commit: the platform's fake unit of work also counts rollbacks."""
    fakes = template.path / PLATFORM_FAKES
    text = fakes.read_text(encoding="utf-8")
    init = "        self.commits = 0\n"
    rollback = '        """Nothing to undo: a test inspects what was committed."""\n'
    assert init in text, "the platform's FakeUnitOfWork changed shape"
    assert rollback in text, "the platform's FakeUnitOfWork changed shape"
    text = text.replace(init, init + "        self.rollbacks = 0\n")
    text = text.replace(rollback, rollback + "        self.rollbacks += 1\n")
    fakes.write_text(text, encoding="utf-8")
    commit_all(template.path, "Platform: the fake unit of work counts rollbacks")
    git("tag", LATER, cwd=template.path)


@pytest.mark.update
def test_a_platform_fix_reaches_a_project_whose_contexts_the_team_edited(
    released_template: ReleasedTemplate, tmp_path: Path, record_property: Any
) -> None:
    """A change to a platform helper in a later release arrives by update; team code stays."""
    project = render(released_template, tmp_path / "project", released_template.head, {})
    init_git(project)
    record_property("update_scenario", "platform-fix")
    team_lines = edit_team_files(project, "platform-fix")
    platform_fakes = project / "platform" / "src" / "acme_shop_platform" / "fakes.py"
    assert "rollbacks" not in attributes_set_in_init(platform_fakes.read_text(), "FakeUnitOfWork")

    release_a_platform_change(released_template)
    copier.run_update(
        str(project), defaults=True, overwrite=True, vcs_ref=LATER, conflict="inline", quiet=True
    )
    record_property("update_steps", 1)

    assert "rollbacks" in attributes_set_in_init(platform_fakes.read_text(), "FakeUnitOfWork")
    assert lost_lines(project, team_lines) == []
    record_property("team_lines_checked", len(team_lines))
    assert leftovers(project) == {}
    uv_sync(project, "3.11")
    check_project(project)
