"""``aktuar serve``: the web application over HTTPS (TLS ≥ 1.2, KZ164-62).

``aktuar serve --host H --port P --cert FILE --key FILE`` serves https://H:P/login with the given certificate;
``--dev-cert`` makes (or reuses) a self-signed certificate in ``$AKTUAR_DATA_DIR/tls/`` for local use.
Plain HTTP needs ``--insecure-dev-http`` and is refused, like ``--dev-cert``, when ``AKTUAR_ENV=production``.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated, Any

import typer

from aktuar.cli_common import fail

app = typer.Typer(help="Serve the web application and REST API over HTTPS.")


def uvicorn_config(asgi_app: Any, host: str, port: int, context: ssl.SSLContext | None, **kw: Any) -> Any:
    """A uvicorn configuration serving ``asgi_app`` with ``context`` (None: plain HTTP)."""
    import uvicorn

    extra: dict[str, Any] = {}
    if context is not None:
        extra["ssl_context_factory"] = lambda _config, _default: context
    return uvicorn.Config(asgi_app, host=host, port=port, proxy_headers=False, server_header=False,
                          date_header=True, log_level=kw.pop("log_level", "info"), **extra, **kw)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8443,
    cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM, with its chain).")] = None,
    key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    dev_cert: Annotated[bool, typer.Option("--dev-cert", help="Use a self-signed development certificate "
                                           "(made in the data directory); never in production.")] = False,
    insecure_dev_http: Annotated[bool, typer.Option("--insecure-dev-http", help="Serve plain HTTP for local "
                                                    "development; refused in production.")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (they share sessions, jobs and "
                                         "languages through the database).")] = 1,
) -> None:
    """Serve the web application: the login page is then at https://HOST:PORT/login."""
    from aktuar.errors import AktuarError
    from aktuar.store.db import Database, Settings
    from aktuar.web import WebSettings, create_app
    from aktuar.web.settings import is_production
    from aktuar.web.tls import dev_certificate, server_context

    production = is_production()
    modes = sum([bool(cert or key), dev_cert, insecure_dev_http])
    if modes != 1:
        fail("choose one: --cert FILE --key FILE (production), --dev-cert (a self-signed certificate for local "
             "use) or --insecure-dev-http (plain HTTP for development)")
    if insecure_dev_http and production:
        fail("plain HTTP is refused with production settings (AKTUAR_ENV=production): give --cert and --key")
    if dev_cert and production:
        fail("a self-signed development certificate is refused with production settings (AKTUAR_ENV=production): "
             "give --cert and --key")
    if (cert is None) != (key is None):
        fail("give both --cert and --key")
    try:
        db = Database(Settings.from_env())
        context: ssl.SSLContext | None = None
        if dev_cert:
            cert, key = dev_certificate(db.settings.data_dir, host)
            typer.echo(f"development certificate: {cert} (self-signed: browsers will warn)")
        if cert is not None and key is not None:
            context = server_context(cert, key)
        web = create_app(WebSettings(database=db, production=production))
    except AktuarError as exc:
        fail(str(exc))
    scheme = "http" if context is None else "https"
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"aktuar web: {scheme}://{shown}:{port}/login" + ("  (PLAIN HTTP: development only)"
                                                                  if context is None else ""))
    import uvicorn

    if workers == 1:
        uvicorn.Server(uvicorn_config(web, host, port, context)).run()
        return
    # several processes: each builds the application from the environment and the same TLS context from the files
    tls: dict[str, Any] = {}
    if cert is not None and key is not None:
        from aktuar.web.tls import uvicorn_ssl_context

        tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_context_factory": uvicorn_ssl_context}
    typer.echo(f"{workers} worker processes")
    uvicorn.run("aktuar.web.app:app_from_environment", factory=True, workers=workers, host=host, port=port,
                proxy_headers=False, server_header=False, date_header=True, log_level="info", **tls)
