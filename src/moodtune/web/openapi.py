"""The OpenAPI document (``/openapi.json``, ``/docs``): FastAPI's, with the errors as they really are.

FastAPI documents a 422 ``{"detail": [...]}`` that the service never sends, and no other error.
``install_openapi`` rewrites the errors of every operation: each status it can answer, in the one
error shape (``ErrorOut``), narrowed to the exact codes that status can carry there, so that a
client, and the fuzz test, can check them. The codes come from the error classes:

* a route's own errors, declared on it with ``responses=errors(SongNotFound, ...)``;
* the errors of its dependencies (``DEPENDENCY_ERRORS``: the rate limit, the Origin check of a
  method that changes state, the database behind the services);
* request validation: 422 ``invalid_field`` for a route with query parameters or a body, 400
  ``bad_request`` for a JSON body that cannot be parsed;
* the request limits of ``web/limits.py``: 431 on any route, 408 and 413 on a route that takes a body.

The errors of no one route (an unknown route, a method a route does not take, a bug) are the
reusable responses of ``components.responses``. ``all_codes()`` is every code moodtune has and
``NOT_IN_RESPONSES`` those no API response carries, with why: tests keep both equal to the tables of
docs/api.md and to this document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

import moodtune.errors
from moodtune.errors import (
    BodyTimeout,
    BodyTooLarge,
    ForeignOrigin,
    HeadersTooLarge,
    MoodtuneError,
    RateLimited,
    RetryLater,
    StoreBusy,
    StoreError,
)
from moodtune.store import validation as store_errors
from moodtune.web.api import SAFE_METHODS, rate_limit, same_origin, services
from moodtune.web.errors import ERROR_CODES, HANDLER_CODES, ErrorOut, error_classes
from moodtune.web.limits import UPLOAD_PATHS
from moodtune.youtube import errors as youtube_errors

ERROR_MODULES = (moodtune.errors, store_errors, youtube_errors)
"""The modules that define ``MoodtuneError`` subclasses: imported here, so ``all_codes`` sees them all."""

DEPENDENCY_ERRORS: dict[Callable[..., Any], tuple[type[MoodtuneError], ...]] = {
    rate_limit: (RateLimited,),
    same_origin: (ForeignOrigin,),  # only for methods that change state: see route_errors
    services: (StoreError, StoreBusy),  # a route that holds the services may read the database
}
"""The errors a route can answer because it depends on one of these."""

NOT_IN_RESPONSES: dict[str, str] = {
    "moodtune_error": "the base class of every error, never raised itself",
    "invalid_image": "the base class of the image errors: an upload gets one of its subclasses",
    "image_not_found": "the CLI's: an image path that names no file (the API reads uploads)",
    "invalid_config": "the CLI's and the start's: a training configuration or a setting",
    "invalid_dataset": "the CLI's: a data set to train or evaluate on",
    "invalid_model": "the CLI's and the start's: a model file that is missing or inconsistent",
    "catalog_error": "the CLI's and the start's: the song catalog, or a CSV given to the CLI",
    "invalid_store_input": "the store's own check: the API checks every field before (invalid_field)",
    "invalid_listener_id": "the store's own check: the API's listener ids come from its signed cookie",
    "oauth_state_invalid": "the OAuth callback redirects to the page with it (/?youtube=error&code=...)",
}
"""Codes of ``moodtune.errors`` that no API response carries, and why (docs/api.md lists them too)."""

ANY_ROUTE: dict[str, str] = {
    "NotFound": "not_found",
    "MethodNotAllowed": "method_not_allowed",
    "InternalError": "internal_error",
}
"""The reusable responses (``components.responses``) of no one operation, by the code each carries."""

ERROR_REF = "#/components/schemas/ErrorOut"


@dataclass(frozen=True)
class Code:
    """One error code: its HTTP status and when it is answered."""

    code: str
    status: int
    when: str


def _when(cls: type[MoodtuneError]) -> str:
    """The first sentence of ``cls``'s docstring (one ends before a capital or a name in backquotes:
    "e.g. a" goes on)."""
    text = " ".join((cls.__doc__ or cls.__name__).split())
    return re.split(r"\.\s+(?=[A-Z`])", text)[0].rstrip(".")


def all_codes() -> dict[str, Code]:
    """Every code moodtune can report: each ``MoodtuneError`` subclass's (the first class of a
    code names it) and the web handlers' own (``HANDLER_CODES``)."""
    codes: dict[str, Code] = {}
    for cls in error_classes():
        codes.setdefault(cls.code, Code(cls.code, cls.status, _when(cls)))
    for code, (status, when) in HANDLER_CODES.items():
        codes.setdefault(code, Code(code, status, when))
    return codes


