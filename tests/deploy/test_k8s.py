"""The Kubernetes manifests in deploy/k8s/ are valid against the Kubernetes API schemas, offline
(the schemas ship in the ``kubernetes-validate`` package), strictly (an unknown or misspelt field is
an error), and fit together: the Service selects the Deployment's pods, the Ingress and the
autoscaler name what exists, the probes ask the routes the service answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
VERSIONS = ("1.29.0", "1.37.0")
"""The oldest Kubernetes release still widely run (1.29, end of life 2025-02 upstream but kept
longer by managed services) and the newest the package knows."""


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                found.append((path.name, doc))
    return found


def by_kind(kind: str, name: str = "moodtune") -> dict[str, Any]:
    matches = [d for _, d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"one {kind} {name} expected, found {len(matches)}"
    return matches[0]


def test_the_folder_holds_each_piece() -> None:
    kinds = sorted(d["kind"] for _, d in documents())
    assert kinds == sorted(
        ["Deployment", "Service", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"]
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("file", "doc"), documents(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_every_manifest_is_valid_against_the_kubernetes_schema(
    file: str, doc: dict[str, Any], version: str
) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def test_a_misspelt_field_is_caught() -> None:
    deployment = by_kind("Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_pieces_fit_together() -> None:
    deployment, service = by_kind("Deployment"), by_kind("Service")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert by_kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (container,) = pod["spec"]["containers"]
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(port_names)
    assert "--port" in container["args"] and str(port_names["http"]) in container["args"]
    assert container["args"][container["args"].index("--host") + 1] == "0.0.0.0"

    backend = by_kind("Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    ingress = by_kind("Ingress")["spec"]
    assert ingress["tls"] and ingress["tls"][0]["hosts"] == [ingress["rules"][0]["host"]]  # HTTPS

    target = by_kind("HorizontalPodAutoscaler")["spec"]
    assert target["scaleTargetRef"]["kind"] == "Deployment" and target["scaleTargetRef"]["name"] == "moodtune"
    assert target["metrics"][0]["resource"]["name"] == "cpu"
    assert target["minReplicas"] == deployment["spec"]["replicas"] >= 2
    assert container["resources"]["requests"]["cpu"]  # the autoscaler's utilisation is of the request


def test_the_probes_ask_liveness_and_readiness_apart() -> None:
    (container,) = by_kind("Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"  # never the database
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_no_secret_is_written_in_the_manifests() -> None:
    (container,) = by_kind("Deployment")["spec"]["template"]["spec"]["containers"]
    for variable in container["env"]:
        if any(word in variable["name"] for word in ("DATABASE_URL", "SECRET", "KEY", "TOKEN", "PASSWORD")):
            assert "secretKeyRef" in variable.get("valueFrom", {}), variable["name"]
    text = "\n".join(p.read_text() for p in K8S.glob("*.yaml"))
    assert "kind: Secret" not in text
