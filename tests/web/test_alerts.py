"""deploy/prometheus/alerts.yml: well-formed Prometheus rules that ask only for metrics the service
exports under those names and labels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
SEVERITIES = {"critical", "warning", "info"}


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_rule_is_complete() -> None:
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names)) >= 5
    for rule in rules():
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


def test_the_rules_ask_for_metrics_and_labels_the_service_exports(
    app: FastAPI, client: TestClient, smiling_crop: bytes
) -> None:
    client.post("/api/v1/analyze?assume_face=true", content=smiling_crop)
    client.get("/api/v1/songs/s_000000000000")
    for reason in ("rate_limited", "overloaded"):  # the refusals' series, as a 429 and a 503 make them
        app.state.services.metrics.rejected.labels(reason)
    exported: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            exported.setdefault(sample.name, set()).update(sample.labels)
    for rule in rules():
        for name, selector in re.findall(r"\b(moodtune_[a-z_]+)(\{[^}]*\})?", rule["expr"]):
            assert name in exported, f"{rule['alert']}: {name} is not exported"
            used = set(re.findall(r"(\w+)\s*(?:=~|!=|!~|=)", selector))
            assert used <= exported[name], f"{rule['alert']}: {name} has no label {used - exported[name]}"
