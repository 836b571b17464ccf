"""Retired listener ids (retired_listeners): "Delete all my data" keeps the id alone, so that the
old cookie never stores under it again. See moodtune.store.models.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retired_listeners",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("retired_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retired_listeners")),
    )


def downgrade() -> None:
    op.drop_table("retired_listeners")
