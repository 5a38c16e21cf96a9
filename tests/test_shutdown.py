"""The generated API and worker exit within 2 s of SIGTERM, with the trace collector down and
on either broker.

Issue 11 item 8 and issue 12: an unreachable collector used to add 5-15 s to shutdown
(longer than Docker's 10 s stop timeout, so buffered spans were killed anyway). Both
processes here hold unexported spans when they are stopped: the API's collector refuses
connections (down), the worker's accepts them and never answers (hung), so both ways a
collector can fail are covered. An idle worker on RabbitMQ used to notice SIGTERM seconds
late (its event loop's polls ran long); it now stops as soon as one on Redis.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import Render, project_env, uv_sync
from services import postgres_database, rabbitmq_url, redis_url

BOUND = 2.5  # seconds: the 2 s, with a margin for a loaded CI machine
# Seconds a hung collector may add: OTEL_SHUTDOWN_TIMEOUT (0.5 s) with a margin, plus a quarter
# of Celery's own time, which a loaded machine stretches (9 s measured at load 15 on 2 cores).
SLACK = 1.0
LOADED_SHARE = 0.25
REDIS_DB = 5  # this module's own Redis db (tests/matrix.py holds the others)
STARTUP_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def hung_collector() -> Iterator[str]:
    """An endpoint that accepts connections and never answers; yields its URL."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


