"""A small blocking HTTP client over ``wasi:http/outgoing-handler``: requests go through the host,
which lets a module reach its datasource's allowed hosts only.

>>> from quarry_guest import http
>>> response = http.get("https://metrics.local/latest?metric=" + http.encode_component("cpu load"),
...                     headers={"Accept": "application/json"}, timeout=10)   # doctest: +SKIP
>>> response.status, response.json()                                       # doctest: +SKIP

What the host does: it checks every request (each redirect hop too) against the datasource's
allowed hosts (a refusal is :class:`HttpError` ``host`` naming the host and what is allowed),
attaches the credentials the operator granted to the datasource's origins, and caps timeouts and
response sizes. Redirects are followed here, like the Rust SDK: a 303 (and a 301/302 after a
POST) becomes a GET without a body; a hop to another origin drops ``Authorization``, ``Cookie``
and ``Proxy-Authorization``. Outside the host (native unit tests) :meth:`Request.send` raises
:class:`HttpError` ``unavailable``.
"""

import datetime as _dt
import sys
import typing

from ..error import Error
from ..serde import JsonError, from_json
from .error import HttpError, TimeoutPhase
from .url import InvalidUrl, Url, encode_component

__all__ = [
    "Request", "Response", "HttpError", "TimeoutPhase", "Url", "encode_component", "get", "post",
    "DEFAULT_MAX_REDIRECTS",
]

DEFAULT_MAX_REDIRECTS = 5
_CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _seconds(timeout):
    if timeout is None:
        return None
    if isinstance(timeout, _dt.timedelta):
        return timeout.total_seconds()
    return float(timeout)


class Request:
    """An HTTP request, built step by step and sent with :meth:`send`.

    ``repr()`` shows header names only: a module that reads a secret may put it in a header.
    """

    def __init__(self, method, url, headers=None, body=b"", timeout=None, max_redirects=DEFAULT_MAX_REDIRECTS):
        method = method.upper()
        if method not in METHODS:
            raise ValueError("unsupported method %r (one of %s)" % (method, ", ".join(METHODS)))
        self.method = method
        self.url = str(url)
        self.headers = []
        for name, value in (headers.items() if isinstance(headers, dict) else headers or []):
            self.headers.append((name, value))
        self.body = body.encode() if isinstance(body, str) else bytes(body)
        #: Seconds (float), for each wait of each request: connect, first byte, between bytes.
        self.timeout_s = _seconds(timeout)
        self.max_redirects = max_redirects

    @classmethod
    def get(cls, url):
        return cls("GET", url)

    @classmethod
    def post(cls, url, body=b""):
        return cls("POST", url, body=body)

    def header(self, name, value):
        """Adds a header (a repeated name adds another value)."""
        self.headers.append((name, value))
        return self

    def with_body(self, body):
        self.body = body.encode() if isinstance(body, str) else bytes(body)
        return self

    def timeout(self, timeout):
        """Seconds or a ``timedelta`` for each wait (the host may cap it further)."""
        self.timeout_s = _seconds(timeout)
        return self

    def redirects(self, max_redirects):
        """How many redirects to follow (default 5); 0 returns the redirect itself."""
        self.max_redirects = max_redirects
        return self

    def send(self):
        """Sends the request, follows redirects, reads the whole response (any status).

        Raises :class:`HttpError` when the URL is invalid, the request failed, or redirects went
        on for longer than the limit.
        """
        try:
            url = Url.parse(self.url)
        except InvalidUrl as exc:
            raise HttpError.invalid_url(exc.url, exc.reason) from None
        method, body, headers = self.method, self.body, list(self.headers)
        followed = 0
        while True:
            response = _transport(method, url, headers, body, self.timeout_s)
            hop = _redirect(response, method, self.max_redirects)
            if hop is None:
                return response
            location, next_method = hop
            if followed == self.max_redirects:
                raise HttpError.too_many_redirects(self.url, self.max_redirects)
            followed += 1
            try:
                next_url = url.join(location)
            except InvalidUrl as exc:
                raise HttpError.invalid_url(exc.url, exc.reason) from None
            if next_method != method:
                body = b""
                headers = _without(headers, ("content-type", "content-length"))
            if not next_url.same_origin(url):
                headers = _without(headers, _CREDENTIAL_HEADERS)
            method, url = next_method, next_url

    def __repr__(self):
        return "Request(%s %s, headers=%r, body_bytes=%d, timeout=%r, max_redirects=%d)" % (
            self.method, self.url, [n for n, _ in self.headers], len(self.body), self.timeout_s, self.max_redirects)


