"""Shared fixtures: the template as a real git ref, a `render` factory, running projects."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

import copier
import jinja2
import jinja2.bccache
import pytest
import yaml
from gitrepo import commit_all, git

# The one answer matrix lives in matrix.py; these names stay importable from here.
from matrix import COPIER_CONFIG, MATRIX, TEMPLATE_ROOT
from matrix import narrowed as selected_matrix

__all__ = ["COPIER_CONFIG", "MATRIX", "TEMPLATE_ROOT", "selected_matrix"]


def clone_working_tree(destination: Path) -> Path:
    """Clone the template and commit the uncommitted work, so a real ref holds it."""
    subprocess.run(
        [
            "git",
            "clone",
            "--quiet",
            "--no-local",
            "--no-tags",
            str(TEMPLATE_ROOT),
            str(destination),
        ],
        check=True,
    )
    tracked_or_new = git(
        "ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=TEMPLATE_ROOT
    ).split("\0")
    for relative in filter(None, tracked_or_new):
        source = TEMPLATE_ROOT / relative
        target = destination / relative
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif target.exists():
            target.unlink()  # deleted in the working tree
    if git("status", "--porcelain", cwd=destination).strip():
        commit_all(destination, "Uncommitted work under test")
    return destination


@pytest.fixture(name="template_clone", scope="session")
def _template_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide clone of the template holding the working tree as its HEAD."""
    return clone_working_tree(tmp_path_factory.mktemp("template") / "groundwork")


@pytest.fixture(name="template_tree", scope="session")
def _template_tree(template_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clone's HEAD as plain files: Copier renders a folder in place, where it would clone
    a git template once per draw. Only the answers file's _commit differs (ruff skips it)."""
    tree = tmp_path_factory.mktemp("template-tree") / "groundwork"
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=template_clone, check=True,
                             capture_output=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="tar")
    return tree


Render = Callable[..., Path]


def recorded_answers(project: Path) -> dict[str, Any]:
    """The answers a rendered project recorded in its answers file."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


class _SharedBytecode(jinja2.BytecodeCache):
    """Jinja's bytecode cache in memory: a template file compiled once per test process.

    Keyed by the file's path in the template, not on disk: Copier clones a git template to a
    new folder for every render. Jinja compiles again when the source's checksum differs.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return name

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()
# Compiled strings (path segments, defaults, the answers file's name), shared by every render
# of a test process: each Copier run makes a new environment of the same configuration.
_COMPILED_STRINGS: dict[tuple[str, str], CodeType] = {}


