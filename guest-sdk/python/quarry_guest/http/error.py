"""`HttpError`: why a request failed, in words a Grafana user can act on, mapped from the
``wasi:http`` error codes the host reports exactly as the Rust SDK maps them."""

from .._fmt import debug_str
from ..error import Error, ErrorKind

__all__ = ["HttpError", "TimeoutPhase"]


class TimeoutPhase:
    CONNECT = "connect"
    FIRST_BYTE = "first byte"
    READ = "read"


def _duration(seconds):
    """``10 s``, ``1500 ms`` (whole seconds when exact), like the Rust SDK."""
    nanos = round(seconds * 1e9)
    if nanos % 1_000_000_000 == 0:
        return "%d s" % (nanos // 1_000_000_000)
    if nanos % 1_000_000 == 0:
        return "%d ms" % (nanos // 1_000_000)
    if nanos % 1_000 == 0:
        return "%dµs" % (nanos // 1_000)
    return "%dns" % nanos


class HttpError(Exception):
    """Why an HTTP request failed. ``str()`` is the message; :meth:`to_error` (applied for you
    when it escapes a datasource method) gives it a kind:

    ==========================================  ==============
    ``kind``                                    error kind
    ==========================================  ==============
    ``invalid-url``, ``invalid-header``         bad request
    ``dns``, ``connection-refused``,            downstream
    ``too-many-redirects``, ``other``
    ``timeout``                                 timeout
    ``denied``, ``host`` (the host's refusal)   forbidden
    ``unavailable`` (outside the host)          internal
    ==========================================  ==============
    """

    _KINDS = {
        "invalid-url": ErrorKind.BAD_REQUEST, "invalid-header": ErrorKind.BAD_REQUEST,
        "dns": ErrorKind.DOWNSTREAM, "connection-refused": ErrorKind.DOWNSTREAM,
        "too-many-redirects": ErrorKind.DOWNSTREAM, "other": ErrorKind.DOWNSTREAM,
        "timeout": ErrorKind.TIMEOUT, "denied": ErrorKind.FORBIDDEN, "host": ErrorKind.FORBIDDEN,
        "unavailable": ErrorKind.INTERNAL,
    }

    def __init__(self, kind, message, **details):
        self.kind = kind
        self.message = message
        self.details = details
        super().__init__(message)

    def __str__(self):
        return self.message

    def to_error(self):
        """The module :class:`~quarry_guest.Error` of this failure."""
        return Error(self._KINDS[self.kind], self.message)

    # Constructors, one per kind.

    @classmethod
    def invalid_url(cls, url, reason):
        return cls("invalid-url", "invalid URL %s: %s" % (debug_str(url), reason), url=url, reason=reason)

    @classmethod
    def invalid_header(cls, name, reason):
        return cls("invalid-header", "invalid request header %s: %s" % (debug_str(name), reason), name=name, reason=reason)

    @classmethod
    def dns(cls, host, rcode=None):
        return cls("dns", "cannot resolve host %s%s" % (host, " (%s)" % rcode if rcode is not None else ""), host=host, rcode=rcode)

    @classmethod
    def connection_refused(cls, authority):
        return cls("connection-refused", "connection refused by %s" % authority, authority=authority)

    @classmethod
    def timeout(cls, authority, phase, limit=None):
        within = " within %s" % _duration(limit) if limit is not None else ""
        return cls("timeout", "no answer from %s%s (%s timeout)" % (authority, within, phase),
                   authority=authority, phase=phase, limit=limit)

    @classmethod
    def denied(cls, authority):
        return cls("denied", "the host denied the request to %s" % authority, authority=authority)

    @classmethod
    def host(cls, message):
        return cls("host", message)

    @classmethod
    def too_many_redirects(cls, url, max_redirects):
        return cls("too-many-redirects", "too many redirects (more than %d) from %s" % (max_redirects, url),
                   url=url, max=max_redirects)

    @classmethod
    def unavailable(cls):
        return cls("unavailable", "HTTP is only available inside the Quarry host")

    @classmethod
    def other(cls, authority, code):
        return cls("other", "HTTP request to %s failed: %s" % (authority, code), authority=authority, code=code)
