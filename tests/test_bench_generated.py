"""The generated project's `nox -s bench` runs, small, on PostgreSQL and Redis.

This is issue 11's load test in CI: a bounded load of the order flow and reads, with tracing
on, against the real servers: 0 errors, p99 reported. The full-size figures come from a
manual run (`BENCH_*` unset: 5 runs, 60 s of load; see the generated README).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from conftest import Render, project_env, run, uv_sync
from services import postgres_database, redis_url

REDIS_DB = 6  # this module's own Redis db
SMALL = {
    "BENCH_SECONDS": "0.5",
    "BENCH_RUNS": "1",
    "BENCH_LOAD_SECONDS": "5",
    "BENCH_CONNECTIONS": "8",
    "BENCH_TASKS": "100",
    "BENCH_CALLS": "20",
}


@pytest.mark.integration
def test_generated_bench_runs_and_the_load_has_no_errors(
    render: Render, record_property: Any
) -> None:
    project = render()
    uv_sync(project, "3.11")
    with postgres_database() as database_url, redis_url(REDIS_DB) as broker_url:
        env = project_env(
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker_url,
            **SMALL,
        )
        started = time.perf_counter()
        result = run(["uv", "run", "--no-sync", "nox", "--no-color", "-s", "bench"], project, env)
        record_property("bench_seconds", round(time.perf_counter() - started, 1))
    written = sorted((project / "bench-results").glob("bench-*.json"))
    assert written, f"no JSON written\n{result.stdout[-3000:]}"
    results = json.loads(written[-1].read_text())
    assert results["missing"] == []
    assert set(results) >= {"boundary", "api", "celery", "load", "shutdown_s"}
    assert set(results["boundary"]) >= {"in_process_us", "http_us", "celery_us"}
    for mode in ("off", "production", "full", "unreachable"):
        for endpoint in ("read", "write"):
            measured = results["api"][mode][endpoint]
            assert measured["errors"] == 0, (mode, endpoint, measured["error_samples"])
            assert measured["rps"]["median"] > 0
            # The overhead is paired run by run with tracing off: one figure per run.
            assert len(measured["overhead_pct"]["runs"]) == int(SMALL["BENCH_RUNS"])
            assert measured["cpu_us"]["median"] > 0  # the API process's CPU, from /proc
    assert results["celery"]["tasks_per_s"]["median"] > 0
    # The traced worker ran the same tasks; its overhead is paired run by run too.
    traced = results["celery"]["traced"]
    assert traced["tasks_per_s"]["median"] > 0
    assert len(traced["overhead_pct"]["runs"]) == int(SMALL["BENCH_RUNS"])
    assert traced["exports"] > 0, "the traced worker sent no spans to the collector"
    assert "celery trivial tasks, tracing full" in result.stdout + result.stderr
    load = results["load"]
    assert load["errors"] == 0, load["error_samples"]
    assert load["requests"] > 0
    assert load["p99_ms"] > 0
    assert load["settled"] == load["created"], "orders of the load run left pending"
    # The table is what a reader sees: it names the load's figures.
    output = result.stdout + result.stderr
    assert "p99" in output
    assert "errors" in output
    assert "% lost vs off (" in output
    assert "% more vs off (" in output
    # Results stay on the machine that measured them.
    assert "bench-results/" in (project / ".gitignore").read_text().splitlines()
    record_property("load", {k: load[k] for k in ("requests", "rps", "p50_ms", "p99_ms")})
    record_property("shutdown_s", results["shutdown_s"])
