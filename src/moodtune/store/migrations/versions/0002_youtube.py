"""YouTube: the Data API's answers cached (youtube_videos, youtube_resolutions), the daily quota
(youtube_quota) and listeners' encrypted OAuth tokens (youtube_tokens). See moodtune.store.models.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "youtube_videos",
        sa.Column("youtube_id", sa.String(11), nullable=False),
        sa.Column("song_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("checked_at", sa.Double(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("youtube_id", name=op.f("pk_youtube_videos")),
    )
    op.create_index("ix_youtube_videos_song_id", "youtube_videos", ["song_id"])
    op.create_table(
        "youtube_resolutions",
        sa.Column("song_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("youtube_id", sa.String(11), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("checked_at", sa.Double(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("song_id", name=op.f("pk_youtube_resolutions")),
    )
    op.create_table(
        "youtube_quota",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("bucket", sa.String(16), nullable=False),
        sa.Column("units", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("exhausted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("day", "bucket", name=op.f("pk_youtube_quota")),
    )
    op.create_table(
        "youtube_tokens",
        sa.Column("listener_id", sa.String(64), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("access_expires_at", sa.Double(), nullable=True),
        sa.Column("scope", sa.String(500), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name=op.f("fk_youtube_tokens_listener_id_listeners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listener_id", name=op.f("pk_youtube_tokens")),
    )


def downgrade() -> None:
    op.drop_table("youtube_tokens")
    op.drop_table("youtube_quota")
    op.drop_table("youtube_resolutions")
    op.drop_index("ix_youtube_videos_song_id", table_name="youtube_videos")
    op.drop_table("youtube_videos")
