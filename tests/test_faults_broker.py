"""The generated project's broker fault tests run (not skip) and pass, on Redis and RabbitMQ.

They live in the generated project (`nox -s faults`: workers SIGKILLed mid-flow, the broker
cut off through a TCP proxy), so every team can re-run them; here they run at their CI size
for the default combination (Redis) and the RabbitMQ one.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Render, init_git, project_env, run, uv_sync
from matrix import MATRIX, narrowed
from services import postgres_database, rabbitmq_url, redis_url

REDIS_DB = 1  # this module's own Redis db number
COMBINATIONS = [name for name in ("default", "rabbitmq-gitlab-py312") if name in narrowed()]


@pytest.mark.integration
@pytest.mark.parametrize("combination", COMBINATIONS)
def test_generated_broker_fault_tests_pass(
    render: Render, combination: str, record_property: Any
) -> None:
    answers = MATRIX[combination].answers
    project = render(**answers)
    init_git(project)
    uv_sync(project, answers.get("python_version", "3.11"))
    broker = answers.get("broker", "redis")
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
