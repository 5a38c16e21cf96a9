"""The generated project's broker fault tests run (not skip) and pass, on Redis and RabbitMQ.

They live in the generated project (`nox -s faults`: workers SIGKILLed mid-flow, the broker
cut off through a TCP proxy), so every team can re-run them; here they run at their CI size.
The broker is a setting (CELERY_BROKER_URL) and the default project installs the clients of
both, so one render and one sync serve both brokers: the RabbitMQ answer changes only
defaults and deployment files, which these tests do not read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import init_git, project_env, run, uv_sync
from matrix import MATRIX
from services import postgres_database, rabbitmq_url, redis_url

REDIS_DB = 1  # this module's own Redis db number


@pytest.fixture(name="project", scope="module")
def _project(template_clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import copier

    project = tmp_path_factory.mktemp("faults") / "project"
    copier.run_copy(
        str(template_clone), project, data=MATRIX["default"].answers, defaults=True,
        vcs_ref="HEAD", quiet=True,
    )  # fmt: skip
    init_git(project)
    uv_sync(project, "3.11")
    return project


@pytest.mark.integration
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_generated_broker_fault_tests_pass(
    project: Path, broker: str, record_property: Any
) -> None:
    with postgres_database() as database_url:
        broker_context = redis_url(REDIS_DB) if broker == "redis" else rabbitmq_url()
        with broker_context as broker_url:
            env = project_env(
                DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url, APP_ENV="test"
            )
            result = run(
                ["uv", "run", "--no-sync", "pytest", "-m", "faults", "-k", "broker", "-p",
                 "no:cacheprovider", "-rs", "-s", "-q"],
                project, env=env,
            )  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1]
    figures = [line for line in result.stdout.splitlines() if line.startswith("faults ")]
    record_property("faults", figures)
    print("\n".join(figures))
    assert "2 passed" in summary, summary
    assert "skipped" not in summary, f"fault tests skipped with servers present: {summary}"
