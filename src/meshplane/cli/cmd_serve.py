"""``meshplane serve``: the marketplace (pages and REST API) over a mesh's registry, with uvicorn.

The socket is bound here, before uvicorn starts, so a port already taken is a clear error (with the flag that
fixes it) rather than a log line, ``--port 0`` picks a free port, and the URL printed is the one that works.
Ctrl-C stops uvicorn gracefully: requests in flight finish, then the registry is closed by the app's lifespan.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from pathlib import Path
from typing import Annotated, Any

import typer

from meshplane.cli.console import err, out
from meshplane.cli.options import EnvOpt, MeshOpt
from meshplane.errors import ConflictError, InvalidInputError
from meshplane.spec.workspace import find_mesh_root

HostOpt = Annotated[str, typer.Option("--host", help="Interface to listen on; 0.0.0.0 exposes it to the network.")]
PortOpt = Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on (0: any free port).")]
OpenOpt = Annotated[bool, typer.Option("--open", help="Open the marketplace in a web browser once it is up.")]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; ConflictError when the port is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidInputError(f"cannot listen on host `{host}`: {exc.strerror}", hint="try --host 127.0.0.1") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConflictError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="another program uses that port: pick another with --port (or --port 0 for any free one)",
        ) from exc
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("localhost" if host == "::" else host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def serve_app(
    app: Any, host: str, port: int, *, open_browser: bool = False, what: str = "Marketplace", to_stderr: bool = False
) -> None:
    """Serve ``app`` until Ctrl-C, printing its URL first (on stderr with ``to_stderr``, when stdout is JSON)."""
    import uvicorn

    sock = bind(host, port)
    url = url_of(sock, host)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    (err if to_stderr else out).print(f"{what} at [bold]{url}[/]  (Ctrl-C stops it)")
    if open_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down gracefully, then re-raises the Ctrl-C it captured
        pass
    finally:
        sock.close()
    err.print("stopped")


def make_app(mesh: Path, env: str | None) -> Any:
    """The web app over the mesh at or above ``mesh`` (the import stays here: FastAPI loads only when serving)."""
    from meshplane.errors import NotFoundError
    from meshplane.web.app import create_app

    root = find_mesh_root(mesh.resolve())
    if root is None:
        raise NotFoundError(f"no mesh.yaml at or above {mesh}", hint="pass --mesh DIR, or run `meshplane demo`")
    return create_app(root, environment=env)


def serve(
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    open_browser: OpenOpt = False,
) -> None:
    """Serve the marketplace: search, data product pages, lineage, domains, governance and the REST API
    (under /api/v1, documented at /docs), over the mesh's registry."""
    serve_app(make_app(mesh, env), host, port, open_browser=open_browser)
