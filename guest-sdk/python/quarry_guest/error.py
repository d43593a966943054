"""`Error`: what a module raises when something goes wrong, with its `ErrorKind` and context."""

import contextlib
import enum

__all__ = ["Error", "ErrorKind", "context"]


class ErrorKind(enum.Enum):
    """What went wrong, so the host can pick Grafana's status code and error source."""

    #: The query or settings are invalid (400, source plugin).
    BAD_REQUEST = "bad-request"
    #: Something named does not exist (404, source downstream).
    NOT_FOUND = "not-found"
    #: Credentials were missing or refused (401, source downstream).
    UNAUTHORIZED = "unauthorized"
    #: Access was denied (403, source downstream).
    FORBIDDEN = "forbidden"
    #: A downstream call took too long (504, source downstream).
    TIMEOUT = "timeout"
    #: The downstream service failed (502, source downstream).
    DOWNSTREAM = "downstream"
    #: The module does not implement this (501, source plugin).
    NOT_IMPLEMENTED = "not-implemented"
    #: A bug or unexpected state in the module (500, source plugin).
    INTERNAL = "internal"


class Error(Exception):
    """An error a module raises to the host: a kind, a message and context lines (outermost first).

    >>> err = Error.not_found("no metric cpu_total").context("query A")
    >>> (err.kind, str(err))
    (<ErrorKind.NOT_FOUND: 'not-found'>, 'query A: no metric cpu_total')

    Raise it from any method. Other exceptions become internal errors (with the exception's type
    and text); :class:`quarry_guest.serde.JsonError` a bad request, and
    :class:`quarry_guest.http.HttpError` its own kind.
    """

    def __init__(self, kind, message, context=()):
        if not isinstance(kind, ErrorKind):
            kind = ErrorKind(kind)
        self.kind = kind
        self.message = str(message)
        #: Outermost first.
        self.context_lines = list(context)
        super().__init__(self.message)

    @classmethod
    def bad_request(cls, message):
        """The query or settings are invalid."""
        return cls(ErrorKind.BAD_REQUEST, message)

    @classmethod
    def not_found(cls, message):
        """Something named does not exist."""
        return cls(ErrorKind.NOT_FOUND, message)

    @classmethod
    def unauthorized(cls, message):
        """Credentials were missing or refused."""
        return cls(ErrorKind.UNAUTHORIZED, message)

    @classmethod
    def forbidden(cls, message):
        """Access was denied."""
        return cls(ErrorKind.FORBIDDEN, message)

    @classmethod
    def timeout(cls, message):
        """A downstream call took too long."""
        return cls(ErrorKind.TIMEOUT, message)

    @classmethod
    def downstream(cls, message):
        """The downstream service failed."""
        return cls(ErrorKind.DOWNSTREAM, message)

    @classmethod
    def not_implemented(cls, message):
        """The module does not implement this."""
        return cls(ErrorKind.NOT_IMPLEMENTED, message)

    @classmethod
    def internal(cls, message):
        """A bug or unexpected state in the module."""
        return cls(ErrorKind.INTERNAL, message)

    def context(self, line):
        """Adds an outer context line and returns the error."""
        self.context_lines.insert(0, str(line))
        return self

    def __str__(self):
        return "".join(line + ": " for line in self.context_lines) + self.message

    def __repr__(self):
        return "Error(%s, %r, context=%r)" % (self.kind.name, self.message, self.context_lines)

    def __eq__(self, other):
        return (isinstance(other, Error) and (self.kind, self.message, self.context_lines)
                == (other.kind, other.message, other.context_lines))

    __hash__ = Exception.__hash__

    @classmethod
    def from_exception(cls, exc):
        """The :class:`Error` an exception stands for (see the class docs)."""
        if isinstance(exc, Error):
            return exc
        to_error = getattr(exc, "to_error", None)
        if callable(to_error):
            return to_error()
        from .serde import JsonError
        if isinstance(exc, JsonError):
            return cls.bad_request(str(exc))
        if isinstance(exc, NotImplementedError):
            return cls.not_implemented(str(exc) or "not implemented")
        return cls.internal("%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__)


@contextlib.contextmanager
def context(line):
    """Adds ``line`` as outer context to any error raised in the block (like Rust's ``.context``).

    >>> with context("invalid filter"):
    ...     raise Error.bad_request("expected a list")
    Traceback (most recent call last):
    quarry_guest.error.Error: invalid filter: expected a list
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every error gets the context
        raise Error.from_exception(exc).context(line) from exc
