"""`scripts/move_context_data.py` moves an extracted context's data between real databases.

billing's tables, Alembic version and inbox rows go from the monolith's PostgreSQL database
to its service's, and nothing else; the broker is unreachable throughout.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import pytest
from conftest import Render, project_env, recorded_answers, run, uv_sync
from services import postgres_database


def fill(connection: Any, table: str, rows: int) -> None:
    """Insert `rows` rows with a value for every column (no foreign keys expected)."""
    columns = connection.execute(
        "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    for number in range(rows):
        values = []
        for name, data_type, length in columns:
            if "int" in data_type or data_type == "numeric":
                values.append(number + 1)
            elif data_type == "boolean":
                values.append(False)
            elif data_type.startswith("timestamp") or data_type == "date":
                values.append("2026-11-25")
            elif data_type in {"json", "jsonb"}:
                values.append("{}")
            elif data_type == "uuid":
                values.append(str(uuid.uuid4()))
            else:
                values.append(f"{name}-{number}-{uuid.uuid4().hex}"[: length or 100])
        placeholders = ", ".join(["%s"] * len(values))
        names = ", ".join(f'"{name}"' for name, _, _ in columns)
        connection.execute(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', values)


def snapshot(url: str, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table whose name starts with `prefix`, sorted."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name LIKE %s", [f"{prefix}%"],
        )]  # fmt: skip
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in sorted(tables)
        }


# Nothing listens on the discard port: moving rows must not need the broker.
UNREACHABLE_BROKER = "redis://127.0.0.1:9/0"


@pytest.mark.update
@pytest.mark.integration
def test_moving_a_context_copies_its_tables_and_version(render: Render) -> None:
    """billing's rows, version and inbox rows reach the service's database; catalog's stay.

    The broker is unreachable throughout: a data move touches the two databases only.
    """
    import psycopg

    project = render()
    package = recorded_answers(project)["project_package"]
    uv_sync(project, "3.11")
    no_broker = project_env(APP_ENV="test", CELERY_BROKER_URL=UNREACHABLE_BROKER)
    with postgres_database() as monolith, postgres_database() as service:
        run(["uv", "run", "--no-sync", "python", "-m", f"{package}_app.migrate", "--no-broker"],
            project, env=no_broker | {"DATABASE_URL": monolith})  # fmt: skip
        with psycopg.connect(monolith.replace("+psycopg", ""), autocommit=True) as connection:
            billing_tables = list(snapshot(monolith, "billing_"))
            assert billing_tables, "the monolith has no billing_ table to move"
            for table in billing_tables:
                fill(connection, table, rows=3)
            fill(connection, "catalog_items", rows=2)
            for consumer in ("billing", "catalog"):
                connection.execute(
                    "INSERT INTO inbox_messages (consumer, message_id, handled_at)"
                    " VALUES (%s, %s, now())", [consumer, str(uuid.uuid4())],
                )  # fmt: skip

        move = ["uv", "run", "--no-sync", "python", "scripts/move_context_data.py", "billing",
                "--source", monolith, "--target", service]  # fmt: skip
        result = run(move, project, env=no_broker)
        assert "billing: moved at revision" in result.stdout

        assert snapshot(service, "billing_") == snapshot(monolith, "billing_")
        assert all(len(rows) == 3 for rows in snapshot(service, "billing_").values())
        assert snapshot(service, "alembic_version_billing") == snapshot(
            monolith, "alembic_version_billing"
        )
        assert snapshot(service, "catalog_") == {}
        inbox = snapshot(service, "inbox_messages")["inbox_messages"]
        assert [row[0] for row in inbox] == ["billing"]

        # A second run would mix data: refused, and the target is unchanged.
        again = subprocess.run(move, cwd=project, env=no_broker, capture_output=True, text=True)
        assert again.returncode == 1, again.stdout + again.stderr
        assert "already holds rows" in again.stderr
        assert snapshot(service, "billing_") == snapshot(monolith, "billing_")