@contextmanager
def fast_copier() -> Iterator[None]:
    """Copier without per-file costs that change no output, for renders into a folder outside
    git (tests/test_names.py renders with and without it and compares the bytes).

    - Copier compiles every path segment, and the answers file's name once per segment, from
      source each time, and every template file once per render: here each distinct string
      and file is compiled once per test process (keyed by the environment's configuration
      and the source), then loaded. The yield tag's reset, which Copier's extension does
      while compiling, is repeated on a cache hit.
    - After each file Copier runs `git config` in the destination to mirror the executable
      bit into its index, a no-op outside a git repository: skipped.
    """
    import copier._main as copier_main
    from copier._jinja_ext import SandboxedEnvironment, get_yield_context

    plain_init = SandboxedEnvironment.__init__
    plain = SandboxedEnvironment.from_string
    git_available = copier_main.is_git_available

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        plain_init(self, *args, **{"bytecode_cache": _BYTECODE, **kwargs})

    def from_string(self: Any, source: Any, globals: Any = None, template_class: Any = None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return plain(self, source, globals, template_class)
        key = (_configuration(self), source)
        if key in _COMPILED_STRINGS:
            reset = get_yield_context(self)
            reset.yield_name, reset.yield_iterable = None, None
        else:
            _COMPILED_STRINGS[key] = self.compile(source)
        return self.template_class.from_code(self, _COMPILED_STRINGS[key], self.make_globals(None))

    SandboxedEnvironment.__init__ = init  # type: ignore[method-assign]
    SandboxedEnvironment.from_string = from_string  # type: ignore[method-assign]
    copier_main.is_git_available = lambda: False
    try:
        yield
    finally:
        SandboxedEnvironment.__init__ = plain_init  # type: ignore[method-assign]
        SandboxedEnvironment.from_string = plain  # type: ignore[method-assign]
        copier_main.is_git_available = git_available


def _configuration(environment: jinja2.Environment) -> str:
    """What compiling depends on besides the source: syntax, options and extensions."""
    return repr((
        environment.block_start_string, environment.block_end_string,
        environment.variable_start_string, environment.variable_end_string,
        environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix,
        environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
        environment.keep_trailing_newline, environment.optimized, sorted(environment.extensions),
    ))  # fmt: skip


@pytest.fixture(name="render")
def _render(template_clone: Path, tmp_path: Path) -> Render:
    """Render the template at HEAD with default answers overridden by keyword arguments."""
    counter = iter(range(1_000))

    def render(*, template: Path | None = None, **answers: Any) -> Path:
        destination = tmp_path / f"project{next(counter)}"
        with fast_copier():  # the same bytes (tests/test_names.py compares), sooner
            copier.run_copy(
                str(template or template_clone),
                destination,
                data=answers,
                defaults=True,
                vcs_ref="HEAD",
                quiet=True,
            )
        return destination

    return render


# --- running generated projects ------------------------------------------------------


@pytest.fixture(name="shared_mypy_cache", autouse=True, scope="session")
def _shared_mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One mypy cache per test process for every generated project: the libraries they share
    (SQLAlchemy, FastAPI, Celery...) are analysed once, not once per project (13 s -> 2 s).
    The cache is keyed by module and content, so a project's own errors are still found."""
    os.environ.setdefault("MYPY_CACHE_DIR", str(tmp_path_factory.mktemp("mypy-cache")))


UV_CACHE_DIR = Path(os.environ.get("GROUNDWORK_UV_CACHE", Path.home() / ".cache" / "uv"))


def python_for(version: str) -> str:
    """Path of an installed interpreter for `version`; skips the test when there is none."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        *sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True),
        *filter(None, [shutil.which(f"python{version}")]),
    ]
    for candidate in map(str, candidates):
        # pyenv's shims exist for versions that are not active, so ask each one.
        probe = subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    pytest.skip(f"Python {version} is not installed here (uv cannot download it offline)")


def find_tool(name: str) -> str | None:
    """A command of the template's dev environment (beside this interpreter) or on PATH."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def developer_env() -> dict[str, str]:
    """The environment as on a developer's machine, where bytecode is written and reused.

    Where PYTHONDONTWRITEBYTECODE is set (this project's CI machines), every process a test
    starts in a generated project (pytest, API servers, workers) would compile all its
    libraries again, and the bench's every Copier run would compile Copier.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def project_env(**extra: str) -> dict[str, str]:
    """Environment for commands in a generated project: one shared uv cache, no downloads."""
    env = {
        key: value
        for key, value in developer_env().items()
        if not key.startswith(("VIRTUAL_ENV", "UV_PROJECT", "PYTHONPATH", "NOX_"))
    }
    env.update(UV_CACHE_DIR=str(UV_CACHE_DIR), UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    env.update(extra)
    return env


def run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
    timeout: int = 900,
):  # fmt: skip
    """Run a command (in a generated project); fail the test with its output when it fails."""
    result = subprocess.run(
        command, cwd=cwd, env=env or project_env(), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` failed in {cwd} (exit {result.returncode})\n"
            f"--- stdout ---\n{result.stdout[-8000:]}\n--- stderr ---\n{result.stderr[-8000:]}"
        )
    return result


def uv_sync(project: Path, python_version: str) -> None:
    """`uv sync` offline from the shared cache; online only when the cache lacks something."""
    command = ["uv", "sync", "--all-packages", "--python", python_for(python_version)]
    offline = subprocess.run(
        command, cwd=project, env=project_env(UV_OFFLINE="1"), capture_output=True, text=True
    )
    if offline.returncode != 0:
        run(command, project)


def load_template_bench() -> ModuleType:
    """bench/template_bench.py as a module (it is a script, not a package)."""
    bench = TEMPLATE_ROOT / "bench"
    sys.path.insert(0, str(bench))
    try:
        import template_bench
    finally:
        sys.path.remove(str(bench))
    return template_bench


def init_git(project: Path) -> None:
    """Commit the generated project, as a user does right after `copier copy`."""
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "Generate from groundwork")


# --- template releases and update reports (tests/test_update.py, tests/test_fleet.py) ---


@pytest.fixture(name="released_template")
def _released_template(tmp_path_factory: pytest.TempPathFactory):
    """A clone of its own per test: a tag per release in releases.toml, the work as 99.0.0."""
    from releases import load_releases, tag_releases

    clone = clone_working_tree(tmp_path_factory.mktemp("released") / "groundwork")
    return tag_releases(clone, load_releases())


# Minutes-long tests: renders with the project's own checks, real servers, update chains,
# hypothesis draws. Collected first so that, with `--dist worksteal` (noxfile.py), the two
# workers start on them and end together on short tests, not one waiting on a late long one.
SLOW_MARKERS = {"generated", "integration", "update"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def is_slow(item: pytest.Item) -> bool:
        if SLOW_MARKERS & {marker.name for marker in item.iter_markers()}:
            return True
        return bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))

    items.sort(key=lambda item: not is_slow(item))  # stable: file order within each group


# Update tests record these properties; the summary adds them up across xdist workers.
UPDATE_PROPERTIES = ("update_scenario", "update_steps", "team_lines_checked")
_SESSION_STARTED = pytest.StashKey[float]()


def pytest_sessionstart(session: pytest.Session) -> None:
    import time

    session.config.stash[_SESSION_STARTED] = time.perf_counter()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line (and build/update-report.json): scenarios, update steps, team lines checked."""
    import json
    import time

    if hasattr(config, "workerinput"):
        return
    scenarios = []
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            properties = dict(getattr(report, "user_properties", []))
            if "update_scenario" in properties and getattr(report, "when", "") == "call":
                scenarios.append({"test": report.nodeid, "outcome": outcome,
                                  "seconds": round(report.duration, 1), **properties})  # fmt: skip
    if not scenarios:
        return
    started = config.stash.get(_SESSION_STARTED, time.perf_counter())
    summary = {
        "scenarios": len(scenarios),
        "passed": sum(s["outcome"] == "passed" for s in scenarios),
        "update_steps": sum(int(s.get("update_steps", 0)) for s in scenarios),
        "team_lines_checked": sum(int(s.get("team_lines_checked", 0)) for s in scenarios),
        "scenario_seconds": round(sum(s["seconds"] for s in scenarios), 1),
        "session_wall_seconds": round(time.perf_counter() - started, 1),
    }
    destination = TEMPLATE_ROOT / "build" / "update-report.json"
    destination.parent.mkdir(exist_ok=True)
    destination.write_text(json.dumps({"summary": summary, "scenarios": scenarios}, indent=2))
    terminalreporter.write_line(
        f"update scenarios: {summary['passed']}/{summary['scenarios']} passed, "
        f"{summary['update_steps']} copier updates, {summary['team_lines_checked']} team-written "
        f"lines checked, {summary['scenario_seconds']} s in scenarios, "
        f"{summary['session_wall_seconds']} s session wall (details: {destination})"
    )
