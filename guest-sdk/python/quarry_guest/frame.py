"""`Frame` and `Field` builders (what a query or stream tick returns), with `FrameMeta` and
`FieldConfig`.

A field's Grafana type comes from its values, or from ``type=`` where Python's types are ambiguous:

==================================  ==========================================
values                              Grafana type
==================================  ==========================================
:class:`Time`, ``datetime``         ``time`` (nanoseconds since the Unix epoch)
``int``                             ``int64``
``float`` (ints mixed in allowed)   ``float64``
``bool``                            ``bool``
``str``                             ``string``
``dict`` / ``list``                 ``json``
:class:`EnumIndex`                  ``enum``
==================================  ==========================================

``type=`` takes any of ``time``, ``int8`` … ``int64``, ``uint8`` … ``uint64``, ``float32``,
``float64``, ``bool``, ``string``, ``json`` (any JSON value per cell) and ``enum``; with it an
``int`` list can be a ``time`` field of nanoseconds. ``None`` cells are nulls: the field then
carries a validity list (``False`` where null). An empty field needs ``type=``.
"""

import dataclasses
import datetime as _dt
import time as _time

from ._json import to_json
from .error import Error

__all__ = [
    "Frame", "Field", "FieldConfig", "FrameMeta", "FrameType", "Notice", "Severity", "Time",
    "EnumIndex", "FIELD_TYPES",
]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_I64 = (-(1 << 63), (1 << 63) - 1)
# The host's default frame limits (quarry-frame's FrameLimits), mirrored by Frame.validate.
_MAX_FIELDS = 1_000
_MAX_ROWS = 1_000_000


class Time(int):
    """An instant as nanoseconds since the Unix epoch: the cell type of ``time`` fields.

    >>> Time.from_millis(1_700_000_000_000)
    Time(1700000000000000000)
    >>> Time.from_millis(1500).as_millis()
    1500
    """

    @classmethod
    def from_nanos(cls, nanos):
        return cls(_saturate(int(nanos)))

    @classmethod
    def from_millis(cls, millis):
        """Saturates outside about ±292 years, like the Rust SDK."""
        return cls(_saturate(int(millis) * 1_000_000))

    @classmethod
    def from_secs(cls, secs):
        return cls(_saturate(int(secs) * 1_000_000_000))

    @classmethod
    def from_datetime(cls, value):
        """A ``datetime`` (naive ones are taken as UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        return cls(_saturate((delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000))

    @classmethod
    def now(cls):
        return cls(_time.time_ns())

    def as_nanos(self):
        return int(self)

    def as_millis(self):
        """Milliseconds, rounded towards negative infinity."""
        return int(self) // 1_000_000

    def to_datetime(self):
        """A UTC ``datetime`` (microsecond precision)."""
        return _EPOCH + _dt.timedelta(microseconds=int(self) // 1_000)

    def __repr__(self):
        return "Time(%d)" % int(self)


def _saturate(n):
    return max(_I64[0], min(_I64[1], n))


class EnumIndex(int):
    """An index into the field config's ``enum_text``: the cell type of ``enum`` fields."""

    def __repr__(self):
        return "EnumIndex(%d)" % int(self)


_INT_RANGES = {
    "int8": (-(1 << 7), (1 << 7) - 1), "int16": (-(1 << 15), (1 << 15) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1), "int64": _I64,
    "uint8": (0, (1 << 8) - 1), "uint16": (0, (1 << 16) - 1),
    "uint32": (0, (1 << 32) - 1), "uint64": (0, (1 << 64) - 1),
    "enum": (0, (1 << 16) - 1),
}

#: Every Grafana field type a field can have.
FIELD_TYPES = ("time",) + tuple(k for k in _INT_RANGES if k != "enum") + (
    "float32", "float64", "bool", "string", "json", "enum")

_PLACEHOLDER = {"bool": False, "string": "", "json": None, "float32": 0.0, "float64": 0.0}


def _infer(values):
    kind = None
    for v in values:
        if v is None:
            continue
        if isinstance(v, (Time, _dt.datetime)):
            k = "time"
        elif isinstance(v, bool):
            k = "bool"
        elif isinstance(v, EnumIndex):
            k = "enum"
        elif isinstance(v, int):
            k = "int64"
        elif isinstance(v, float):
            k = "float64"
        elif isinstance(v, str):
            k = "string"
        elif isinstance(v, (dict, list, tuple)):
            k = "json"
        else:
            raise TypeError("a field cannot hold %s values: give type=" % type(v).__name__)
        if kind is None or kind == k:
            kind = k
        elif {kind, k} == {"int64", "float64"}:
            kind = "float64"
        else:
            raise TypeError("a field's values must have one type, not %s and %s: give type=" % (kind, k))
    if kind is None:
        raise TypeError("the field's type cannot be inferred from no values: give type=")
    return kind


