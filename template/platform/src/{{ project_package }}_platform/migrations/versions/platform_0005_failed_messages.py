"""Messages whose task failed for good, kept for an operator to send again (failed_messages.py).

Revision ID: platform_0005
Revises: platform_0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "platform_0005"
down_revision: str | Sequence[str] | None = "platform_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_messages",
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("task", "message_id", name=op.f("pk_failed_messages")),
    )
    op.create_index(
        op.f("ix_failed_messages_failed_at"), "failed_messages", ["failed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_failed_messages_failed_at"), table_name="failed_messages")
    op.drop_table("failed_messages")
