"""Hostile bodies get short, clear answers: multipart forms are bounded and never recurse, error
messages never echo a large input, and every HTML response carries a content security policy."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from moodtune.web.uploads import MAX_PARTS

BOUNDARY = "XyZ"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def form(*parts: tuple[str, bytes], extra_headers: str = "") -> bytes:
    out = b""
    for name, data in parts:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n{extra_headers}\r\n'
        out += head.encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def error_of(r) -> dict[str, str]:  # type: ignore[no-untyped-def]
    body = r.json()
    assert set(body) == {"error"}, body
    return body["error"]


def test_a_form_of_thousands_of_fields_is_refused_by_its_count_and_not_echoed(client: TestClient) -> None:
    body = form(*[(f"field{i}", b"x") for i in range(16_000)])
    r = client.post("/api/v1/analyze", content=body, headers=MULTIPART)
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "bad_request"
    assert f"more than {MAX_PARTS} parts" in err["message"]
    assert "field15000" not in r.text and len(r.content) < 4096


def test_the_image_part_is_read_byte_for_byte_even_when_it_is_all_line_breaks(client: TestClient) -> None:
    # 2 MB of CRLFs is no image: the answer is the sniffing's, not a stall or a parse error
    r = client.post("/api/v1/analyze", content=form(("image", b"\r\n" * 1_000_000)), headers=MULTIPART)
    assert r.status_code == 415
    assert error_of(r)["code"] == "unsupported_image_format"


def test_a_form_without_the_image_part_is_a_400_naming_it_and_what_to_send(client: TestClient) -> None:
    r = client.post("/api/v1/analyze", content=form(("photo", b"xx"), ("note", b"hi")), headers=MULTIPART)
    assert r.status_code == 400  # as docs/api.md says (it was once a 422 usage_error)
    err = error_of(r)
    assert err["code"] == "bad_request"
    assert "no part named 'image' (its parts: photo, note)" in err["message"]
    assert "send the photo as the file part 'image', or the raw image as the whole body" in err["message"]


def test_the_image_field_is_found_among_other_fields(client: TestClient, smiling_crop: bytes) -> None:
    body = form(("note", b"hello"), ("image", smiling_crop), ("other", b"x"))
    r = client.post("/api/v1/analyze?assume_face=true", content=body, headers=MULTIPART)
    assert r.status_code == 200, r.text
    assert r.json()["faces"][0]["mood"] == "positive"


def test_a_nested_multipart_part_is_bytes_never_parsed_into(client: TestClient) -> None:
    nested = b"payload"
    for level in range(1000):
        nested = (
            f"--n{level}\r\nContent-Type: multipart/mixed; boundary=n{level + 1}\r\n\r\n".encode()
            + nested
            + f"\r\n--n{level}--\r\n".encode()
        )
    body = form(("image", nested), extra_headers="Content-Type: multipart/mixed; boundary=n0\r\n")
    r = client.post("/api/v1/analyze", content=body, headers=MULTIPART)
    assert r.status_code == 415  # read as the bytes of one part: not an image (was a 500)
    assert error_of(r)["code"] == "unsupported_image_format"


@pytest.mark.parametrize(
    "body",
    [
        {"n": "x" * 200_000},  # a large value of the wrong type (under the body limit)
        {"strategy": "y" * 200_000},  # a large value outside a choice
        {"k" * 100_000: 1},  # a huge unknown key
    ],
)
def test_a_bad_field_is_named_but_a_large_value_is_not_echoed(client: TestClient, body: dict) -> None:
    r = client.post("/api/v1/recommendations", json=body)
    assert r.status_code == 422
    err = error_of(r)
    assert err["code"] == "invalid_field" and "more characters" in err["message"]
    assert len(r.content) < 4096


def test_an_unknown_long_path_is_not_echoed_whole(client: TestClient) -> None:
    r = client.get("/" + "a" * 20_000)
    assert r.status_code == 404
    assert len(r.content) < 4096 and "more characters" in error_of(r)["message"]


@pytest.mark.parametrize("path", ["/", "/static/index.html", "/docs"])
def test_every_html_page_has_a_policy_that_forbids_framing(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_allows_exactly_its_own_inline_script(client: TestClient) -> None:
    r = client.get("/docs")
    scripts = re.findall(r"<script>(.*?)</script>", r.text, flags=re.S)
    assert scripts  # Swagger UI starts from one inline script
    script_src = next(d for d in r.headers["content-security-policy"].split(";") if "script-src" in d)
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    assert "unsafe-inline" not in script_src


def test_a_forgotten_listener_id_never_comes_back(client: TestClient, app: FastAPI) -> None:
    """Delete all my data retires the id: its old cookie, replayed, gets a fresh identity and
    stores nothing under the old one."""
    song = next(iter(app.state.services.catalog)).id
    first = client.post("/api/v1/feedback", json={"song_id": song, "event": "like"})
    assert first.status_code == 201, first.text
    old_cookie = client.cookies.get("moodtune_listener")
    assert old_cookie and client.get("/api/v1/me").json()["feedback_count"] == 1
    assert client.delete("/api/v1/me").status_code == 204

    client.cookies.clear()
    client.cookies.set("moodtune_listener", old_cookie)
    again = client.post("/api/v1/feedback", json={"song_id": song, "event": "like"})
    assert again.status_code == 201
    fresh = again.cookies.get("moodtune_listener")
    assert fresh and fresh != old_cookie  # a new identity was issued
    client.cookies.clear()
    client.cookies.set("moodtune_listener", old_cookie)
    assert client.get("/api/v1/me").json()["feedback_count"] == 0  # nothing stored under the old id


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        (None, 201),  # the CLI or a script: no Origin
        ("http://testserver", 201),  # the page itself (the test client's host)
        ("https://testserver", 201),  # the page behind a proxy that ends TLS
        ("https://evil.example", 403),  # another site's page, carrying the listener's cookie
        ("http://testserver.evil.example", 403),  # a look-alike host
        ("null", 403),  # a sandboxed frame or a file:// page
    ],
)
def test_changes_are_taken_only_from_the_services_own_page(
    client: TestClient, app: FastAPI, origin: str | None, status: int
) -> None:
    song = next(iter(app.state.services.catalog)).id
    headers = {} if origin is None else {"origin": origin}
    r = client.post("/api/v1/feedback", json={"song_id": song, "event": "like"}, headers=headers)
    assert r.status_code == status, r.text
    if status == 403:
        assert error_of(r)["code"] == "foreign_origin"
        assert client.get("/api/v1/me").json()["feedback_count"] == 0  # nothing was stored


def test_reading_from_another_origin_is_not_refused(client: TestClient) -> None:
    r = client.get("/api/v1/config", headers={"origin": "https://evil.example"})
    assert r.status_code == 200
