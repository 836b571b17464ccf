"""Video reports (video_reports): which listener, from which client address (its SHA-256), reported
which video unplayable. A report hides the video for its listener at once; the mark for everyone
(video_marks) needs several clients or a check. See moodtune.store.models.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "video_reports",
        sa.Column("youtube_id", sa.String(11), nullable=False),
        sa.Column("listener_id", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name=op.f("fk_video_reports_listener_id_listeners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("youtube_id", "listener_id", name=op.f("pk_video_reports")),
    )
    op.create_index("ix_video_reports_listener_id", "video_reports", ["listener_id"])


def downgrade() -> None:
    op.drop_index("ix_video_reports_listener_id", table_name="video_reports")
    op.drop_table("video_reports")
