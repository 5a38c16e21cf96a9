"""Every valid name renders a project that passes its own lint: names drawn by hypothesis.

Context names and project names end up in module paths, imports, docstrings, strings and
TOML. A name the validators accept must never make a generated line too long or leave code
that `ruff format` would rewrite. Each draw renders the Python and TOML files of a project
(no sync, so it stays fast) and runs the project's ruff; the longest names also run the full
checks in tests/test_generated.py's matrix.
"""

from __future__ import annotations

import filecmp
import os
import re
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import copier
import pytest
from conftest import COPIER_CONFIG, TEMPLATE_ROOT, fast_copier, find_tool, recorded_answers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NAMES_JINJA = (TEMPLATE_ROOT / "includes" / "names.jinja").read_text()
MAX_NAME_LENGTH = int(re.search(r"set max_name_length = (\d+)", NAMES_JINJA)[1])
MAX_PROJECT_NAME_LENGTH = 50
# Only Python, TOML and the answers file matter to ruff; the rest is validated elsewhere.
NOT_CHECKED_HERE = [
    "deploy", "docs", ".github", ".gitlab", ".gitlab-ci.yml", "Dockerfile", "compose*.yaml",
    "*.md", ".env.example", "renovate.json", ".otel-collector.yaml", ".pre-commit-config.yaml",
]  # fmt: skip
# Three tests: 300 draws in `nox -s full` (about 4 minutes of its wall time on 2 cores), spread
# over the xdist workers; the fast `nox` session draws 10 per test (GROUNDWORK_NAME_DRAWS).
DRAWS_PER_TEST = int(os.environ.get("GROUNDWORK_NAME_DRAWS", "100"))


def _names_from_jinja(variable: str) -> set[str]:
    block = re.search(rf"set {variable} = \[(.*?)\]", NAMES_JINJA, re.DOTALL)
    return set(re.findall(r'"([a-z_]+)"', block[1]))


YAML_WORDS = _names_from_jinja("yaml_words")
REFUSED = (
    _names_from_jinja("python_keywords")
    | _names_from_jinja("shadowed_imports")
    | _names_from_jinja("reserved_context_names")
    | _names_from_jinja("yaml_words")
)


