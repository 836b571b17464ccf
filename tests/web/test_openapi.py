"""The OpenAPI document tells the errors as they are, and three lists of error codes stay equal: the
codes the code can answer (``moodtune.errors`` and the web handlers), the tables of docs/api.md,
and the codes the OpenAPI document advertises, each at its one status."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from moodtune.errors import StoreError
from moodtune.web.errors import ErrorOut
from moodtune.web.openapi import ANY_ROUTE, NOT_IN_RESPONSES, all_codes, api_codes

DOCS = Path(__file__).parents[2] / "docs" / "api.md"
CODE = re.compile(r"^`([a-z_]+)`$")


def table(header: str) -> list[list[str]]:
    """The cells of each row of the docs/api.md table whose header row is ``header``."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    start = lines.index(header) + 2  # past the header and its |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def code_of(cell: str) -> str:
    match = CODE.match(cell)
    assert match, f"not one `code` in a cell of docs/api.md: {cell!r}"
    return match.group(1)


def docs_codes() -> dict[str, int]:
    """docs/api.md's table of the API's errors: code -> status."""
    rows = table("| status | code | when | what to do |")
    codes = {code_of(row[1]): int(row[0]) for row in rows}
    assert len(codes) == len(rows), "a code is in the table twice"
    return codes


def docs_codes_elsewhere() -> set[str]:
    """docs/api.md's table of the codes no API response carries."""
    return {code_of(row[0]) for row in table("| code | why |")}


