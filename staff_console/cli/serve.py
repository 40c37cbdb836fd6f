"""`staff-console serve`: the console server (issue 14) on the configured store, under uvicorn.

It is the one process that holds the store URL and the master key; terminals and channel
back-ends connect to it. Binding anything but the loopback needs TLS (`--certfile/--keyfile`):
a password and a session token must not cross a network in clear text. `--insecure-http` is
for a lab, and the log and the terminal say so at every start.

The store is opened once here before the workers start, so that a refusal (schema, key, a fixed
clock on a real store) is the command's exit code and message, not a worker's trace; each
worker then opens its own (server/app.py, settings from the same environment).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from ..domain.errors import ConsoleError, invalid
from ..i18n import t
from ..server import DEFAULT_THREADS, THREADS_BOUNDS, THREADS_VARIABLE
from ._runtime import env, handled

log = logging.getLogger(__name__)

INSECURE_WARNING = ("INSECURE: serving plain HTTP on a network address (--insecure-http); "
                    "passwords and session tokens cross the network unencrypted. Lab use only.")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@handled
def serve(
    host: Annotated[str, typer.Option("--host", help="cli.help.serve.host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="cli.help.serve.port")] = 8443,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64, help="cli.help.serve.workers")] = 1,
    threads: Annotated[int, typer.Option(
        "--threads", min=THREADS_BOUNDS[0], max=THREADS_BOUNDS[1],
        help="cli.help.serve.threads")] = DEFAULT_THREADS,
    certfile: Annotated[Path | None, typer.Option(
        "--certfile", help="cli.help.serve.certfile")] = None,
    keyfile: Annotated[Path | None, typer.Option(
        "--keyfile", help="cli.help.serve.keyfile")] = None,
    insecure_http: Annotated[bool, typer.Option(
        "--insecure-http", help="cli.help.serve.insecure_http")] = False,
) -> None:
    e = env()
    if (certfile is None) != (keyfile is None):
        raise invalid("certfile", "give both --certfile and --keyfile")
    for name, path in (("certfile", certfile), ("keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise invalid(name, f"{path} is not a readable file")
    if not 0 < port < 65536:
        raise invalid("port", "must be from 1 to 65535")
    tls = certfile is not None
    if not tls and not is_loopback(host) and not insecure_http:
        raise invalid("certfile", f"serving on {host} (not this machine only) needs TLS: give "
                      "--certfile and --keyfile (or, in a lab, --insecure-http)")
    settings = e.settings()
    if settings.server:
        raise ConsoleError("INVALID_SETTING", "server: `serve` runs where the store is; unset "
                           "STAFF_CONSOLE_SERVER (or --server) on the server's host",
                           field="server")
    clock = e.requested_clock()
    from ..server.app import NOW_VARIABLE
    from ..services.backend import open_backend

    open_backend(settings, clock=clock).store.dispose()  # refused here, with its code
    # The workers read the same settings (uvicorn starts them from the factory's name).
    os.environ["STAFF_CONSOLE_HOME"] = str(settings.home)
    os.environ["STAFF_CONSOLE_DB"] = settings.db_url
    os.environ[THREADS_VARIABLE] = str(threads)
    if e.now_text:
        os.environ[NOW_VARIABLE] = e.now_text
    if not tls and not is_loopback(host):
        log.warning(INSECURE_WARNING)
        typer.echo(t("cli.serve.insecure", http="HTTP", flag="--insecure-http"),  # the log: English
                   err=True)
    log.info("serving on %s://%s:%d with %d worker(s), %d call(s) at once in each",
             "https" if tls else "http", host, port, workers, threads)
    import uvicorn

    uvicorn.run("staff_console.server.app:from_environment", factory=True, host=host,
                port=port, workers=workers, ssl_certfile=str(certfile) if tls else None,
                ssl_keyfile=str(keyfile) if tls else None, server_header=False,
                # Open event streams (server/events.py) would hold a stop or restart for minutes.
                timeout_graceful_shutdown=5, log_level="info")
