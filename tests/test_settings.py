"""Settings are declared once: the environment, the docs and `moodtune settings` agree."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.errors import ConfigError
from moodtune.settings import Settings, load_settings, settings_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_docs_settings_md_is_generated_from_the_declarations() -> None:
    assert DOCS.read_text() == settings_markdown(), "run: moodtune settings --markdown > docs/settings.md"


def test_environment_variables_set_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOODTUNE_PORT", "9001")
    monkeypatch.setenv("MOODTUNE_RATE_LIMIT", "0")
    monkeypatch.setenv("MOODTUNE_DATABASE_URL", "postgresql://u:p@db/moodtune")
    s = load_settings()
    assert (s.port, s.rate_limit, s.resolved_database_url) == (9001, 0.0, "postgresql://u:p@db/moodtune")


def test_the_default_database_is_sqlite_in_the_data_folder(user_data_dir: Path) -> None:
    assert Settings().resolved_database_url == f"sqlite:///{user_data_dir / 'moodtune.db'}"


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("MOODTUNE_PORT", "eighty", "MOODTUNE_PORT"),  # not a number
        ("MOODTUNE_PORT", "70000", "less than or equal to 65535"),  # out of range
        ("MOODTUNE_DETECTOR", "yolo", "auto, blazeface"),  # unknown detector
        ("MOODTUNE_WORKERS", "0", "MOODTUNE_WORKERS"),  # no server process
    ],
)
def test_a_bad_variable_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=words):
        load_settings()


def test_the_cookie_key_is_made_once_and_kept_private(user_data_dir: Path) -> None:
    first = Settings().signing_key()
    assert Settings().signing_key() == first
    mode = (user_data_dir / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert Settings(secret_key="given").signing_key() == "given"


def test_moodtune_settings_lists_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOODTUNE_PORT", "9002")
    result = CliRunner().invoke(app, ["settings"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in Settings.model_fields:
        assert f"MOODTUNE_{name.upper()}" in result.output
    assert "9002" in result.output


def test_serve_refuses_half_a_certificate_pair(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    result = CliRunner().invoke(app, ["serve", "--ssl-certfile", str(cert)])
    assert result.exit_code == 2
    assert "go together" in result.output