def call(method: str, url: str, body: object = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def eventually(probe, what: str, timeout: float = STARTUP_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = probe()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"{what} not within {timeout} s")


def stop(processes: dict[str, subprocess.Popen]) -> dict[str, float]:
    """SIGTERM to all at once; seconds until each exited (killed after 30 s)."""
    started = time.perf_counter()
    for process in processes.values():
        process.send_signal(signal.SIGTERM)
    exited: dict[str, float] = {}
    while len(exited) < len(processes) and time.perf_counter() - started < 30:
        for name, process in processes.items():
            if name not in exited and process.poll() is not None:
                exited[name] = time.perf_counter() - started
        time.sleep(0.01)
    return exited


def start(
    python: str, name: str, arguments: list[str], env: dict[str, str], workdir: Path
) -> subprocess.Popen:
    with (workdir / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [python, "-m", *arguments], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )


@contextmanager
def reaped(processes: dict[str, subprocess.Popen]) -> Iterator[None]:
    """Whichever of the processes still runs on the way out is killed (the dict may grow)."""
    try:
        yield
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def log_tails(processes: dict[str, subprocess.Popen], workdir: Path) -> dict[str, str]:
    return {
        name: (workdir / f"{name}.log").read_text(errors="replace")[-3000:] for name in processes
    }


def process_env(database_url: str, **settings: str) -> dict[str, str]:
    """The generated processes' environment: test settings, queues of this test's own."""
    return project_env(
        APP_ENV="test",
        DATABASE_URL=database_url,
        CELERY_QUEUE_PREFIX=f"shutdown-{uuid.uuid4().hex[:8]}-",
        **settings,
    )


def synced_project_python(render: Render) -> str:
    """The default project, rendered and synced: its interpreter."""
    project = render()
    uv_sync(project, "3.11")
    return str(project / ".venv" / "bin" / "python")


def wait_until_ready(worker: str, workdir: Path) -> None:
    eventually(lambda: " ready." in (workdir / f"{worker}.log").read_text(), f"worker {worker}")


def worker_arguments(name: str) -> list[str]:
    return [
        "celery", "-A", "acme_shop_app.worker:celery_app", "worker", "--concurrency=2",
        "--without-gossip", "--without-mingle", "--loglevel=INFO", f"--hostname={name}@%h",
    ]  # fmt: skip


@pytest.mark.integration
def test_api_and_worker_exit_within_two_seconds_with_the_collector_down(
    render: Render, tmp_path: Path
) -> None:
    """The API exits within the bound; a worker whose collector hangs exits as fast as one
    without tracing (Celery's own prefork shutdown, about 1.5 s, is the floor)."""
    python = synced_project_python(render)
    with (
        postgres_database() as database_url,
        redis_url(REDIS_DB) as broker_url,
        hung_collector() as hung,
    ):
        env = process_env(
            database_url,
            CELERY_BROKER_URL=broker_url,
            OTEL_TRACES_SAMPLER="parentbased_always_on",
            # Export once a minute: the spans are still buffered when SIGTERM comes.
            OTEL_BSP_SCHEDULE_DELAY="60000",
        )
        subprocess.run([python, "-m", "acme_shop_app.migrate"], cwd=tmp_path, env=env, check=True)
        port = free_port()
        down = f"http://127.0.0.1:{free_port()}"
        processes = {
            "api": start(
                python,
                "api",
                ["uvicorn", "acme_shop_app.api:create_app", "--factory", "--port", str(port)],
                {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": down},
                tmp_path,
            ),  # fmt: skip
            "worker": start(
                python,
                "worker",
                worker_arguments("hung"),
                {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": hung},
                tmp_path,
            ),  # fmt: skip
        }
        with reaped(processes):
            base = f"http://127.0.0.1:{port}"
            eventually(lambda: call("GET", f"{base}/readyz"), "API ready")
            item = call("POST", f"{base}/catalog/items", {"name": "shutdown"})
            body = {"item_id": item["id"], "amount_cents": 100}
            orders = [call("POST", f"{base}/catalog/orders", body) for _ in range(10)]
            # The worker has taken the payments: its children hold spans too.
            for order in orders:
                payment = f"{base}/billing/orders/{order['id']}/payment"
                eventually(lambda url=payment: call("GET", url), "payment", timeout=60)
            # The same worker without tracing, idle: Celery's own shutdown time.
            untraced = {**env, "OTEL_SDK_DISABLED": "true"}
            processes["untraced"] = start(
                python, "untraced", worker_arguments("untraced"), untraced, tmp_path
            )
            wait_until_ready("untraced", tmp_path)
            exited = stop(processes)
    logs = log_tails(processes, tmp_path)
    assert exited.get("api", 99) < BOUND, f"API: {exited}\n{logs['api']}"
    baseline = exited.get("untraced", 0)
    assert exited.get("worker", 99) < baseline * (1 + LOADED_SHARE) + SLACK, (
        f"a hung collector slowed the worker: {exited}\n{logs['worker']}"
    )


@pytest.mark.integration
def test_an_idle_worker_stops_as_soon_on_rabbitmq_as_on_redis(
    render: Render, tmp_path: Path, record_property: Any
) -> None:
    """Celery's event loop looks for a stop signal only between polls, and Python resumes a
    poll a signal interrupts. Without event heartbeats (a common way to run workers with less
    broker traffic), nothing bounded an idle worker's poll on RabbitMQ: it exited about 6 s
    after SIGTERM, against 2.6 s on Redis, until the platform's PromptShutdown step woke the
    loop every quarter second. With heartbeats on, their 2 s timer was the bound."""
    python = synced_project_python(render)
    with (
        postgres_database() as database_url,
        redis_url(REDIS_DB) as on_redis,
        rabbitmq_url() as on_rabbitmq,
    ):
        env = process_env(database_url, OTEL_SDK_DISABLED="true")
        processes = {
            broker: start(python, broker, [*worker_arguments(broker), "--without-heartbeat"],
                          {**env, "CELERY_BROKER_URL": url}, tmp_path)
            for broker, url in (("redis", on_redis), ("rabbitmq", on_rabbitmq))
        }  # fmt: skip
        with reaped(processes):
            for name in processes:
                wait_until_ready(name, tmp_path)
            time.sleep(1.0)  # idle, each loop in a poll bounded by whatever it has due
            exited = stop(processes)
    logs = log_tails(processes, tmp_path)
    record_property("exit_s", exited)
    assert "redis" in exited, f"the worker on Redis did not stop: {exited}\n{logs['redis']}"
    # Half a second over Redis's time: the late start cost 2.2-3.8 s (measured before the fix).
    assert exited.get("rabbitmq", 99) < exited["redis"] * (1 + LOADED_SHARE) + 0.5, (
        f"the worker on RabbitMQ stopped late: {exited}\n{logs['rabbitmq']}"
    )
