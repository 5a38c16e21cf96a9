"""The generated project's HTTP fault tests pass against the real servers (issue 11, 3-6).

They live in the generated project (marker `faults`, `nox -s faults`) so that every team can
re-run them; here the default project runs them: a hung database answered 503 within the
configured timeouts while /healthz keeps answering, an outage answered 503 + Retry-After and
recovered from, a retry after an answer lost between commit and response creating once, and
connections terminated (pg_terminate_backend) every 50 ms under a client that retries with
its Idempotency-Key creating every item exactly once.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Render, project_env, run
from services import postgres_database, redis_url
from test_generated import generate

REDIS_DB = 7  # this module's own Redis db number


@pytest.mark.integration
def test_generated_http_fault_tests_pass_against_real_servers(
    render: Render, record_property: Any
) -> None:
    project, _ = generate(render, "default")
    with postgres_database() as database_url, redis_url(REDIS_DB) as broker_url:
        env = project_env(DATABASE_URL=database_url, CELERY_BROKER_URL=broker_url, APP_ENV="test")
        result = run(
            ["uv", "run", "--no-sync", "pytest", "-m", "faults", "-k", "faults_http", "-p",
             "no:cacheprovider", "-rs", "-s", "-q"],
            project, env=env,
        )  # fmt: skip
    lines = result.stdout.strip().splitlines()
    summary = lines[-1]
    assert "4 passed" in summary, summary
    assert "skipped" not in summary, f"fault tests skipped with servers present: {summary}"
    measured = next((line for line in lines if line.startswith("hung database:")), "")
    record_property("hung_database", measured)
    terminated = next((line for line in lines if line.startswith("faults terminate:")), "")
    assert terminated, "the connection-termination test printed no figures"
    record_property("terminated_connections", terminated)
    print(measured, terminated, sep="\n")
