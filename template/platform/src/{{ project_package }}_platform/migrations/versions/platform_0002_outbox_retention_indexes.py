"""Indexes for the sweep and for retention: unpublished outbox rows, inbox rows by age.

Revision ID: platform_0002
Revises: platform_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "platform_0002"
down_revision: str | Sequence[str] | None = "platform_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPUBLISHED = sa.text("published_at IS NULL")


def upgrade() -> None:
    # Partial: the sweep reads only unpublished rows, a few among millions once delivered.
    op.create_index(
        "ix_outbox_messages_unpublished",
        "outbox_messages",
        ["created_at"],
        unique=False,
        postgresql_where=UNPUBLISHED,
        sqlite_where=UNPUBLISHED,
    )
    op.create_index(
        op.f("ix_inbox_messages_handled_at"), "inbox_messages", ["handled_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_inbox_messages_handled_at"), table_name="inbox_messages")
    op.drop_index("ix_outbox_messages_unpublished", table_name="outbox_messages")
