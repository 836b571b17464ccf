"""compose.yaml: valid against the Compose specification's JSON schema (as shipped by the
``check-jsonschema`` package), before and after its variables are filled in as Compose fills them;
PostgreSQL 15 on a named volume, Caddy in front, several moodtune replicas, every secret from the
environment. The Caddyfile is checked by Caddy itself where Debian's ``caddy`` is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def schema() -> dict[str, Any]:
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text())


def interpolate(text: str, env: dict[str, str]) -> str:
    """What Compose does to the file before reading it: ``${VAR}``, ``${VAR:-default}`` and
    ``${VAR:?error}`` (an error when VAR is unset or empty)."""

    def fill(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name, "")
        if op in (":?", "?") and not value:
            raise ValueError(f"{name}: {arg}")
        if op in (":-", "-") and not value:
            return arg
        return value

    return VARIABLE.sub(fill, text)


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    filled = {"POSTGRES_PASSWORD": "pw-from-env", "MOODTUNE_SITE": "192.168.1.10", **(env or {})}
    return yaml.safe_load(interpolate(COMPOSE.read_text(), filled))


def test_the_file_is_valid_compose_as_written_and_as_filled_in() -> None:
    spec = schema()
    jsonschema.validate(yaml.safe_load(COMPOSE.read_text()), spec)
    jsonschema.validate(compose(), spec)


def test_the_schema_catches_a_misspelt_key() -> None:
    broken = compose()
    broken["services"]["moodtune"]["enviroment"] = {}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema())


def test_moodtune_runs_several_replicas_on_postgresql_15_behind_caddy() -> None:
    services = compose()["services"]
    assert set(services) == {"moodtune", "postgres", "caddy"}
    app, db, caddy = services["moodtune"], services["postgres"], services["caddy"]
    assert int(app["deploy"]["replicas"]) >= 2
    assert re.search(r"postgres:15\b", db["image"])
    assert "ports" not in app and "ports" not in db  # only Caddy is reachable from outside
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    url = app["environment"]["MOODTUNE_DATABASE_URL"]
    assert url == "postgresql://moodtune:pw-from-env@postgres:5432/moodtune"
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    assert app["environment"]["MOODTUNE_TRUST_PROXY"] == "true"  # Caddy's X-Forwarded-For


def test_the_database_and_caddys_certificates_live_on_named_volumes() -> None:
    doc = compose()
    volumes = doc["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in doc["services"]["postgres"]["volumes"]
    caddy = doc["services"]["caddy"]["volumes"]
    assert "caddy_data:/data" in caddy
    mounted = next(v for v in caddy if v.endswith(":/etc/caddy/Caddyfile:ro"))
    assert (ROOT / mounted.split(":")[0]).resolve() == CADDYFILE
    assert {"pgdata", "caddy_data"} <= set(volumes)


def test_every_secret_comes_from_the_environment() -> None:
    text = COMPOSE.read_text()
    for key in ("PASSWORD", "SECRET", "API_KEY", "TOKEN_KEY"):
        for line in text.splitlines():
            if re.match(rf"\s*[A-Z_]*{key}[A-Z_]*:", line):
                assert "${" in line, line
    assert "pw-from-env" not in text
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        compose({"POSTGRES_PASSWORD": ""})  # Compose refuses to start without it
    with pytest.raises(ValueError, match="MOODTUNE_SITE"):
        compose({"MOODTUNE_SITE": ""})
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example["POSTGRES_PASSWORD"] == ""  # the example holds no password
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_caddy_sends_every_replica_its_requests_and_a_request_id() -> None:
    text = CADDYFILE.read_text()
    assert "{$MOODTUNE_SITE}" in text
    assert re.search(r"dynamic a \{\s*name moodtune\s*port 8000", text)  # the service's name and port
    assert compose()["services"]["moodtune"]["expose"] == ["8000"]
    assert "header_up X-Request-ID" in text


@pytest.mark.skipif(
    shutil.which("caddy") is None, reason="Debian's caddy is not installed: apt-get install caddy"
)
@pytest.mark.parametrize("site", ["moodtune.example.com", "192.168.1.10"])
def test_caddy_itself_accepts_the_caddyfile(site: str, tmp_path: Path) -> None:
    def caddy(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["caddy", command, "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env={"MOODTUNE_SITE": site, "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    checked = caddy("validate")  # loads every module the file names, as `caddy run` would
    assert checked.returncode == 0 and "Valid configuration" in checked.stdout + checked.stderr, (
        checked.stderr
    )
    done = caddy("adapt")
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    server = next(iter(config["apps"]["http"]["servers"].values()))
    assert server["routes"][0]["match"][0]["host"] == [site]