def error_responses(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, status, response) for every 4xx and 5xx response of the document."""
    found = [
        (f"{method.upper()} {path}", status, response)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status[0] in "45"
    ]
    reusable = doc["components"]["responses"]
    found += [(f"components.responses.{name}", "", response) for name, response in reusable.items()]
    return found


def codes_of(response: dict[str, Any]) -> list[str]:
    schema = response["content"]["application/json"]["schema"]
    assert schema["allOf"] == [{"$ref": "#/components/schemas/ErrorOut"}]
    return list(schema["properties"]["error"]["properties"]["code"]["enum"])


@pytest.fixture(scope="module")
def doc(app: FastAPI) -> dict[str, Any]:
    return TestClient(app).get("/openapi.json").json()


def test_every_code_is_in_docs_api_md_once_with_its_status() -> None:
    api = {code: c.status for code, c in api_codes().items()}
    assert docs_codes() == api
    assert docs_codes_elsewhere() == set(NOT_IN_RESPONSES)
    assert set(NOT_IN_RESPONSES) <= set(all_codes()), "NOT_IN_RESPONSES names a code that no error has"
    assert set(api) | set(NOT_IN_RESPONSES) == set(all_codes())


def test_each_code_has_one_status_whichever_class_or_handler_answers_it() -> None:
    from moodtune.web.errors import HANDLER_CODES, error_classes

    statuses: dict[str, set[int]] = {}
    for cls in error_classes():
        statuses.setdefault(cls.code, set()).add(cls.status)
    for code, (status, _) in HANDLER_CODES.items():
        statuses.setdefault(code, set()).add(status)
    assert {code: s for code, s in statuses.items() if len(s) > 1} == {}


def test_the_openapi_document_advertises_exactly_the_api_codes_each_at_its_status(
    doc: dict[str, Any],
) -> None:
    advertised: dict[str, set[int]] = {}
    for where, status, response in error_responses(doc):
        for code in codes_of(response):
            expected = api_codes()[code].status
            assert status in ("", str(expected)), f"{where}: {code} under {status}, not {expected}"
            advertised.setdefault(code, set()).add(expected)
    assert advertised == {code: {c.status} for code, c in api_codes().items()}
    assert set(ANY_ROUTE.values()) == {"not_found", "method_not_allowed", "internal_error"}


def test_fastapis_detail_shape_is_gone_and_every_error_is_error_out(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorOut"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}
    assert "detail" not in str(doc)
    for where, _, response in error_responses(doc):
        assert codes_of(response), where  # each has its ErrorOut schema with at least one code
        assert "x-moodtune-codes" not in response, where


def test_each_operation_lists_the_errors_it_can_answer(doc: dict[str, Any]) -> None:
    def codes(method: str, path: str) -> dict[str, list[str]]:
        responses = doc["paths"][path][method]["responses"]
        return {status: codes_of(r) for status, r in responses.items() if status[0] in "45"}

    for path, operations in doc["paths"].items():
        for method in operations:
            errors = codes(method, path)
            if path.startswith("/api/v1/"):  # the rate limit and the database, everywhere
                assert errors["429"] == ["rate_limited"], (method, path)
                assert "database_error" in errors["503"], (method, path)
            # a change checks its Origin; a read does not
            assert ("foreign_origin" in errors.get("403", [])) == (
                method in ("post", "put", "patch", "delete")
            )
            assert errors["431"] == ["headers_too_large"], (method, path)  # the request limits, everywhere
            assert ("body_timeout" in errors.get("408", [])) == (method in ("post", "put", "patch", "delete"))
    analyze = codes("post", "/api/v1/analyze")
    assert {"400", "413", "415", "503"} <= set(analyze) and "overloaded" in analyze["503"]
    assert codes("get", "/api/v1/songs/{song_id}")["404"] == ["song_not_found"]
    assert codes("post", "/api/v1/recommendations")["400"] == ["bad_request"]  # JSON that is not
    assert "youtube_not_configured" in codes("post", "/api/v1/playlists/youtube")["503"]
    assert codes("get", "/healthz") == {"431": ["headers_too_large"]}  # liveness: never the database
    assert codes("get", "/readyz") == {"431": ["headers_too_large"], "503": ["database_error"]}
    assert codes("post", "/api/v1/recommendations")["413"] == ["body_too_large"]
    assert codes("post", "/api/v1/analyze")["413"] == ["image_too_large"]
    assert set(doc["paths"]["/api/v1/youtube/connect"]["get"]["responses"]) == {"302", "429", "431", "503"}
    assert {"200", "201"} <= set(doc["paths"]["/api/v1/me/readings"]["post"]["responses"])
    assert "requestBody" in doc["paths"]["/api/v1/analyze"]["post"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("get", "/api/v1/songs/nope", {}, 404),
        ("get", "/api/v1/songs", {"params": {"query": "?!"}}, 422),
        (
            "post",
            "/api/v1/recommendations",
            {"content": b"{", "headers": {"content-type": "application/json"}},
            400,
        ),
        ("post", "/api/v1/analyze", {"content": b"not an image"}, 415),
        ("patch", "/api/v1/me", {"json": {"history_enabled": "yes"}}, 422),
        ("get", "/no/such/route", {}, 404),
        ("put", "/api/v1/me", {}, 405),
    ],
)
def test_real_error_bodies_are_error_out_with_a_code_documented_for_their_status(
    client: TestClient, doc: dict[str, Any], method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    r = client.request(method, path, **kwargs)
    assert r.status_code == status, r.text
    code = ErrorOut.model_validate(r.json()).error.code
    operation = doc["paths"].get(path.replace("/nope", "/{song_id}"), {}).get(method)
    if operation is None:  # no such operation: one of the reusable responses
        assert code in ANY_ROUTE.values()
    else:
        assert code in codes_of(operation["responses"][str(status)])


# --- what the fuzz test found ---------------------------------------------------------------------


def test_a_405_names_every_method_the_path_takes(client: TestClient) -> None:
    r = client.put("/api/v1/me")
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, PATCH"  # was "GET": the first route's alone
    assert "it takes DELETE, GET, PATCH" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/me", {"history_enabled": 0}),
        ("/api/v1/me", {"calibration_enabled": "true"}),
        ("/api/v1/recommendations", {"mood": "positive", "n": "5"}),
        ("/api/v1/recommendations", {"mood": "positive", "use_taste": 1}),
    ],
)
def test_a_value_of_another_json_type_is_refused_not_coerced(
    client: TestClient, path: str, body: dict
) -> None:
    method = "patch" if path.endswith("/me") else "post"
    r = client.request(method, path, json=body)
    assert r.status_code == 422, r.text  # 0 was taken for false, "5" for 5
    assert r.json()["error"]["code"] == "invalid_field"


def test_a_search_without_a_letter_or_digit_is_a_422_saying_so(client: TestClient) -> None:
    r = client.get("/api/v1/songs", params={"query": "!?"})
    assert r.status_code == 422  # was a 400 catalog_error, which no operation documented
    error = r.json()["error"]
    assert error["code"] == "usage_error" and "at least one letter or digit" in error["message"]


# --- logging ----------------------------------------------------------------------------------------


def test_youtube_being_off_is_logged_once_as_a_warning_not_as_an_error_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="moodtune.web")
    for _ in range(3):
        r = client.get("/api/v1/youtube/connect", follow_redirects=False)
        assert r.status_code == 503 and r.json()["error"]["code"] == "youtube_not_configured"
    # the app is this module's, and no other test of it turns to YouTube: this is the first time
    levels = [r.levelno for r in caplog.records if r.name == "moodtune.web"]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert not [r for r in caplog.records if r.exc_info]


def test_a_real_failure_is_still_logged_as_an_error(
    client: TestClient, app: FastAPI, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object) -> None:
        raise StoreError("cannot reach the database; check that it runs")

    monkeypatch.setattr(app.state.services.store, "listener", down)
    r = client.get("/api/v1/me")
    assert r.status_code == 503 and r.json()["error"]["code"] == "database_error"
    assert [r.levelno for r in caplog.records if r.name == "moodtune.web"] == [logging.ERROR]
