"""`moodtune serve` for real: a process on a free port, over HTTPS with a self-signed certificate."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509

from moodtune.web.tls import self_signed


def test_the_self_signed_certificate_names_this_machine_and_is_reused(tmp_path: Path) -> None:
    cert_path, key_path = self_signed(tmp_path, hosts=["192.168.1.20"])
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    shown = {str(n.value) for n in names}
    assert {"localhost", "127.0.0.1", "192.168.1.20"} <= shown
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    again, _ = self_signed(tmp_path)
    assert again.read_bytes() == cert_path.read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_https_answers_over_tls(tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).parent / "moodtune"
    env = {**os.environ, "MOODTUNE_DATA_DIR": str(tmp_path), "MOODTUNE_ANALYZE_THREADS": "1"}
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--https"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    cert = tmp_path / "tls" / "cert.pem"
    try:
        deadline = time.time() + 60
        body = None
        while time.time() < deadline and body is None:
            try:
                context = ssl.create_default_context(cafile=str(cert))  # trusts only our certificate
                with urllib.request.urlopen(
                    f"https://localhost:{port}/healthz", context=context, timeout=2
                ) as r:
                    body = r.read().decode()
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.5)
        assert body is not None and '"status":"ok"' in body
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"https://127.0.0.1:{port}/" in out
    assert "self-signed" in out


def test_serve_hands_every_setting_to_its_workers_secrets_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from moodtune.settings import load_settings
    from moodtune.web.server import serve

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("MOODTUNE_SECRET_KEY", "s3cret-for-every-worker")
    monkeypatch.setenv("MOODTUNE_DATA_DIR", str(tmp_path))
    before = dict(os.environ)
    try:
        serve(load_settings(port=9100, workers=3), announce=False)
        assert os.environ["MOODTUNE_SECRET_KEY"] == "s3cret-for-every-worker"
        assert os.environ["MOODTUNE_PORT"] == "9100"
        assert seen["workers"] == 3 and seen["factory"] is True
        assert "PROMETHEUS_MULTIPROC_DIR" in os.environ
    finally:  # serve() exports for its worker processes; the rest of the session must not see it
        os.environ.clear()
        os.environ.update(before)


def test_a_huge_header_is_refused_by_the_server_without_stalling_it(tmp_path: Path) -> None:
    import socket

    port = _free_port()
    exe = Path(sys.executable).parent / "moodtune"
    env = {**os.environ, "MOODTUNE_DATA_DIR": str(tmp_path), "MOODTUNE_ANALYZE_THREADS": "1"}
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None
                time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            started = time.monotonic()
            try:  # the server answers 4xx and closes long before 8 MB of header could be parsed
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * (8 * 1024 * 1024))
                answer = sock.recv(200)
                assert answer.startswith(b"HTTP/1.1 4") or answer == b"", answer
            except (ConnectionResetError, BrokenPipeError):
                pass  # closed while we were still sending
            assert time.monotonic() - started < 5
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        proc.wait(20)