def _cell(field_type, v):
    if field_type == "time":
        if isinstance(v, _dt.datetime):
            return Time.from_datetime(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("time cells are Time, datetime or int nanoseconds, not %r" % (v,))
        return _saturate(int(v))
    if field_type in _INT_RANGES:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("%s cells are ints, not %r" % (field_type, v))
        lo, hi = _INT_RANGES[field_type]
        if not lo <= v <= hi:
            raise ValueError("%d does not fit a %s field" % (v, field_type))
        return int(v)
    if field_type in ("float32", "float64"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError("%s cells are numbers, not %r" % (field_type, v))
        return float(v)
    if field_type == "bool":
        if not isinstance(v, bool):
            raise TypeError("bool cells are bools, not %r" % (v,))
        return v
    if field_type == "string":
        if not isinstance(v, str):
            raise TypeError("string cells are str, not %r" % (v,))
        return v
    if field_type == "json":
        return to_json(v)
    raise ValueError("unknown field type %r (one of %s)" % (field_type, ", ".join(FIELD_TYPES)))


class Field:
    """One named, typed column of a :class:`Frame`, with labels and display config.

    >>> f = Field("value", [0.5, None, 2], labels={"host": "a"})
    >>> (f.type, f.values, f.validity)
    ('float64', [0.5, 0.0, 2.0], [True, False, True])
    >>> Field("time", [Time.from_secs(0)]).type
    'time'
    >>> Field("t", [1_000], type="time").values
    [1000]
    """

    def __init__(self, name, values, type=None, labels=None, config=None):
        values = list(values)
        self.name = str(name)
        self.type = type or _infer(values)
        if self.type not in FIELD_TYPES:
            raise ValueError("unknown field type %r (one of %s)" % (self.type, ", ".join(FIELD_TYPES)))
        nullable = any(v is None for v in values)
        placeholder = _PLACEHOLDER.get(self.type, 0)
        #: The cells; a null cell holds a placeholder (zero, ``False``, ``""``, JSON ``null``).
        self.values = [_cell(self.type, placeholder if v is None else v) for v in values]
        #: For a nullable field, one entry per row, ``False`` where the cell is null.
        self.validity = [v is not None for v in values] if nullable else None
        #: Labels, sorted by key when sent.
        self.labels = dict(labels or {})
        #: A :class:`FieldConfig` (or a dict of Grafana FieldConfig keys).
        self.config = config

    def with_labels(self, labels=None, **more):
        """Adds labels (replacing those already set) and returns the field."""
        self.labels.update(labels or {})
        self.labels.update(more)
        return self

    def with_config(self, config):
        self.config = config
        return self

    def nullable(self):
        """Marks the field nullable even without nulls (all cells valid)."""
        if self.validity is None:
            self.validity = [True] * len(self.values)
        return self

    def is_null(self, row):
        return self.validity is not None and row < len(self.validity) and not self.validity[row]

    def __len__(self):
        return len(self.values)

    def __repr__(self):
        return "Field(%r, %s, %d rows)" % (self.name, self.type, len(self.values))


class Frame:
    """A data frame: a name, optional :class:`FrameMeta` and typed :class:`Field`\\ s of equal length.

    >>> frame = Frame("cpu", [Field("time", [Time.from_secs(0)]), Field("value", [0.5])])
    >>> frame.row_count()
    1
    """

    def __init__(self, name, fields=(), meta=None):
        self.name = str(name)
        self.fields = list(fields)
        #: A :class:`FrameMeta` (or a dict of Grafana FrameMeta keys).
        self.meta = meta

    def with_field(self, field):
        self.fields.append(field)
        return self

    def with_meta(self, meta):
        self.meta = meta
        return self

    def field(self, name):
        """The first field named ``name``, or ``None``."""
        return next((f for f in self.fields if f.name == name), None)

    def row_count(self):
        """The length of the first field, ``None`` without fields."""
        return len(self.fields[0]) if self.fields else None

    def validate(self):
        """Checks what the host checks first in every frame a module returns, so a native unit
        test finds it: fields of different lengths, validity lists that do not match, two fields
        of the same name with the same labels, and the host's default limits (1,000 fields,
        1,000,000 rows). Raises an internal :class:`Error` naming the frame, the field and what
        to change; returns the frame.

        >>> Frame("cpu", [Field("time", [Time(0), Time(1)]), Field("value", [0.5])]).validate()
        Traceback (most recent call last):
        ...
        quarry_guest.error.Error: frame 'cpu': field 'value' has 1 values but field 'time' has 2: every field of a frame needs one value per row (append to every field for each row)
        """
        problem = self._problem()
        if problem is not None:
            raise Error.internal("frame %r: %s" % (self.name, problem))
        return self

    def _problem(self):
        if len(self.fields) > _MAX_FIELDS:
            return "%d fields, more than the %d the host accepts: split it into several frames" % (
                len(self.fields), _MAX_FIELDS)
        if not self.fields:
            return None
        first = self.fields[0]
        rows = len(first)
        if rows > _MAX_ROWS:
            return "%d rows, more than the %d the host accepts: ask for fewer points" % (rows, _MAX_ROWS)
        series = {}
        for index, field in enumerate(self.fields):
            if len(field) != rows:
                return ("field %r has %d values but field %r has %d: every field of a frame needs "
                        "one value per row (append to every field for each row)"
                        % (field.name, len(field), first.name, rows))
            if field.validity is not None and len(field.validity) != rows:
                return ("field %r: %d validity entries for %d values: build nullable fields with "
                        "None cells" % (field.name, len(field.validity), rows))
            if field.labels:
                key = (field.name, tuple(sorted((str(k), str(v)) for k, v in field.labels.items())))
                if key in series:
                    return ("fields %d and %d are both %r with labels %s: Grafana cannot tell the "
                            "two series apart; give them different labels or names"
                            % (series[key], index, field.name,
                               ", ".join("%s=%s" % kv for kv in key[1])))
                series[key] = index
        return None

    def __repr__(self):
        return "Frame(%r, %r)" % (self.name, self.fields)


class FrameType:
    """Data-plane frame types (the ``type`` of :class:`FrameMeta`); any other string works too."""

    TIMESERIES_WIDE = "timeseries-wide"
    TIMESERIES_LONG = "timeseries-long"
    TIMESERIES_MULTI = "timeseries-multi"
    NUMERIC_WIDE = "numeric-wide"
    NUMERIC_MULTI = "numeric-multi"
    NUMERIC_LONG = "numeric-long"
    LOG_LINES = "log-lines"
    TABLE = "table"
    DIRECTORY_LISTING = "directory-listing"


class Severity:
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclasses.dataclass
class Notice:
    """A message Grafana shows next to the data."""

    severity: str
    text: str

    @classmethod
    def info(cls, text):
        return cls(Severity.INFO, text)

    @classmethod
    def warning(cls, text):
        return cls(Severity.WARNING, text)

    @classmethod
    def error(cls, text):
        return cls(Severity.ERROR, text)


@dataclasses.dataclass
class FrameMeta:
    """Grafana frame metadata; unset keys are left out of the JSON (key order as the Rust SDK's)."""

    type: str = None
    #: ``[major, minor]``.
    type_version: list = None
    custom: object = None
    notices: list = dataclasses.field(default_factory=list)
    channel: str = None
    preferred_visualisation_type: str = None
    #: The query as the downstream service ran it, shown in the query inspector.
    executed_query_string: str = None
    #: Other FrameMeta keys, written as they are.
    extra: dict = dataclasses.field(default_factory=dict)

    def to_json_value(self):
        out = {}
        for key, value in (("type", self.type), ("typeVersion", self.type_version), ("custom", self.custom)):
            if value is not None:
                out[key] = list(value) if key == "typeVersion" else value
        if self.notices:
            out["notices"] = [{"severity": n.severity, "text": n.text} if isinstance(n, Notice) else n for n in self.notices]
        for key, value in (("channel", self.channel), ("preferredVisualisationType", self.preferred_visualisation_type),
                           ("executedQueryString", self.executed_query_string)):
            if value is not None:
                out[key] = value
        out.update(self.extra)
        return out


def _go_number(value):
    # Whole numbers as integers, as Go's encoder writes a float64.
    if isinstance(value, float) and value == value and value.is_integer() and abs(value) < 2.0 ** 53:
        return int(value)
    return value


@dataclasses.dataclass
class FieldConfig:
    """Grafana field config; unset keys are left out of the JSON (key order as the Rust SDK's)."""

    display_name: str = None
    unit: str = None
    decimals: int = None
    min: float = None
    max: float = None
    #: The names of an ``enum`` field's values (``type.enum.text``).
    enum_text: list = None
    custom: object = None
    #: Other FieldConfig keys (``noValue``, ``thresholds``, ...), written as they are.
    extra: dict = dataclasses.field(default_factory=dict)

    def to_json_value(self):
        out = {}
        for key, value in (("displayName", self.display_name), ("unit", self.unit), ("decimals", self.decimals),
                           ("min", _go_number(self.min)), ("max", _go_number(self.max))):
            if value is not None:
                out[key] = value
        if self.enum_text is not None:
            out["type"] = {"enum": {"text": list(self.enum_text)}}
        if self.custom is not None:
            out["custom"] = self.custom
        out.update(self.extra)
        return out
