# /// script
# dependencies = ["nox>=2025.5", "pyyaml>=6"]
# ///
"""Sessions for developing the groundwork template.

`nox` (no arguments) runs the fast sessions; `nox -s full` runs everything CI runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox
import yaml

nox.needs_version = ">=2025.5"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
COPIER = yaml.safe_load((ROOT / "copier.yml").read_text())
ARCHITECTURES = list(COPIER["architecture"]["choices"].values())
BROKERS = list(COPIER["broker"]["choices"].values())


def install(session: nox.Session) -> None:
    """Install the template's dev dependencies from uv.lock into the session's venv."""
    session.run_install(
        "uv", "sync", "--locked", "--group", "dev",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )  # fmt: skip


def pytest_args(session: nox.Session, *defaults: str) -> list[str]:
    return list(session.posargs) or list(defaults)


@nox.session
def lint(session: nox.Session) -> None:
    """The repository's pre-commit hooks: ruff, cookiecutter.json in sync, YAML/TOML/JSON."""
    install(session)
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")


@nox.session
def tests(session: nox.Session) -> None:
    """Fast: questionnaire, deployment files, and the default combination's render and checks.

    GROUNDWORK_MATRIX (tests/matrix.py ids, comma-separated) picks other combinations.
    """
    install(session)
    session.run(
        "pytest", "-n", "2", "--dist", "worksteal", "-m", "not integration and not update",
        *session.posargs,
        env={
            "GROUNDWORK_MATRIX": os.environ.get("GROUNDWORK_MATRIX", "default"),
            "GROUNDWORK_NAME_DRAWS": os.environ.get("GROUNDWORK_NAME_DRAWS", "10"),
        },
    )  # fmt: skip


@nox.session(default=False)
def full(session: nox.Session) -> None:
    """Everything CI runs: every combination, integration against real servers, updates."""
    install(session)
    session.run("pytest", "-n", "2", "--dist", "worksteal", "--durations=15", *session.posargs)


@nox.session(default=False)
def updates(session: nox.Session) -> None:
    """Only the update scenarios and fleet tooling (copier update between real tags)."""
    install(session)
    session.run(
        "pytest", "-n", "2", "--dist", "worksteal", "-m", "update", "tests/test_update.py",
        "tests/test_switches.py", "tests/test_update_entry.py", "tests/test_update_job.py",
        *session.posargs,
    )  # fmt: skip


@nox.session(default=False)
def fleet(session: nox.Session) -> None:
    """Fleet report: `nox -s fleet -- <repositories or files listing them> [--max-behind N]`.

    One row per generated repository (release, releases behind, architecture, drift,
    conflicts, update job), as a table and build/fleet-report.{json,md}: scripts/fleet_report.py.
    """
    if not session.posargs:
        session.error("name the repositories: nox -s fleet -- ../repos/* [--max-behind N]")
    install(session)
    session.run("python", str(ROOT / "scripts" / "fleet_report.py"), *session.posargs)


@nox.session(default=False)
@nox.parametrize("broker", BROKERS)
@nox.parametrize("architecture", ARCHITECTURES)
def generate(session: nox.Session, architecture: str, broker: str) -> None:
    """Render one combination into build/<architecture>-<broker> to look at it."""
    install(session)
    destination = ROOT / "build" / f"{architecture}-{broker}"
    session.run(
        "copier", "copy", "--force", "--vcs-ref", "HEAD",
        "-d", f"architecture={architecture}", "-d", f"broker={broker}",
        str(ROOT), str(destination),
    )  # fmt: skip


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Template benchmarks: render vs a trivial template, time to green, updates, the matrix.

    `nox -s bench -- render green --runs 5`; the full matrix only with `-- matrix
    --run-matrix` (~20 min) or read from a report with `-- matrix --junit PATH`.
    Prints a table and writes build/bench/template-<time>.json.
    """
    install(session)
    session.run("python", "bench/template_bench.py", *session.posargs)
