"""`revframe serve` (the real-time server) and `revframe keys` (its API keys)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from revframe.cli import app
from revframe.cli._output import STATE, Format, emit_json, emit_rows, say
from revframe.cli._ws import workspace
from revframe.errors import UsageError

keys_app = typer.Typer(help="API keys for `revframe serve`: each carries one role of the spec.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (more than 1 needs PostgreSQL).")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Run the API: POST /v1/leads, GET /v1/routing-decisions/{id}, POST /v1/activities, GET /v1/sla/breaches.

    OpenAPI at /docs; GET /health needs no key. Create keys with `revframe keys create --role ROLE`.
    See docs/server.md.
    """
    import uvicorn

    ws = workspace()
    ws.spec  # noqa: B018 - load the spec now: a broken spec is an error here, not in every worker
    store_url = ws.store_url
    if workers > 1 and not store_url.startswith(("postgresql://", "postgres://")):
        raise UsageError(
            f"--workers {workers}: several workers need a PostgreSQL store (--store postgresql://...); "
            "the DuckDB file takes one writer process"
        )
    from revframe.api.service import ensure_indexes

    ws.store.migrate()
    ensure_indexes(ws.store)  # once, before the workers start (they would race to create them)
    ws.close()
    os.environ["REVFRAME_WORKSPACE"] = str(ws.root)
    os.environ["REVFRAME_STORE"] = store_url
    say(f"revframe serving {ws.root} on http://{host}:{port} ({workers} worker(s); docs at /docs)")
    uvicorn.run(
        "revframe.api.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
        log_level=log_level, access_log=False,
    )  # fmt: skip


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="The spec role the key carries (people.roles).")],
    name: Annotated[str, typer.Option(help="What the key is for, e.g. website-forms.")] = "",
) -> None:
    """Create an API key; it is shown once (only its hash is stored)."""
    from revframe.api.keys import create_key

    ws = workspace()
    key, secret = create_key(ws.store, ws.spec, role, name)
    if STATE.format is Format.json:
        emit_json({"key_id": key.key_id, "name": key.name, "role": key.role, "key": secret})
        return
    say(f"API key {key.key_id} ({key.name}, role {key.role}) - copy it now, it is not shown again:")
    typer.echo(secret)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never the keys themselves)."""
    from revframe.api.keys import list_keys

    rows = [
        {"key_id": k.key_id, "name": k.name, "role": k.role, "created_at": k.created_at, "revoked_at": k.revoked_at}
        for k in list_keys(workspace().store)
    ]
    emit_rows(rows or [{"key_id": "no keys yet: revframe keys create --role ROLE"}], data=rows)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id (from `revframe keys list`).")]) -> None:
    """Revoke an API key (running servers stop accepting it within 30 seconds)."""
    from revframe.api.keys import revoke_key

    key = revoke_key(workspace().store, key_id)
    say(f"revoked {key.key_id} ({key.name}, role {key.role}) at {key.revoked_at:%Y-%m-%d %H:%M} UTC")
