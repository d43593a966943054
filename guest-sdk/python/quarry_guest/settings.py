"""The records a module receives: `InstanceSettings`, `DataQuery` with its `TimeRange`, the
resource records, and `SecretGrant` (what a module declares it wants)."""

import dataclasses
import datetime as _dt
import typing

from .error import Error, context
from .frame import Time
from .serde import from_json
from ._json import to_json

__all__ = [
    "InstanceSettings", "DataQuery", "TimeRange", "SecretGrant", "SecretUse",
    "ResourceRequest", "ResourceResponse", "SubscribeRequest",
]


def _object(text):
    return "{}" if not text.strip() else text


@dataclasses.dataclass
class InstanceSettings:
    """The settings of one Grafana datasource instance."""

    uid: str = ""
    name: str = ""
    #: The datasource URL (may be empty).
    url: str = ""
    #: ``jsonData`` as JSON text; see :meth:`json_data`.
    raw_json_data: str = ""
    #: The secure settings the host passed on: only those declared with ``SecretGrant.read``.
    secure_json_data: dict = dataclasses.field(default_factory=dict)
    updated_ms: int = 0

    def json_data(self, tp=typing.Any):
        """Parses ``jsonData`` into ``tp`` (a dataclass, see :mod:`quarry_guest.serde`; a dict by default).

        Empty text reads as ``{}``. Raises a bad-request :class:`Error` with context
        ``invalid datasource jsonData`` and serde_json's words.
        """
        with context("invalid datasource jsonData"):
            return from_json(_object(self.raw_json_data), tp)

    def secure(self, key):
        """The secure setting ``key`` if the host passed it on (declared with ``SecretGrant.read``)."""
        return self.secure_json_data.get(key)

    def __repr__(self):
        return "InstanceSettings(uid=%r, name=%r, url=%r, raw_json_data=%r, secure_json_data=%r, updated_ms=%r)" % (
            self.uid, self.name, self.url, self.raw_json_data,
            {k: "<redacted>" for k in self.secure_json_data}, self.updated_ms)


@dataclasses.dataclass(frozen=True)
class TimeRange:
    """A closed time interval, both ends in nanoseconds since the Unix epoch."""

    from_ns: int = 0
    to_ns: int = 0

    @classmethod
    def from_millis(cls, from_ms, to_ms):
        return cls(Time.from_millis(from_ms).as_nanos(), Time.from_millis(to_ms).as_nanos())

    @property
    def from_ms(self):
        """The start in milliseconds (rounded towards negative infinity)."""
        return self.from_ns // 1_000_000

    @property
    def to_ms(self):
        return self.to_ns // 1_000_000

    @property
    def start(self):
        """The start as a :class:`Time`."""
        return Time(self.from_ns)

    @property
    def end(self):
        return Time(self.to_ns)

    def duration(self):
        """How long the range is (zero when ``to`` is before ``from``)."""
        return _dt.timedelta(microseconds=max(0, self.to_ns - self.from_ns) / 1_000)


@dataclasses.dataclass
class DataQuery:
    """One query of a QueryData request."""

    ref_id: str = ""
    query_type: str = ""
    time_range: TimeRange = dataclasses.field(default_factory=TimeRange)
    interval_ms: int = 0
    max_data_points: int = 0
    #: The panel's query model as JSON text; see :meth:`model`.
    json: str = ""

    def model(self, tp=typing.Any):
        """Parses the query model into ``tp`` (Grafana's own keys such as ``refId`` are ignored
        by dataclasses). Raises a bad-request :class:`Error` with context ``invalid query model``."""
        with context("invalid query model"):
            return from_json(_object(self.json), tp)

    def interval(self):
        """The suggested distance between points as a ``timedelta``, or ``None``."""
        return _dt.timedelta(milliseconds=self.interval_ms) if self.interval_ms > 0 else None

    def max_points(self):
        """The most points the panel can show, or ``None``."""
        return self.max_data_points if self.max_data_points > 0 else None


class SecretUse:
    READ = "read"
    BEARER_TOKEN = "bearer-token"
    HEADER = "header"


@dataclasses.dataclass(frozen=True)
class SecretGrant:
    """One secure setting (a key of ``secureJsonData``) a module asks for, and how it uses it.

    Asking grants nothing: the datasource's ``jsonData.secretGrants`` decides. Prefer
    :meth:`bearer_token` and :meth:`header`: the host attaches the credential to the module's HTTP
    requests to the datasource's origins and the module never holds it.
    """

    key: str
    use: str
    #: The header name, for :attr:`SecretUse.HEADER`.
    header_name: str = None

    @classmethod
    def read(cls, key):
        """The module reads the value from :meth:`InstanceSettings.secure` (needs ``read: true``)."""
        return cls(key, SecretUse.READ)

    @classmethod
    def bearer_token(cls, key):
        """The host sends ``Authorization: Bearer <value>``; the module never sees it."""
        return cls(key, SecretUse.BEARER_TOKEN)

    @classmethod
    def header(cls, key, header):
        """The host sends the value in header ``header``; the module never sees it."""
        return cls(key, SecretUse.HEADER, header)


def _find(headers, name):
    name = name.lower()
    for key, values in headers:
        if key.lower() == name and values:
            return values[0]
    return None


def _add(headers, name, value):
    for key, values in headers:
        if key.lower() == name.lower():
            values.append(value)
            return
    headers.append((name, [value]))


@dataclasses.dataclass
class ResourceRequest:
    """A call to ``/api/datasources/uid/<uid>/resources/<path>``."""

    method: str = "GET"
    #: Below ``resources/``, no leading slash.
    path: str = ""
    #: ``path`` plus the raw query string.
    url: str = ""
    #: ``[(name, [values])]``.
    headers: list = dataclasses.field(default_factory=list)
    body: bytes = b""

    def header(self, name):
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return _find(self.headers, name)

    def body_json(self, tp=typing.Any):
        """Parses the body; a bad-request :class:`Error` (context ``invalid request body``) if it does not fit."""
        with context("invalid request body"):
            return from_json(self.body, tp)


@dataclasses.dataclass
class ResourceResponse:
    status: int = 200
    headers: list = dataclasses.field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(cls, status, value):
        """``value`` as a JSON body with ``content-type: application/json``."""
        try:
            body = to_json(value).encode()
        except (TypeError, ValueError) as exc:
            raise Error.internal(str(exc)).context("serializing response") from exc
        return cls(status, [("content-type", ["application/json"])], body)

    def with_header(self, name, value):
        _add(self.headers, name, value)
        return self

    def header(self, name):
        return _find(self.headers, name)


@dataclasses.dataclass
class SubscribeRequest:
    """A Grafana Live subscription to ``ds/<uid>/<path>``."""

    path: str = ""
    #: The subscriber's JSON payload (may be empty).
    data: str = ""
