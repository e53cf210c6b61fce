"""`chatseal serve`: the OpenAI Conversations API over HTTP(S)."""

from __future__ import annotations

import click

from chatseal.cli.common import clean_errors, home_option, open_seal


def register(cli: click.Group) -> None:
    """Add `serve` to the root group."""

    @cli.command("serve")
    @home_option
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option(
        "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port."
    )
    @click.option(
        "--workers",
        default=1,
        show_default=True,
        type=click.IntRange(1, 64),
        help="Worker processes.",
    )
    @click.option(
        "--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Server certificate (PEM)."
    )
    @click.option(
        "--tls-key", type=click.Path(exists=True, dir_okay=False), help="Server private key (PEM)."
    )
    @click.option(
        "--client-ca",
        type=click.Path(exists=True, dir_okay=False),
        help="CA for client certificates: turns on mTLS (a certificate is required).",
    )
    @click.option(
        "--log-level",
        default="info",
        show_default=True,
        type=click.Choice(["debug", "info", "warning", "error"]),
    )
    @clean_errors
    def serve(
        home: str,
        host: str,
        port: int,
        workers: int,
        tls_cert: str | None,
        tls_key: str | None,
        client_ca: str | None,
        log_level: str,
    ) -> None:
        """Serve the OpenAI Conversations API (TLS 1.3 only when --tls-cert is given)."""
        from chatseal.api.server import serve as run
        from chatseal.api.server import uvicorn_config

        if bool(tls_cert) != bool(tls_key):
            raise click.UsageError("--tls-cert and --tls-key go together")
        if client_ca and not tls_cert:
            raise click.UsageError("--client-ca needs --tls-cert and --tls-key")
        # Fail before binding if the home cannot be opened (uninitialised, bad schema or config).
        seal = open_seal(home)
        seal.close()
        config = uvicorn_config(
            str(seal.config.home if seal.config else home),
            host=host,
            port=port,
            workers=workers,
            tls_cert=tls_cert,
            tls_key=tls_key,
            client_ca=client_ca,
            log_level=log_level,
        )
        scheme = "https" if tls_cert else "http"
        click.echo(f"chatseal: serving {scheme}://{host}:{port}/v1 ({workers} worker(s))", err=True)
        run(config)
