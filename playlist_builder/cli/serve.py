"""`playlist-builder serve`: the clinic app in the browser (review by listening, sessions, exports)."""

from __future__ import annotations

import threading
import webbrowser

import click

from playlist_builder.cli.common import AppContext, pass_app
from playlist_builder.web.auth import is_loopback

DEFAULT_PORT = 8400
OPEN_DELAY_S = 1.0  # let the server start listening before the browser asks for the page


def app_url(host: str, port: int) -> str:
    """The URL to print and open (an IPv6 address in brackets; any-address shown as loopback)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback needs accounts (`users add`).",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True, help="TCP port."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the default browser.")
@click.option(
    "--device-root",
    "device_roots",
    multiple=True,
    metavar="FOLDER",
    help="Where mounted cards and sticks appear (default /media, /mnt, /run/media).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Host name the clinic's proxy forwards (default: any when not on loopback).",
)
@pass_app
def command(
    app: AppContext,
    host: str,
    port: int,
    open_browser: bool,
    device_roots: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
) -> None:
    """Start the clinic app and print its URL (Ctrl-C stops it).

    On 127.0.0.1 without accounts the app serves one local user with no sign-in; once any account
    exists everyone signs in. On any other address it refuses to start until accounts exist; put it
    behind the clinic's TLS proxy.

    \b
    Example:
      playlist-builder serve --open
      playlist-builder serve --host 0.0.0.0 --port 8400   # behind the clinic's TLS proxy
    """
    import uvicorn

    from playlist_builder.web.app import DEFAULT_DEVICE_ROOTS, create_app

    web_app = create_app(
        app.settings,
        app.library,
        bind_host=host,
        device_roots=device_roots or DEFAULT_DEVICE_ROOTS,
        allowed_hosts=allowed_hosts or None,
    )
    url = app_url(host, port)
    click.echo(f"Playlist Builder is at {url}  (Ctrl-C to stop)")
    if not is_loopback(host):
        click.echo("Listening beyond this computer: serve it to others through the clinic's TLS proxy.")
    if open_browser:
        threading.Timer(OPEN_DELAY_S, webbrowser.open, args=(url,)).start()
    uvicorn.run(
        web_app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        server_header=False,
        date_header=False,
    )
