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


def render_default(template_clone: Path, destination: Path) -> Path:
    import copier

    copier.run_copy(
        str(template_clone), destination, data=MATRIX["default"].answers, defaults=True,
        vcs_ref="HEAD", quiet=True,
    )  # fmt: skip
    init_git(destination)
    uv_sync(destination, "3.11")
    return destination


def run_fault_tests(project: Path, broker: str) -> list[str]:
    """The project's broker fault tests on one broker; returns the figures they print."""
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
    assert "2 passed" in summary, summary
    assert "skipped" not in summary, f"fault tests skipped with servers present: {summary}"
    return [line for line in result.stdout.splitlines() if line.startswith("faults ")]


@pytest.mark.integration
def test_generated_broker_fault_tests_pass_on_redis_and_rabbitmq(
    template_clone: Path, tmp_path: Path, record_property: Any
) -> None:
    """One test, so that one render and one sync serve both brokers under pytest-xdist."""
    project = render_default(template_clone, tmp_path / "project")
    for broker in ("redis", "rabbitmq"):
        figures = run_fault_tests(project, broker)
        record_property(f"faults_{broker}", figures)
        print("\n".join(figures))
