"""Servers: `assistant serve` (HTTP API), `assistant ui` (web UI and API)."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import EXIT_USAGE, app, fail, open_services, run


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="API processes. More than one needs server mode: ASSISTANT_DATABASE__URL on PostgreSQL "
            "and a Chroma server (ASSISTANT_VECTOR_STORE__HOST).",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from assistant.api import create_app
    from assistant.settings import get_settings

    if workers > 1:
        settings = run(get_settings)
        url = settings.database.url or ""
        if not url.startswith(("postgresql://", "postgres://")) or not settings.vector_store.host:
            fail(
                "--workers above 1 needs server mode: set ASSISTANT_DATABASE__URL to a PostgreSQL database "
                "and ASSISTANT_VECTOR_STORE__HOST to a Chroma server (the embedded store has one owner)",
                EXIT_USAGE,
            )
        from assistant.services import database_upgrade

        run(database_upgrade, settings)  # the database answers and its tables exist, before the workers
        probe = run(open_services)
        run(probe.vector_store.heartbeat)  # and the Chroma server answers
        probe.close()
        typer.echo(f"API on http://{host}:{port} with {workers} processes", err=True)
        uvicorn.run(
            "assistant.api.app:app_from_settings",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
        )
        return
    services = run(open_services)
    run(services.vector_store.heartbeat)  # Chroma is opened on first use: fail now, not at the first question
    typer.echo(f"API on http://{host}:{port}  (docs: http://{host}:{port}/docs)", err=True)
    uvicorn.run(create_app(services), host=host, port=port, log_level="warning")


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Web UI port.", min=1, max=65535)] = 8501,
    api_port: Annotated[
        int, typer.Option("--api-port", help="HTTP API port (0: no API).", min=0, max=65535)
    ] = 8000,
) -> None:
    """Start the web UI and the HTTP API in one process (they share one embedded store)."""
    import socket
    import threading
    from pathlib import Path as _Path

    import uvicorn
    from streamlit.web import bootstrap

    import ui as ui_package
    from assistant.api import create_app
    from assistant.services import shared_services

    if api_port == port:
        fail("the web UI and the API need different ports", EXIT_USAGE)
    for p in (port, api_port) if api_port else (port,):
        with socket.socket() as probe:  # a busy port is an error now, not a silent API-less UI later
            try:
                probe.bind((host, p))
            except OSError as e:
                fail(f"cannot listen on {host}:{p} ({e.strerror or e}); choose another port", EXIT_USAGE)
    services = run(shared_services)
    run(services.vector_store.heartbeat)  # Chroma is opened on first use: fail now, not in the browser
    if api_port:
        server = uvicorn.Server(
            uvicorn.Config(create_app(services), host=host, port=api_port, log_level="warning")
        )
        threading.Thread(target=server.run, name="api", daemon=True).start()
        typer.echo(f"API: http://{host}:{api_port}/docs", err=True)
    keys = services.settings.home / "demo-keys.txt"
    typer.echo(f"UI:  http://{host}:{port}", err=True)
    if keys.exists():
        typer.echo(f"sign in with a key from {keys}", err=True)
    options = {
        "server_address": host,
        "server_port": port,
        "server_headless": True,
        "browser_gatherUsageStats": False,
        "server_fileWatcherType": "none",
        "client_toolbarMode": "viewer",
        "server_maxUploadSize": max(1, int(services.settings.ingest.max_file_mb)),
    }
    script = str(_Path(ui_package.__file__).parent / "app.py")
    bootstrap.load_config_options(flag_options=options)
    bootstrap.run(script, False, [], options)