def identifiers(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Context names as the validator accepts them: a letter, ..., a letter or digit."""
    first = st.sampled_from("abcdefghijklmnopqrstuvwxyz")
    rest = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=min_size - 1,
                   max_size=max_size - 1)  # fmt: skip
    return st.builds(lambda a, b: a + b, first, rest).filter(
        lambda name: name not in REFUSED and not name.endswith("_")
    )


# Short and long names mixed: the long ones are what breaks lines, the short ones what
# ruff's formatter joins back onto one line.
context_names = st.one_of(
    identifiers(1, 8), identifiers(MAX_NAME_LENGTH - 5, MAX_NAME_LENGTH), identifiers(1, 30)
)
project_names = st.builds(
    lambda first, rest: (first + rest).rstrip() or first,
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -'&.,!é",
            max_size=MAX_PROJECT_NAME_LENGTH - 1),
)  # fmt: skip
ARCHITECTURES = list(COPIER_CONFIG["architecture"]["choices"].values())


@st.composite
def answers(draw: st.DrawFn, *, long_package: bool = False) -> dict[str, Any]:
    """A valid set of answers: 1-5 unique contexts, any architecture, a drawn project name."""
    chosen: dict[str, Any] = {"project_name": draw(project_names)}
    if long_package:
        chosen["project_package"] = draw(identifiers(MAX_NAME_LENGTH - 3, MAX_NAME_LENGTH))
    package = chosen.get("project_package") or _default_package(chosen["project_name"])
    contexts = draw(
        st.lists(context_names, min_size=1, max_size=5, unique=True).filter(
            lambda names: all(allowed_beside(package, n) for n in names)
        )
    )
    chosen["contexts"] = contexts
    architecture = draw(st.sampled_from(ARCHITECTURES if len(contexts) > 1 else ARCHITECTURES[::2]))
    chosen["architecture"] = architecture
    if architecture == "hybrid":
        chosen["services"] = draw(
            st.lists(st.sampled_from(contexts), min_size=1, max_size=len(contexts) - 1, unique=True)
        )
    return chosen


def allowed_beside(package: str, context: str) -> bool:
    """The validator refuses a context named like the package, or as one of its modules."""
    return context != package and not context.startswith(package + "_")


def _default_package(project_name: str) -> str:
    dashed = re.sub(r"[^a-z0-9]+", "-", project_name.lower())
    slug = re.sub(r"^[-0-9]+", "", dashed)[:40].rstrip("-")
    if not slug or slug in YAML_WORDS:
        slug = f"{slug}-project".lstrip("-")
    return slug.replace("-", "_")[:30].rstrip("_")


def generated_ruff(project: Path) -> list[str]:
    """The ruff the generated project pins: ours when the versions agree, else uv's copy."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    (pin,) = [d for d in pyproject["dependency-groups"]["dev"] if d.startswith("ruff==")]
    ours = find_tool("ruff")
    version = subprocess.run([ours, "--version"], capture_output=True, text=True).stdout
    if ours and version.split()[-1] == pin.removeprefix("ruff=="):
        return [ours]
    return ["uv", "tool", "run", "--from", pin, "ruff"]


def render_for_ruff(template: Path, chosen: dict[str, Any], project: Path) -> None:
    with fast_copier():
        copier.run_copy(
            str(template), project, data=chosen, defaults=True, quiet=True,
            exclude=NOT_CHECKED_HERE,
        )  # fmt: skip


def check_names(template_tree: Path, chosen: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as destination:
        project = Path(destination)
        render_for_ruff(template_tree, chosen, project)
        recorded = recorded_answers(project)
        assert recorded["contexts"] == chosen["contexts"]
        for toml_file in project.rglob("*.toml"):
            tomllib.loads(toml_file.read_text())  # names never break TOML
        ruff = generated_ruff(project)
        for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
            result = subprocess.run([*ruff, *command], cwd=project, capture_output=True, text=True)
            assert result.returncode == 0, (
                f"ruff {command[0]} failed for {chosen}:\n{result.stdout[-4000:]}{result.stderr}"
            )


HYPOTHESIS = settings(
    max_examples=DRAWS_PER_TEST,
    deadline=None,
    derandomize=True,  # the same draws on every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class TestNames:
    """Any names the validators accept give a project that passes ruff check and format."""

    @HYPOTHESIS
    @given(chosen=answers())
    def test_drawn_contexts_and_project_names(
        self, template_tree: Path, chosen: dict[str, Any]
    ) -> None:
        """1-5 contexts of mixed lengths, any architecture, a drawn project name."""
        check_names(template_tree, chosen)

    @HYPOTHESIS
    @given(chosen=answers(long_package=True))
    def test_drawn_names_with_the_longest_package(
        self, template_tree: Path, chosen: dict[str, Any]
    ) -> None:
        """The import prefix at its maximum length, with any contexts."""
        check_names(template_tree, chosen)

    @HYPOTHESIS
    @given(
        chosen=answers(),
        extra=st.lists(identifiers(MAX_NAME_LENGTH, MAX_NAME_LENGTH), min_size=1, max_size=3,
                       unique=True),
    )  # fmt: skip
    def test_drawn_names_beside_the_example_contexts(
        self, template_tree: Path, chosen: dict[str, Any], extra: list[str]
    ) -> None:
        """catalog and billing (the example flow) beside names of the maximum length."""
        package = _default_package(chosen["project_name"])
        extra = [n for n in extra
                 if n not in ("catalog", "billing") and allowed_beside(package, n)]  # fmt: skip
        contexts = ["catalog", "billing", *extra]
        check_names(
            template_tree, {"project_name": chosen["project_name"], "contexts": contexts[:5]}
        )


@pytest.mark.parametrize(
    "chosen",
    [
        pytest.param({"contexts": ["customer_notifications"]}, id="customer-notifications"),
        pytest.param(
            {"project_name": "Shop " * 9 + "Final", "project_package": "p" * MAX_NAME_LENGTH,
             "contexts": [c * MAX_NAME_LENGTH for c in "abcde"], "architecture": "hybrid",
             "services": ["b" * MAX_NAME_LENGTH]},
            id="everything-at-its-maximum",
        ),
    ],
)  # fmt: skip
def test_known_long_names(template_tree: Path, chosen: dict[str, Any]) -> None:
    """The names that broke lint before the length rules existed."""
    check_names(template_tree, chosen)


@pytest.mark.parametrize(
    ("chosen", "exclude"),
    [
        pytest.param({"contexts": ["catalog", "billing", "s" * MAX_NAME_LENGTH],
                      "architecture": "hybrid", "services": ["billing"]},
                     NOT_CHECKED_HERE, id="a-draw"),
        pytest.param({"architecture": "microservices", "broker": "rabbitmq", "ci": "gitlab",
                      "contexts": ["catalog", "billing", "orders"]}, [], id="every-file"),
    ],
)  # fmt: skip
def test_fast_renders_write_what_copier_writes(
    template_clone: Path, template_tree: Path, tmp_path: Path, chosen: dict[str, Any],
    exclude: list[str],
) -> None:  # fmt: skip
    """The speed-ups (a plain folder here, fast_copier here and in the `render` fixture)
    change no rendered byte: only the answers file's _commit and _src_path differ. The second
    fast render loads what the first compiled (fast_copier's caches outlive one render)."""
    plain, from_ref, from_tree = tmp_path / "plain", tmp_path / "ref", tmp_path / "tree"
    copier.run_copy(str(template_clone), plain, data=chosen, defaults=True, vcs_ref="HEAD",
                    quiet=True, exclude=exclude)  # fmt: skip
    with fast_copier():
        copier.run_copy(str(template_clone), from_ref, data=chosen, defaults=True,
                        vcs_ref="HEAD", quiet=True, exclude=exclude)  # fmt: skip
        copier.run_copy(str(template_tree), from_tree, data=chosen, defaults=True, quiet=True,
                        exclude=exclude)  # fmt: skip
    files = sorted(str(p.relative_to(plain)) for p in plain.rglob("*") if p.is_file())
    assert len(files) > 50
    for fast, differ_expected in ((from_ref, []), (from_tree, [".copier-answers.yml"])):
        assert files == sorted(str(p.relative_to(fast)) for p in fast.rglob("*") if p.is_file())
        _, differ, errors = filecmp.cmpfiles(plain, fast, files, shallow=False)
        assert (differ, errors) == (differ_expected, [])
        modes = [f for f in files if (plain / f).stat().st_mode != (fast / f).stat().st_mode]
        assert modes == []