def api_codes() -> dict[str, Code]:
    """The codes an API response can carry: ``all_codes()`` less ``NOT_IN_RESPONSES``."""
    return {c: code for c, code in all_codes().items() if c not in NOT_IN_RESPONSES}


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def api_routes(app: FastAPI) -> Iterator[RouteContext]:
    """The operations of ``app``'s document: its routes as included (prefix, router dependencies)."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            yield route


def route_errors(route: RouteContext) -> list[str]:
    """The codes ``route`` can answer: its declared ones, its dependencies' and validation's."""
    codes = [code for entry in route.responses.values() for code in entry.get(ERROR_CODES, ())]
    deps = list(_dependencies(route.dependant))
    changes_state = bool((route.methods or set()) - SAFE_METHODS)
    for call, raised in DEPENDENCY_ERRORS.items():
        if any(d.call is call for d in deps) and (call is not same_origin or changes_state):
            codes += [cls.code for cls in raised]
    # RequestLimits, before any route: headers on every request, a body's size and time on a change
    codes.append(HeadersTooLarge.code)
    if changes_state:
        codes.append(BodyTimeout.code)
        if route.path_format not in UPLOAD_PATHS:  # an upload's size is image_too_large, declared
            codes.append(BodyTooLarge.code)
    params = [route.dependant, *deps]
    if route.body_field is not None:
        codes += ["invalid_field", "bad_request"]
    elif any(d.query_params or d.header_params or d.cookie_params for d in params):
        codes.append("invalid_field")
    return list(dict.fromkeys(codes))


def documented_error(codes: list[str], known: dict[str, Code]) -> dict[str, Any]:
    """The OpenAPI response of one status: ``ErrorOut`` with ``error.code`` one of ``codes``."""
    response: dict[str, Any] = {
        "description": "; ".join(f"`{c}`: {known[c].when}" for c in codes),
        "content": {
            "application/json": {
                "schema": {
                    "allOf": [{"$ref": ERROR_REF}],
                    "properties": {"error": {"properties": {"code": {"enum": codes}}}},
                }
            }
        },
    }
    if any(issubclass(cls, RetryLater) and cls.code in codes for cls in error_classes()):
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before sending the request again (rate_limited, overloaded)",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


def with_errors(doc: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """``doc`` (FastAPI's document of ``app``) with each operation's errors as they really are."""
    known = api_codes()
    for route in api_routes(app):
        by_status: dict[int, list[str]] = {}
        for code in route_errors(route):
            if code not in known:
                raise ValueError(
                    f"{route.path_format} declares the error code {code!r}, which NOT_IN_RESPONSES says no "
                    "API response carries: take it out of the route's errors(...) or out of NOT_IN_RESPONSES"
                )
            by_status.setdefault(known[code].status, []).append(code)
        for method in route.methods or ():
            responses = doc["paths"][route.path_format][method.lower()]["responses"]
            for status in [s for s in responses if s[0] in "45"]:
                del responses[status]  # FastAPI's 422 {"detail"}, and the declared ones rebuilt below
            for status, codes in sorted(by_status.items()):
                responses[str(status)] = documented_error(codes, known)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorOut"] = error_schema
    components["responses"] = {name: documented_error([code], known) for name, code in ANY_ROUTE.items()}
    return doc


def install_openapi(app: FastAPI) -> None:
    """Serve ``with_errors`` of FastAPI's document at ``app.openapi_url`` (built once, then kept)."""
    fastapi_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # fastapi_openapi keeps its document there; so does this
            app.openapi_schema = with_errors(fastapi_openapi(), app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
