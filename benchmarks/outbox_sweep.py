"""How long one outbox sweep takes with many delivered rows, with and without the partial index.

Manual benchmark (minutes: it writes a million rows). Run it inside a generated project, with
the PostgreSQL server to use (a database is created and dropped):

    cd <generated project> && DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        uv run python <groundwork>/benchmarks/outbox_sweep.py [rows] [repeats]

It migrates a fresh database with the platform history, fills `outbox_messages` with `rows`
delivered rows and 100 undelivered ones younger than the sweep's age limit (the steady state:
nothing to send), then times the sweep's query (median and spread of `repeats` runs) before
and after `ix_outbox_messages_unpublished` exists.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import statistics
import sys
import time
import uuid

import sqlalchemy


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    package = _platform_package()
    outbox = importlib.import_module(f"{package}.outbox")
    history = importlib.import_module(f"{package}.history")
    server = sqlalchemy.make_url(os.environ["DATABASE_URL"])
    name = f"bench_sweep_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(
        server.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sqlalchemy.NullPool,
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sqlalchemy.create_engine(server.set(database=name))
    try:
        history.upgrade(engine, [history.platform_history()])
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO outbox_messages (id, name, payload, headers, created_at,"
                " published_at) SELECT gen_random_uuid()::text, 'bench.delivered', '{}', '{}',"
                " %(t)s - make_interval(secs => g), %(t)s - make_interval(secs => g)"
                " FROM generate_series(1, %(n)s) AS g",
                {"t": now, "n": rows},
            )
            connection.exec_driver_sql(
                "INSERT INTO outbox_messages (id, name, payload, headers, created_at)"
                " SELECT gen_random_uuid()::text, 'bench.waiting', '{}', '{}', %(t)s"
                " FROM generate_series(1, 100)",
                {"t": now},
            )
            connection.exec_driver_sql("ANALYZE outbox_messages")
        query = (
            sqlalchemy.select(outbox.outbox_messages)
            .where(
                outbox.outbox_messages.c.published_at.is_(None),
                outbox.outbox_messages.c.created_at < now - dt.timedelta(seconds=30),
            )
            .order_by(outbox.outbox_messages.c.created_at)
            .limit(500)
        )
        for label, index in (("without", "DROP"), ("with", "CREATE")):
            with engine.begin() as connection:
                if index == "DROP":
                    connection.exec_driver_sql(
                        "DROP INDEX IF EXISTS ix_outbox_messages_unpublished"
                    )
                else:
                    connection.exec_driver_sql(
                        "CREATE INDEX ix_outbox_messages_unpublished ON outbox_messages"
                        " (created_at) WHERE published_at IS NULL"
                    )
                connection.exec_driver_sql("ANALYZE outbox_messages")
            times = []
            with engine.connect() as connection:
                connection.execute(query).all()  # warm the cache
                for _ in range(repeats):
                    started = time.perf_counter()
                    connection.execute(query).all()
                    times.append((time.perf_counter() - started) * 1000)
            quartiles = statistics.quantiles(times, n=4)
            print(
                f"{rows} delivered rows, {label} the partial index: sweep query median "
                f"{statistics.median(times):.2f} ms (quartiles {quartiles[0]:.2f}-"
                f"{quartiles[2]:.2f}, min {min(times):.2f}, max {max(times):.2f}, n={repeats})"
            )
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _platform_package() -> str:
    import pathlib

    found = sorted(pathlib.Path("platform/src").glob("*_platform"))
    if not found:
        raise SystemExit("run from a generated project's root")
    return found[0].name


if __name__ == "__main__":
    main()
