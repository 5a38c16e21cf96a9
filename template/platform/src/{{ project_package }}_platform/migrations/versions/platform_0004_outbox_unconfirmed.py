"""Receipts due from consumers of published events (Redis: see outbox.py).

Revision ID: platform_0004
Revises: platform_0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "platform_0004"
down_revision: str | Sequence[str] | None = "platform_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_unconfirmed",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("confirm_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "consumer", name=op.f("pk_outbox_unconfirmed")),
    )
    op.create_index(
        op.f("ix_outbox_unconfirmed_confirm_by"),
        "outbox_unconfirmed",
        ["confirm_by"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_unconfirmed_confirm_by"), table_name="outbox_unconfirmed")
    op.drop_table("outbox_unconfirmed")
