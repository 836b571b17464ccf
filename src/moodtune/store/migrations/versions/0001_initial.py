"""The first schema: listeners, feedback, readings, video_marks (see moodtune.store.models).

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listeners",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_seen_at", sa.Double(), nullable=False),
        sa.Column("history_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("calibration_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("calibration", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listeners")),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(64), nullable=False),
        sa.Column("song_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name=op.f("fk_feedback_listener_id_listeners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_listener_id_at", "feedback", ["listener_id", "at"])
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(64), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("mood", sa.String(32), nullable=False),
        sa.Column("probabilities", sa.JSON(), nullable=False),
        sa.Column("mood_probabilities", sa.JSON(), nullable=False),
        sa.Column("valence", sa.Double(), nullable=False),
        sa.Column("arousal", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name=op.f("fk_readings_listener_id_listeners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readings")),
    )
    op.create_index("ix_readings_listener_id_at", "readings", ["listener_id", "at"])
    op.create_table(
        "video_marks",
        sa.Column("youtube_id", sa.String(11), nullable=False),
        sa.Column("song_id", sa.String(64), nullable=True),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("first_marked_at", sa.Double(), nullable=False),
        sa.Column("last_marked_at", sa.Double(), nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'unplayable'"), nullable=False),
        sa.PrimaryKeyConstraint("youtube_id", name=op.f("pk_video_marks")),
    )


def downgrade() -> None:
    op.drop_table("video_marks")
    op.drop_index("ix_readings_listener_id_at", table_name="readings")
    op.drop_table("readings")
    op.drop_index("ix_feedback_listener_id_at", table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("listeners")
