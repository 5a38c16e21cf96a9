"""Generated projects pass their own checks with no edits: lint, types, contracts, tests.

One uv cache is shared by every generated project and `uv sync` runs offline first, so only
the first sync of a session downloads anything.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import Render, init_git, project_env, recorded_answers, run, uv_sync
from matrix import MATRIX, running
from services import CELERY_SHARED, broker_entities, postgres_database, rabbitmq_url, redis_url

# The project's own default nox sessions, exactly what its README tells a team to run:
# conflicts, lint (ruff check + format check), types (mypy), contracts (lint-imports), tests.
OWN_CHECKS = [["uv", "run", "--no-sync", "nox", "--no-color"]]
OWN_SESSIONS = ("conflicts", "lint", "types", "contracts", "tests")


def check_project(project: Path) -> None:
    """Run the project's own checks; every expected nox session must have succeeded."""
    for command in OWN_CHECKS:
        result = run(command, project)
    summary = result.stdout + result.stderr
    for session in OWN_SESSIONS:
        assert f"* {session}: success" in summary, f"nox session {session} did not succeed"


def generate(render: Render, combination: str) -> tuple[Path, dict[str, Any]]:
    answers = MATRIX[combination].answers
    project = render(**answers)
    init_git(project)
    uv_sync(project, answers.get("python_version", "3.11"))
    return project, answers


@pytest.mark.generated
@pytest.mark.parametrize("combination", running("full"))
def test_generated_project_passes_its_own_checks(
    render: Render, combination: str, record_property: Any
) -> None:
    started = time.perf_counter()
    project, _ = generate(render, combination)
    record_property("sync_seconds", round(time.perf_counter() - started, 1))
    check_project(project)
    record_property("total_seconds", round(time.perf_counter() - started, 1))
    if combination == "default":
        # In the same project, not a second render and sync: the hooks run the same pinned
        # tools, whose caches (mypy's above all) the checks just filled.
        check_pre_commit_hooks_pass_offline(project)
        check_deployables_load_only_what_they_run(project)


def check_pre_commit_hooks_pass_offline(project: Path) -> None:
    """The hooks are `repo: local`: nothing to download, the project's own pinned tools."""
    run(["pre-commit", "run", "--all-files", "--show-diff-on-failure"], project,
        env=project_env(PRE_COMMIT_HOME=str(project.parent / "pre-commit-home")))  # fmt: skip


def check_deployables_load_only_what_they_run(project: Path) -> None:
    """Importing the API and the worker loads neither what only migrating needs (Alembic and
    Mako: history.py imports them where it migrates) nor what only tracing needs (the
    instrumentations, the OTLP exporter and protobuf: init_telemetry imports them once it
    knows it traces). Together 0.3-0.5 s of every start and every dev reload."""
    package = recorded_answers(project)["project_package"]
    unused = ["alembic", "mako", "google.protobuf", "opentelemetry.exporter.otlp",
              "opentelemetry.instrumentation.celery", "opentelemetry.instrumentation.httpx",
              "opentelemetry.instrumentation.logging",
              "opentelemetry.instrumentation.sqlalchemy"]  # fmt: skip
    code = (
        f"import sys, {package}_app.api, {package}_app.worker\n"
        f"print(sorted(name for name in {unused!r} if name in sys.modules))"
    )
    result = run(["uv", "run", "--no-sync", "python", "-c", code], project)
    assert result.stdout.strip() == "[]", f"loaded at start: {result.stdout.strip()}"


@pytest.mark.integration
@pytest.mark.parametrize("combination", running("integration"))
def test_generated_integration_suite_against_real_servers(
    render: Render, combination: str, record_property: Any
) -> None:
    """The generated integration, end-to-end and slow tests run (not skip) on PostgreSQL and
    the broker (slow: the ones `nox -s tests` leaves to `nox -s integration`).

    The e2e tests start every deployable of the combination as its own API and worker processes,
    each on its own database created on the same server. The run deletes the queues, bindings
    and exchanges it declared: the broker holds nothing more afterwards than before.
    """
    project, answers = generate(render, combination)
    broker = answers.get("broker", "redis")
    with postgres_database() as database_url:
        # test_matrix.py checks that each Redis combination has a db number of its own.
        redis_db = MATRIX[combination].redis_db or 0
        broker_context = redis_url(redis_db) if broker == "redis" else rabbitmq_url()
        with broker_context as broker_url:
            before = broker_entities(broker_url)
            env = project_env(
                DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url, APP_ENV="test"
            )
            result = run(
                ["uv", "run", "--no-sync", "pytest", "-m", "integration or e2e or slow", "-p",
                 "no:cacheprovider", "-rs", "-q"],
                project, env=env,
            )  # fmt: skip
            after = broker_entities(broker_url)
    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary, summary
    assert "skipped" not in summary, f"tests skipped with servers present: {summary}"
    if before is None or after is None:
        message = f"{broker} cannot be listed here (no rabbitmqctl): leftovers not checked"
        warnings.warn(message, stacklevel=1)
        return
    record_property("broker_entities_before_after", (len(before), len(after)))
    assert after - before - CELERY_SHARED == set(), "the run left these on the broker"
