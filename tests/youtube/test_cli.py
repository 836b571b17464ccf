"""``moodtune youtube resolve|status`` against the fake, configured by MOODTUNE_* variables as a
user would: the summary, the clean stop on quota, and one line for a missing or refused key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.music.catalog import Catalog
from tests.youtube.fake import API_KEY, FakeGoogle
from tests.youtube.world import World

runner = CliRunner()


@pytest.fixture
def env(google: FakeGoogle, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    songs = [s for s in world.songs if world.scenario[s.id] in ("full", "decoys_only") and not s.youtube_id][
        :6
    ]
    catalog = Catalog(songs).save(tmp_path / "catalog.csv.gz")
    values = {
        "MOODTUNE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "MOODTUNE_CATALOG": str(catalog),
        "MOODTUNE_YOUTUBE_API_KEY": API_KEY,
        "MOODTUNE_YOUTUBE_API_BASE": google.api_base,
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def test_resolve_prints_a_summary_as_json(env: dict[str, str], google: FakeGoogle) -> None:
    result = runner.invoke(app, ["youtube", "resolve", "--limit", "4", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["songs_searched"] == 4 and summary["songs_resolved"] + summary["songs_no_match"] == 4
    assert summary["quota_spent"] == google.quota_used == 401
    assert summary["quota_left"] == 10_000 - 401 and summary["stopped_on_quota"] is False
    assert summary["songs_left"] == 2 and "run `moodtune youtube resolve` again" in summary["resume"]
    assert all("title match" in r["reason"] for r in summary["resolved"])


def test_resolve_stops_cleanly_on_quota_and_says_how_to_resume(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOODTUNE_YOUTUBE_DAILY_QUOTA", "250")
    result = runner.invoke(app, ["youtube", "resolve", "--recheck"])
    assert result.exit_code == 0, result.output
    assert "stopped on quota" in result.stdout and "yes" in result.stdout
    assert "after midnight Pacific Time" in result.stdout
    status = json.loads(runner.invoke(app, ["youtube", "status", "--json"]).stdout)
    assert status["quota"]["spent"] == 201 and status["quota"]["left"] == 49
    assert status["cache"]["songs_confirmed"] + status["cache"]["songs_no_match"] == 2


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "youtube_not_configured"),  # no key at all
        ("wrong", "youtube_key_invalid"),  # Google refuses it
    ],
)
def test_a_missing_or_refused_key_is_one_line_and_exit_code_2(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, key: str | None, code: str
) -> None:
    if key is None:
        monkeypatch.delenv("MOODTUNE_YOUTUBE_API_KEY")
    else:
        monkeypatch.setenv("MOODTUNE_YOUTUBE_API_KEY", key)
    result = runner.invoke(app, ["youtube", "resolve", "--limit", "1"])
    assert result.exit_code == 2
    assert f"error ({code})" in result.stderr and "MOODTUNE_YOUTUBE_API_KEY" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_status_names_what_is_missing(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["youtube", "status"])
    assert result.exit_code == 0, result.output
    assert "search (MOODTUNE_YOUTUBE_API_KEY): on" in result.stdout
    assert "saving playlists: off, set MOODTUNE_GOOGLE_CLIENT_ID" in result.stdout
