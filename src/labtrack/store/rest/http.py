"""Talking to a tracking server over HTTP: pooled ``requests`` sessions per server, with
credentials, retries and MLflow's JSON errors turned into labtrack's.

Credentials are read at each request from the environment, as MLflow's client reads them:
``LABTRACK_TRACKING_TOKEN`` or ``MLFLOW_TRACKING_TOKEN`` (a bearer token), else
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD`` (HTTP basic), else the user and
password of the URI itself (``http://user:password@host:5000``). They are never part of a
message: ``display_uri`` shows the URI without them.

Requests are retried with exponential backoff on a refused or dropped connection and on
429, 500, 502, 503 and 504 (honouring ``Retry-After``), as MLflow's client does, but briefly:
the metric writer spools to disk while a server is away rather than hold a flush for
minutes. A server still unreachable after that, or still answering 429, 502, 503 or 504,
raises ``ServerAway`` (a ``ConnectionError``: the writer spools); a 500 is the server's own
error and raises ``LabtrackError`` with its message.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from labtrack import env
from labtrack.errors import (
    AlreadyExists,
    InvalidParameter,
    InvalidState,
    LabtrackError,
    NotFound,
)

if TYPE_CHECKING:
    import requests

API = "/api/2.0/mlflow"

# Retries: ~1.75 s in all before a server that is down counts as away (0.25, 0.5, 1 s).
_RETRIES = 3
_BACKOFF_SECONDS = 0.25
_RETRY_STATUSES = (429, 500, 502, 503, 504)
# Seconds to connect, and to wait for an answer (MLflow's client waits 120 s too).
_TIMEOUT = (10, 120)

_ERRORS: dict[str, type[LabtrackError]] = {
    "RESOURCE_DOES_NOT_EXIST": NotFound,
    "INVALID_PARAMETER_VALUE": InvalidParameter,
    "RESOURCE_ALREADY_EXISTS": AlreadyExists,
    "INVALID_STATE": InvalidState,
}


class ServerAway(LabtrackError, ConnectionError):
    """The tracking server could not be reached, or kept answering that it cannot serve now
    (429, 502, 503, 504), after the retries: the same request may well go through later."""

    error_code = "TEMPORARILY_UNAVAILABLE"
    http_status = 503


class AccessDenied(LabtrackError):
    """The tracking server refused the request's credentials (401) or their rights (403)."""

    error_code = "PERMISSION_DENIED"
    http_status = 403


def is_http_uri(uri: str) -> bool:
    """Whether ``uri`` names a tracking server (``http://`` or ``https://``)."""
    return uri.lower().startswith(("http://", "https://"))


def display_uri(uri: str) -> str:
    """``uri`` without the user and password it may carry, and without a query string."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _credentials(uri: str) -> tuple[dict[str, str], tuple[str, str] | None]:
    """(headers, basic auth) from the environment, else from the URI's user and password."""
    token = os.environ.get(env.TRACKING_TOKEN.name) or os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}, None
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        return {}, (user, password)
    parts = urlsplit(uri)
    if parts.username:
        return {}, (unquote(parts.username), unquote(parts.password or ""))
    return {}, None


class HttpClient:
    """Requests to one tracking server (``base_url`` without credentials), from any thread."""

    def __init__(self, uri: str):
        if not is_http_uri(uri):
            raise InvalidParameter(f"not an http(s) tracking URI: {display_uri(uri)!r}")
        self.base_url = display_uri(uri)
        self._uri = uri  # with the user and password it may carry: never shown
        self._sessions: dict[bool, requests.Session] = {}  # with retries, and without
        self._pid = os.getpid()

    def session(self, retry: bool = True) -> requests.Session:
        """The pooled session (made on first use, and anew in a forked child: pooled
        connections belong to the process that opened them). No lock, so a fork taken
        while another thread is in here cannot leave the child waiting on it: two threads
        racing make one spare session, which is dropped."""
        if self._pid != os.getpid():
            self._sessions, self._pid = {}, os.getpid()
        session = self._sessions.get(retry)
        if session is None:
            session = self._sessions.setdefault(retry, _new_session(_RETRIES if retry else 0))
        return session

    def credentials(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        """(headers, basic auth) for a request, read from the environment each time (as
        MLflow's client does): a token or password set later is used from then on."""
        return _credentials(self._uri)

    def close(self) -> None:
        """Close the pooled connections (new ones are opened if used again)."""
        sessions, self._sessions = self._sessions, {}
        if self._pid == os.getpid():
            for session in sessions.values():
                session.close()

    def call(
        self, method: str, endpoint: str, body: dict | None = None, params: dict | None = None
    ) -> dict:
        """``method`` on ``/api/2.0/mlflow/<endpoint>`` with a JSON body (or query ``params``);
        the answer's JSON. Raises the labtrack error that MLflow's error code names,
        ``AccessDenied`` on 401/403, ``ServerAway`` when the server cannot be reached."""
        response = self.request(
            method,
            f"{API}/{endpoint}",
            data=None if body is None else json.dumps(body, allow_nan=False),
            params=params,
            headers=None if body is None else {"Content-Type": "application/json"},
        )
        return response.json() if response.content else {}

    def request(
        self, method: str, path: str, stream: bool = False, retry: bool = True, **kwargs: Any
    ):
        """A raw request to ``path`` on the server (retried as described above, unless
        ``retry`` is False: a streamed body cannot be sent twice); the ``requests.Response``
        of a successful one, else the matching labtrack error."""
        import requests

        headers, auth = self.credentials()
        sent = bool(headers or auth)
        headers.update(kwargs.pop("headers", None) or {})
        try:
            response = self.session(retry).request(
                method,
                self.base_url + path,
                timeout=_TIMEOUT,
                stream=stream,
                headers=headers,
                auth=auth,
                **kwargs,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise ServerAway(
                f"the tracking server {self.base_url} cannot be reached ({_reason(error)})"
            ) from None
        except requests.RequestException as error:
            raise LabtrackError(
                f"request to the tracking server {self.base_url} failed: {_reason(error)}"
            ) from None
        if response.status_code >= 400:
            raise self._error(response, method, path, sent=sent)
        return response

    def _error(self, response, method: str, path: str, sent: bool) -> LabtrackError:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        message = str(payload.get("message") or response.text[:300] or response.reason)
        code = str(payload.get("error_code") or "")
        if status in (401, 403):
            credentials = (
                "no credentials were sent (set LABTRACK_TRACKING_TOKEN, or "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)"
                if not sent
                else "the credentials sent were refused"
                if status == 401
                else "the credentials sent do not allow it"
            )
            return AccessDenied(
                f"the tracking server {self.base_url} refused {method} {path} ({status}): "
                f"{credentials}. The server said: {message}"
            )
        if status in _RETRY_STATUSES and status != 500:
            return ServerAway(
                f"the tracking server {self.base_url} cannot serve now ({status}): {message}"
            )
        error_class = _ERRORS.get(code)
        if error_class is None:
            error_class = NotFound if status == 404 else LabtrackError
        return error_class(message)


def _reason(error: BaseException) -> str:
    """The innermost cause of a requests error, in one line (urllib3 nests them deeply)."""
    text = str(error)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.rsplit(marker, 1)[-1]
    return text.strip(" ()'\"") or type(error).__name__


def _new_session(retries: int) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=_BACKOFF_SECONDS,
        status_forcelist=_RETRY_STATUSES,
        allowed_methods=None,  # POSTs too, as MLflow's client: log-batch is idempotent there
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "labtrack"
    session.trust_env = True  # proxies and CA bundles from the environment, as requests does
    return session
