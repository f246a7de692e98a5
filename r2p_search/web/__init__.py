"""Serve: the search page and the HTTP API, over one live index (`r2p-search serve`).

`app.py` holds the routes: the API under /api/ answers with the JSON the CLI's --json prints
(api.py builds it), the page at / renders the same results as HTML on the server, so it works
without JavaScript; `static/app.js` only improves it. `templates/` and `static/` ship with the
package.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import R2PError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
INDEX_VARIABLE = "R2P_SERVE_INDEX"
"""How `serve --processes N` tells its worker processes which index to serve."""


def default_processes() -> int:
    """One server process per core: each answers questions with its own interpreter, so the
    Python part of one question does not wait for another's (benchmarks/README.md, "serve
    against the command line"); the vectors and postings are memory-mapped, shared by all."""
    return os.cpu_count() or 1


def serve(index_dir: Path, host: str, port: int, notify: Callable[[str], None], processes: int = 1) -> None:
    """Serve until Ctrl-C or SIGTERM; a port already taken is a one-line error.

    processes: more than one runs that many server processes on the one port (uvicorn's
    workers), each with the index open.
    """
    import uvicorn

    from ..store import MANIFEST

    _check_free(host, port)
    if host not in LOOPBACK:
        notify(
            f"warning: listening on {host}, not 127.0.0.1: anyone who can reach this machine on "
            f"port {port} can search the index"
        )
    if not (index_dir / MANIFEST).exists():
        notify(f"no index at {index_dir} yet: build one with r2p-search index; it is served once built")
    shown = f"[{host}]" if ":" in host else host
    each = f" by {processes} processes" if processes > 1 else ""
    notify(f"Serving {index_dir} at http://{shown}:{port}/{each} (API docs: /api/docs); Ctrl-C stops")
    options = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "timeout_graceful_shutdown": 5,  # SIGTERM: requests in flight get 5 s, then the process ends
        "server_header": False,
    }
    if processes > 1:
        from uvicorn.supervisors import Multiprocess

        os.environ[INDEX_VARIABLE] = str(index_dir.resolve())
        config = uvicorn.Config(f"{__name__}:from_environment", factory=True, workers=processes, **options)
        # The supervisor stops its processes on Ctrl-C or SIGTERM, each finishing its requests.
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        config = uvicorn.Config(_app(index_dir, notify), **options)
        _server_class()(config).run()
    notify("Stopped.")


def _app(index_dir: Path, notify: Callable[[str], None]) -> Any:
    from ..live import LiveIndex
    from .app import create_app

    return create_app(LiveIndex(index_dir, notify=notify))


def from_environment() -> Any:
    """The app of one of `serve --processes N`'s processes."""
    _stop_with_parent()
    return _app(Path(os.environ[INDEX_VARIABLE]), lambda message: print(message, file=sys.stderr))


def _stop_with_parent() -> None:
    """Stop this server process when the one that started it is gone, even killed outright:
    otherwise it would go on holding the port and the index, with nobody to stop it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="r2p-parent-watch", daemon=True).start()


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Ctrl-C or SIGTERM stops serving (a second one stops at once), and the process then
            # exits 0: uvicorn's own handling raises the signal again after shutting down.
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server


def _check_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise R2PError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (try --port)") from None