def _redirect(response, method, max_redirects):
    if max_redirects == 0:
        return None
    status = response.status
    if status == 303 and method == "HEAD":
        next_method = "HEAD"
    elif status == 303 or (status in (301, 302) and method == "POST"):
        next_method = "GET"
    elif status in (301, 302, 307, 308):
        next_method = method
    else:
        return None
    location = response.header("location")
    return None if location is None else (location, next_method)


def _without(headers, names):
    return [(n, v) for n, v in headers if n.lower() not in names]


def get(url, headers=None, timeout=None, max_redirects=DEFAULT_MAX_REDIRECTS):
    """``GET url``; see :meth:`Request.send`."""
    return Request("GET", url, headers, b"", timeout, max_redirects).send()


def post(url, body=b"", headers=None, timeout=None, max_redirects=DEFAULT_MAX_REDIRECTS, json=None):
    """``POST url`` with ``body`` (or ``json=``: serialized, with ``Content-Type: application/json``)."""
    headers = list(headers.items() if isinstance(headers, dict) else headers or [])
    if json is not None:
        from .._json import to_json
        body = to_json(json)
        headers.append(("Content-Type", "application/json"))
    return Request("POST", url, headers, body, timeout, max_redirects).send()


_REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted",
    203: "Non-Authoritative Information", 204: "No Content", 206: "Partial Content",
    301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
    402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
    409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed",
    413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
    416: "Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a teapot",
    421: "Misdirected Request", 422: "Unprocessable Content", 425: "Too Early",
    426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    507: "Insufficient Storage", 508: "Loop Detected", 511: "Network Authentication Required",
}


class Response:
    """An HTTP response, read whole."""

    def __init__(self, status, headers=(), body=b"", url=""):
        self.status = status
        #: ``[(name, value)]`` in the order received; names lower case as the host passes them.
        self.headers = list(headers)
        self.body = bytes(body)
        #: The URL that answered: the last one of a redirect chain.
        self.url = url

    def header(self, name):
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        name = name.lower()
        return next((v for n, v in self.headers if n.lower() == name), None)

    @property
    def ok(self):
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    @property
    def reason(self):
        """The standard reason phrase (``Service Unavailable`` for 503), or ``None``."""
        return _REASONS.get(self.status)

    @property
    def text(self):
        """The body as text; invalid UTF-8 becomes U+FFFD."""
        return self.body.decode("utf-8", "replace")

    def json(self, tp=typing.Any):
        """Parses the body as JSON into ``tp`` (see :mod:`quarry_guest.serde`).

        Raises a downstream :class:`~quarry_guest.Error`: ``response is not valid JSON: …`` for a
        syntax error, ``unexpected response JSON: …`` when the JSON does not fit ``tp`` (the
        Rust SDK's words).
        """
        try:
            return from_json(self.body, tp)
        except JsonError as exc:
            what = "response is not valid JSON" if exc.is_syntax else "unexpected response JSON"
            raise Error.downstream("%s: %s" % (what, exc)) from None

    def __repr__(self):
        return "Response(status=%d, headers=%r, body_bytes=%d, url=%r)" % (self.status, self.headers, len(self.body), self.url)


if sys.platform == "wasi":
    try:
        from ._wasi import send as _transport
    except ImportError:  # built for world `module`: no wasi:http import
        def _transport(method, url, headers, body, timeout):
            raise HttpError("unavailable", "this module was built for world `module`, which has no HTTP")
else:
    def _transport(method, url, headers, body, timeout):
        raise HttpError.unavailable()
