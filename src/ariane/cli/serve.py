"""`ariane serve`: the web console on this machine (127.0.0.1 by default), HTTPS with a certificate.

Without a certificate the console is plain HTTP and may only listen on a loopback address:
passwords and session cookies never cross a network in clear. With `--cert/--key`, cookies are
Secure (with the __Host- prefix) and HSTS is sent. Forwarded headers are ignored: the client
address that sessions are bound to and sign-ins are throttled by is the socket's peer.
"""

from __future__ import annotations

import ipaddress
import pathlib
from typing import Annotated

import typer

from ariane.cli import common as c
from ariane.cli.render import console
from ariane.errors import UsageError

HostOpt = Annotated[str, typer.Option(help="address to listen on (loopback unless --cert)")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="TCP port")]
CertOpt = Annotated[
    pathlib.Path | None, typer.Option(exists=True, dir_okay=False, help="TLS certificate (PEM)")
]
KeyOpt = Annotated[
    pathlib.Path | None, typer.Option(exists=True, dir_okay=False, help="TLS private key (PEM)")
]
AllowedOpt = Annotated[
    list[str] | None,
    typer.Option("--allowed-host", help="host name browsers use to reach the console (repeat)"),
]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, extra: list[str] | None) -> tuple[str, ...]:
    names = {host, *(extra or [])}
    if is_loopback(host):
        names |= {"127.0.0.1", "localhost"}
    return tuple(sorted(names))


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8443,
    cert: CertOpt = None,
    key: KeyOpt = None,
    allowed_host: AllowedOpt = None,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Start the web console: review and approve manifests, follow runs, read the audit log."""
    import uvicorn

    from ariane.web.app import create_app
    from ariane.web.context import WebConfig

    if (cert is None) != (key is None):
        c.fail(UsageError("--cert and --key go together"))
    if cert is None and not is_loopback(host):
        c.fail(UsageError(f"serving on {host} needs TLS: give --cert and --key"))
    ws = c.run(lambda: c.workspace(workspace))
    config = WebConfig(ws, secure=cert is not None, allowed_hosts=allowed_hosts(host, allowed_host))
    scheme = "https" if cert is not None else "http"
    console.print(f"Ariane console on {scheme}://{host}:{port}/ (workspace {workspace})")
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        proxy_headers=False,  # never take the client's address from a header
        server_header=False,
        access_log=False,  # the audit log is the record; URLs carry no secrets either way
        log_level="warning",
    )


def main() -> None:
    """Run `serve` on its own (python -m ariane.cli.serve), e.g. before it is registered."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve)
    app()


if __name__ == "__main__":
    main()
