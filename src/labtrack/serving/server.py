"""Running the scoring app with uvicorn: in the foreground (``labtrack serve``), or in a
background thread so that a notebook can call its own endpoint.

The listening socket is bound here, before uvicorn starts: a port already in use fails at
once with a clear error, ``port=0`` gets a free port whose number is known, and the
background handle waits on an event uvicorn's startup sets (never a fixed sleep).
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable

import uvicorn

from labtrack.errors import InvalidState, LabtrackError

STARTUP_TIMEOUT_SECONDS = 60.0


class _Server(uvicorn.Server):
    """uvicorn's server, reporting when it is ready and when it has shut down."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_started: Callable[[], None],
        on_shutdown: Callable[[], None] | None = None,
    ):
        super().__init__(config)
        self._on_started = on_started
        self._on_shutdown = on_shutdown

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()

    async def shutdown(self, sockets=None) -> None:
        await super().shutdown(sockets)
        # Here, not after run() returns: uvicorn raises a SIGTERM it caught again once it has
        # shut down, which ends the process before any code after run() could run.
        if self._on_shutdown is not None:
            self._on_shutdown()


class ModelServer:
    """A model served in a background thread; ``stop()`` (or leaving the ``with`` block)
    shuts it down.

    >>> with lt.serve("models:/iris@champion", port=0, background=True) as server:  # doctest: +SKIP
    ...     httpx.post(f"{server.url}/invocations", json={"inputs": [[5.1, 3.5, 1.4, 0.2]]})
    """

    def __init__(
        self,
        server: _Server,
        stopped: threading.Event,
        url: str,
        on_stop: Callable[[], None] | None = None,
    ):
        self._server = server
        self._on_stop = on_stop  # run once, after the server has stopped (a deployment's end)
        # The deployment's record (labtrack.production.record.DeploymentRun), if any.
        self.deployment = None
        # Set by the serving thread when it has closed its socket. Waiting on it, not on
        # Thread.join: a KeyboardInterrupt inside join() can leave the thread looking
        # finished while it still serves (CPython bpo-45274).
        self._stopped = stopped
        self.url = url

    @property
    def running(self) -> bool:
        return not self._stopped.is_set()

    def wait(self) -> None:
        """Block until the server stops; an interrupt (Ctrl+C, a notebook's stop button)
        stops it."""
        try:
            while not self._stopped.wait(0.5):  # a timeout keeps the wait interruptible
                pass
        except KeyboardInterrupt:
            self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (requests in flight are answered first), then end the deployment's
        record, if the server has one. ``InvalidState`` if it still answers after
        ``timeout`` seconds: its record stays live, and ``stop()`` may be called again."""
        self._server.should_exit = True
        if not self._stopped.wait(timeout):
            raise InvalidState(
                f"the server at {self.url} did not stop within {timeout:g} s (requests still "
                "being answered); call stop() again"
            )
        on_stop, self._on_stop = self._on_stop, None
        if on_stop is not None:
            on_stop()

    def __enter__(self) -> ModelServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ModelServer {self.url} {'running' if self.running else 'stopped'}>"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or a clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family)
    except OSError as error:
        raise InvalidState(
            f"cannot listen on {host}:{port}: {error.strerror or error}; choose another port (port=0 picks a free one)"
        ) from None
    # Accepted connections inherit it: without it each small answer waits ~40 ms for the
    # client's delayed ACK (Nagle's algorithm).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run_foreground(
    app,
    sock: socket.socket,
    log_level: str,
    on_started: Callable[[], None],
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Serve until interrupted, then call ``on_stop``. From a plain process uvicorn runs on
    this thread and handles Ctrl+C and SIGTERM; inside a running event loop (a Jupyter
    kernel) it cannot start its own, so it runs on a thread while this one waits for the
    interrupt."""
    if not _event_loop_running():
        _Server(_config(app, log_level), on_started, on_stop).run(sockets=[sock])
        return
    handle = run_in_background(app, sock, log_level, on_stop)
    on_started()
    handle.wait()


def _event_loop_running() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_in_background(
    app, sock: socket.socket, log_level: str, on_stop: Callable[[], None] | None = None
) -> ModelServer:
    """Serve from a daemon thread; returns once the server accepts requests. ``on_stop``
    runs once the returned handle has stopped the server."""
    ready, stopped = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    server = _Server(_config(app, log_level), ready.set)

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as error:  # uvicorn reports a failed startup with sys.exit
            failures.append(error)
        finally:
            sock.close()
            stopped.set()
            ready.set()  # wake the caller whatever happened

    url = url_of(sock)
    thread = threading.Thread(target=run, name=f"labtrack-serve-{url}", daemon=True)
    thread.start()
    if not ready.wait(STARTUP_TIMEOUT_SECONDS) or not server.started:
        server.should_exit = True
        sock.close()
        reason = f": {failures[0]!r}" if failures else ""
        raise LabtrackError(f"the model server did not start{reason}")
    return ModelServer(server, stopped, url, on_stop)


def _config(app, log_level: str) -> uvicorn.Config:
    # lifespan off: the app has no startup work; the model is loaded before the server starts.
    return uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=log_level == "info")


def announce(url: str, model_uri: str) -> Callable[[], None]:
    """The line ``labtrack serve`` prints once requests are accepted (tests wait for it)."""

    def print_ready() -> None:
        print(
            f"labtrack: serving {model_uri} at {url} (Ctrl+C to stop)", file=sys.stderr, flush=True
        )

    return print_ready
