"""``moodtune serve``: run the app on uvicorn with the given settings.

Every worker process builds its app with ``create_app`` from the ``MOODTUNE_*`` environment, so
the options given here are passed on as environment variables; with several workers, Prometheus
metrics are collected across processes in a temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import SecretStr

from moodtune.errors import UsageError
from moodtune.settings import ENV_PREFIX, Settings
from moodtune.web.logs import log_config
from moodtune.web.tls import local_addresses, self_signed


def serve(
    settings: Settings,
    *,
    https: bool = False,
    ssl_certfile: Path | None = None,
    ssl_keyfile: Path | None = None,
    announce: bool = True,
) -> None:
    import uvicorn

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise UsageError(
            "--ssl-certfile and --ssl-keyfile go together; give both, or --https for a self-signed pair"
        )
    if https and ssl_certfile is not None:
        raise UsageError(
            "give either --https (a self-signed certificate) or --ssl-certfile/--ssl-keyfile, not both"
        )
    for path in (ssl_certfile, ssl_keyfile):
        if path is not None and not path.is_file():
            raise UsageError(f"certificate file not found: {path}")
    if https:
        ssl_certfile, ssl_keyfile = self_signed(settings.data_path / "tls")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):  # str() would hand the workers '**********'
            value = value.get_secret_value()
        os.environ[ENV_PREFIX + name.upper()] = str(value)
    os.environ[ENV_PREFIX + "DATA_DIR"] = str(settings.data_path)
    settings.signing_key()  # made once here, not raced by the workers
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="moodtune-metrics-")
    if announce:
        scheme = "https" if ssl_certfile else "http"
        shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        print(f"moodtune: open {scheme}://{shown}:{settings.port}/ (API docs at /docs)", flush=True)
        if settings.host in ("0.0.0.0", "::"):
            for addr in local_addresses():
                print(f"          on your network: {scheme}://{addr}:{settings.port}/", flush=True)
        if https:
            print("          the certificate is self-signed: accept the browser's warning once", flush=True)
    uvicorn.run(
        "moodtune.web.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        proxy_headers=settings.trust_proxy,
        # h11 stops reading a request whose headers pass the limit (the faster httptools parser
        # has no limit: a 50 MB cookie held the event loop for seconds); the app refuses the rest.
        http="h11",
        h11_max_incomplete_event_size=settings.max_header_bytes,
        # The proxy is another host or container (Caddy, an Ingress), not 127.0.0.1, uvicorn's default:
        # its X-Forwarded-Proto makes the request https, and so the listener cookie Secure.
        forwarded_allow_ips="*" if settings.trust_proxy else None,
        access_log=settings.log_level in ("debug", "trace"),
        log_config=log_config(settings.log_format, settings.log_level) or uvicorn.config.LOGGING_CONFIG,
    )
