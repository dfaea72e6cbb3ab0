"""The server's FastAPI app: leads in, routing decisions and SLA breaches out; OpenAPI at ``/docs``.

Every ``/v1`` route needs an API key (header ``X-API-Key``, or ``Authorization: Bearer KEY``) whose
role the spec's ``api.rights`` lists for the route's permission: no or unknown key → 401, a role
without the right → 403. Bodies are bounded (:data:`MAX_BODY` bytes, 255 characters a field) and
unknown fields are refused (422, naming the field); a body that is not JSON is a 400.
"""

import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from revframe import __version__
from revframe.api.keys import ApiKey, KeyChecker
from revframe.api.schemas import ActivityIn, ActivityOut, LeadIn, LeadOut, Problem
from revframe.api.service import LeadService, Stores, StoreUnavailable
from revframe.errors import RevframeError

MAX_BODY = 64 * 1024
log = logging.getLogger("revframe.api")

_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key from `revframe keys create`")
_bearer = HTTPBearer(auto_error=False, description="the same API key as a bearer token")


def create_app(root: str = ".", store_url: str | None = None, *, deliver: bool = True) -> FastAPI:
    """The app for the workspace at ``root`` (its spec and store; ``store_url`` overrides the store)."""
    from revframe.workspace import Workspace

    ws = Workspace(root, store_url)
    spec = ws.spec
    state: dict[str, Any] = {}
    checker = KeyChecker()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stores = Stores(ws.store_url)
        state["stores"] = stores
        state["service"] = LeadService(spec, stores)
        deliverer = _start_deliverer(ws.store_url, spec) if deliver else None
        try:
            yield
        finally:
            if deliverer is not None:
                deliverer.stop()
            stores.close()

    app = FastAPI(
        title="revframe",
        version=__version__,
        summary="Leads in, routing decisions and SLA breaches out, by your RevOps framework's rules.",
        lifespan=lifespan,
    )

    app.add_middleware(BoundedBody, limit=MAX_BODY)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = next(e for e in errors if e.get("type") == "json_invalid")
            ctx = detail.get("ctx", {}).get("error", "")
            return _problem(400, f"the body is not valid JSON ({ctx}); send a JSON object")
        fields = []
        for e in errors:
            loc = ".".join(str(p) for p in e["loc"] if p != "body")
            msg = "unknown field; remove it (see /docs for the fields)" if e["type"] == "extra_forbidden" else e["msg"]
            fields.append({"field": loc, "message": msg})
        names = ", ".join(f["field"] or "body" for f in fields)
        return _problem(422, f"invalid request: {names}", fields)

    @app.exception_handler(RevframeError)
    async def revframe_error(request: Request, exc: RevframeError) -> JSONResponse:
        if isinstance(exc, StoreUnavailable):
            return _problem(503, f"the store is unavailable, nothing was stored; send it again ({exc})", retry=True)
        return _problem(400, str(exc))

    @app.exception_handler(psycopg.OperationalError)
    async def store_down(request: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.warning("store error: %s", exc)
        return _problem(503, "the store is unavailable, nothing was stored; send it again", retry=True)

    def service() -> LeadService:
        return state["service"]  # type: ignore[no-any-return]

    def verify(presented: str) -> ApiKey | None:
        with state["stores"].use() as store:
            return checker.verify(store, presented)

    # async dependencies run on the event loop: a sync one would cost a hop to the thread pool and
    # back on every request; only a key not seen in the last 30 s goes to the store (in the pool)
    async def key_of(
        api_key: Annotated[str | None, Depends(_key_header)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        presented = api_key or (bearer.credentials if bearer else None)
        if not presented:
            raise HTTPException(401, "an API key is required: send it as X-API-Key", {"WWW-Authenticate": "Bearer"})
        seen, key = checker.cached(presented)
        if not seen:
            key = await run_in_threadpool(verify, presented)
        if key is None:
            raise HTTPException(401, "unknown or revoked API key", {"WWW-Authenticate": "Bearer"})
        return key

    def needs(permission: str) -> Callable[..., Awaitable[ApiKey]]:
        async def check(key: Annotated[ApiKey, Depends(key_of)]) -> ApiKey:
            roles = spec.api.roles_for(permission)
            if key.role not in roles:
                allowed = ", ".join(roles) or "no role (the spec's api.rights does not list it)"
                raise HTTPException(403, f"role {key.role} may not use {permission}; allowed: {allowed}")
            return key

        return check

    @app.get("/health", tags=["server"])
    def health() -> dict[str, Any]:
        """Liveness and readiness: the store answers and the framework is loaded."""
        with state["stores"].use() as store:
            store.query("SELECT 1")
            dialect = store.dialect
        return {"status": "ok", "store": dialect, "framework_version": spec.version, "revframe": __version__}

    @app.post(
        "/v1/leads",
        status_code=201,
        response_model=LeadOut,
        tags=["leads"],
        responses={200: {"model": LeadOut, "description": "a duplicate"}, 401: {"model": Problem},
                   403: {"model": Problem}, 422: {"model": Problem}},
    )  # fmt: skip
    def create_lead(lead: LeadIn, key: Annotated[ApiKey, Depends(needs("leads.write"))]) -> Response:
        """Take one lead: normalize, check duplicates, match an account, score, route, open its SLA clock.

        The answer holds the routing decision with its reasons (the rules tried, the reps considered).
        A duplicate of an existing person answers 200 with ``status: duplicate`` and creates nothing.
        """
        with state["stores"].use() as store:
            out = service().create_lead(store, lead)
        # serialized once, by the model's own serializer: the answer is already a LeadOut, so FastAPI's
        # response_model (kept for the OpenAPI description) would only validate and encode it again
        code = 200 if out.status == "duplicate" else 201
        return Response(out.model_dump_json(), status_code=code, media_type="application/json")

    @app.post("/v1/noop", tags=["server"], include_in_schema=True)
    def noop(lead: LeadIn, key: Annotated[ApiKey, Depends(needs("leads.write"))]) -> dict[str, str]:
        """Parse and authorize a lead, then do nothing: the floor the routing benchmark compares against."""
        return {"status": "ok"}

    @app.get("/v1/routing-decisions/{decision_id}", tags=["routing"], responses={404: {"model": Problem}})
    def get_decision(decision_id: str, key: Annotated[ApiKey, Depends(needs("routing.read"))]) -> dict[str, Any]:
        """One routing decision: who, by which rule, the rules tried and the reps passed over."""
        cols = [
            "decision_id", "run_id", "contact_id", "account_id", "rule_id", "strategy", "assigned_to", "queue",
            "team", "reason", "rule_path", "candidates", "match", "previous_owner", "decided_at",
        ]  # fmt: skip
        with state["stores"].use() as store:
            rows = store.query(f"SELECT {', '.join(cols)} FROM routing_decisions WHERE decision_id = ?", [decision_id])
        if not rows:
            raise HTTPException(404, f"no routing decision {decision_id}")
        d = dict(zip(cols, rows[0], strict=True))
        for k in ("rule_path", "candidates", "match"):
            d[k] = json.loads(d[k]) if isinstance(d[k], str) else d[k]
        return jsonable_encoder(d)  # type: ignore[no-any-return]

    @app.post("/v1/activities", status_code=201, response_model=ActivityOut, tags=["activities"])
    def log_activity(act: ActivityIn, key: Annotated[ApiKey, Depends(needs("activities.write"))]) -> ActivityOut:
        """Log a rep's action; it stops the open SLA clocks it satisfies (automated touches never do)."""
        if not (act.contact_id or act.account_id or act.opportunity_id):
            raise HTTPException(422, "an activity needs contact_id, account_id or opportunity_id")
        with state["stores"].use() as store:
            activity_id, stopped = service().log_activity(store, act)
        return ActivityOut(activity_id=activity_id, stopped_clocks=jsonable_encoder(stopped))

    @app.get("/v1/sla/breaches", tags=["sla"])
    def sla_breaches(
        key: Annotated[ApiKey, Depends(needs("sla.read"))], team: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """SLA legs past due, the most recently due first, with their owner, team and how late they are."""
        from revframe.process.sla import breaches

        with state["stores"].use() as store:
            rows = breaches(store, spec, team=team, limit=max(1, min(limit, 1000)))
        return jsonable_encoder(rows)  # type: ignore[no-any-return]

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail), headers=exc.headers)

    return app


class BoundedBody:
    """Refuses bodies over ``limit`` bytes with 413: by Content-Length at once, and while reading a
    chunked body (so a body without a length cannot get past the limit either)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await _problem(413, f"the body is {int(length):,} bytes; the limit is {self.limit:,}")(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"the body is over the limit of {self.limit:,} bytes")
            return message

        await self.app(scope, counted, send)


def _problem(
    code: int, error: str, fields: list[dict[str, Any]] | None = None, headers: Any = None, retry: bool = False
) -> JSONResponse:
    if retry:
        headers = {**(headers or {}), "Retry-After": "1"}
    return JSONResponse({"error": error, "fields": fields or []}, status_code=code, headers=headers)


def _start_deliverer(store_url: str, spec: Any) -> Any:
    """The webhook outbox's background sender, on its own store connection (never in a request)."""
    try:
        from revframe.process.escalation import Deliverer
    except ImportError:  # pragma: no cover - escalation ships with the SLA engine
        return None
    if not store_url.startswith(("postgresql://", "postgres://")):
        return None  # one writer per process on DuckDB/Spark: `revframe sla` delivers instead
    return Deliverer.start(store_url, spec)


def create_app_from_env() -> FastAPI:
    """The app uvicorn workers build (``revframe serve --workers N``): workspace and store from the environment."""
    return create_app(os.environ.get("REVFRAME_WORKSPACE", "."), os.environ.get("REVFRAME_STORE") or None)


__all__ = ["create_app", "create_app_from_env", "status"]
