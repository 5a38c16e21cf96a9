"""The PostgreSQL, Redis and RabbitMQ servers the integration tests run against.

Each test gets its own database, Redis db number and RabbitMQ vhost so that parallel tests
(and parallel CI runs on one machine) cannot see each other's rows or messages.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import pytest

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def require(name: str, address: tuple[str, int]) -> None:
    """Skip with the reason when a server is absent; in CI (CI=true) that is a failure."""
    if reachable(address):
        return
    message = f"{name} is not listening on {address[0]}:{address[1]}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI must run the integration tests")
    pytest.skip(f"integration test needs {name}: {message}")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database; yields its SQLAlchemy URL and drops it afterwards."""
    import psycopg

    require("PostgreSQL", POSTGRES)
    name = f"groundwork_{uuid.uuid4().hex[:12]}"
    admin = f"host={POSTGRES[0]} port={POSTGRES[1]} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_url(db: int) -> Iterator[str]:
    """A Redis URL on a db number of our own, flushed before and after."""
    import redis

    require("Redis", REDIS)
    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=db)
    client.flushdb()
    try:
        yield f"redis://{REDIS[0]}:{REDIS[1]}/{db}"
    finally:
        client.flushdb()


# Celery's own fixed-name entities: one of each per broker whatever the number of runs (remote
# control, events, kombu's table of binding deadlines), so they are not a run's leftovers.
CELERY_SHARED = {
    "exchange:celeryev", "exchange:celery.pidbox", "exchange:reply.celery.pidbox",
    "key:_kombu.binding_deadlines", "key:_kombu.binding.celeryev",
    "key:_kombu.binding.celery.pidbox", "key:_kombu.binding.reply.celery.pidbox",
}  # fmt: skip


def broker_entities(url: str) -> set[str] | None:
    """What a broker holds now: `key:<name>` on Redis, `queue:`/`exchange:<name>` on RabbitMQ.

    None when it cannot be listed (RabbitMQ without rabbitmqctl on this machine).
    """
    parsed = urlsplit(url)
    if parsed.scheme == "redis":
        import redis

        client = redis.Redis(host=REDIS[0], port=REDIS[1], db=int(parsed.path.strip("/") or 0))
        return {f"key:{key.decode()}" for key in client.keys("*")}
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return None
    vhost = unquote(parsed.path[1:]) or "/"
    found = set()
    for kind in ("queue", "exchange"):
        listed = subprocess.run(
            [ctl, f"list_{kind}s", "-p", vhost, "name", "--quiet", "--no-table-headers"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        found |= {f"{kind}:{name}" for name in listed.stdout.splitlines()}
    return found


@contextmanager
def rabbitmq_url() -> Iterator[str]:
    """A RabbitMQ URL on a fresh vhost when rabbitmqctl can make one, else the default vhost."""
    require("RabbitMQ", RABBITMQ)
    ctl = shutil.which("rabbitmqctl")
    vhost = f"groundwork_{uuid.uuid4().hex[:12]}"

    def rabbitmqctl(*args: str) -> bool:
        return ctl is not None and subprocess.run(
            [ctl, *args], capture_output=True, timeout=60
        ).returncode == 0  # fmt: skip

    if rabbitmqctl("add_vhost", vhost) and rabbitmqctl(
        "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"
    ):
        try:
            yield f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/{vhost}"
        finally:
            rabbitmqctl("delete_vhost", vhost)
    else:
        yield f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}//"
