"""Quarry example module in Python: an in-house metrics API over ``wasi:http``.

The Python twin of ``modules/http-api`` (Rust): the same settings, requests, frames, errors,
health messages and streams; ``modules/http-api/README.md`` specifies them. The API key is
declared with ``SecretGrant.bearer_token``: the host attaches it, the module never sees it.
"""

import dataclasses
import datetime
import math
import re
from typing import Dict, List, Optional

import quarry_guest as q
from quarry_guest import http
from quarry_guest._fmt import debug_str, rust_display
from quarry_guest.http import HttpError, Url, encode_component
from quarry_guest.http.url import InvalidUrl

HEALTH_PATH = "/health"
#: The most characters of an error response's body quoted in the error.
EXCERPT_CHARS = 200
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_INTERVAL_MS = 1000
MIN_INTERVAL_MS = 100
#: The aggregations the API knows, in the order editors list them.
AGGREGATIONS = [("avg", "Average"), ("min", "Minimum"), ("max", "Maximum"), ("sum", "Sum")]
#: Stream path prefixes: ``latest/`` (the descriptor's), ``metric/`` (earlier versions').
STREAM_PREFIXES = ("latest/", "metric/")
#: What Rust's ``char::is_whitespace`` (Unicode White_Space) accepts, for ``trim`` and
#: ``split_whitespace``: Python's ``str.strip``/``split`` also take U+001C..U+001F.
RUST_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                   "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

Scalar = q.untagged("Scalar", q.Number, str)


@dataclasses.dataclass
class Model:
    """The query model (camelCase keys; Grafana's own keys are ignored)."""

    metric_name: Optional[str] = None
    query_text: Optional[str] = None
    aggregation: Optional[str] = None
    interval: Optional[Scalar] = None

    def metric(self):
        """``metricName``, else ``queryText``."""
        for text in (self.metric_name, self.query_text):
            text = non_blank(text)
            if text is not None:
                return text
        raise q.Error.bad_request("the query names no metric: set metricName (or queryText)")

    def checked_aggregation(self):
        """``aggregation`` when set, one of the descriptor's values."""
        aggregation = non_blank(self.aggregation)
        if aggregation is None:
            return None
        allowed = [value for value, _ in AGGREGATIONS]
        if aggregation in allowed:
            return aggregation
        raise q.Error.bad_request("aggregation must be one of %s, not %s" % (", ".join(allowed), debug_str(aggregation)))


@dataclasses.dataclass
class RawSettings:
    endpoint: Optional[str] = None
    #: Seconds. The host reads the same key for its own per-request limit.
    timeout: Optional[float] = None


@dataclasses.dataclass
class Series:
    """The answer of ``/query``."""

    timestamps: List[int]
    values: List[Optional[float]]
    labels: Dict[str, str] = dataclasses.field(default_factory=dict)
    unit: Optional[str] = None


@dataclasses.dataclass
class Latest:
    """The answer of ``/latest``."""

    timestamp: int
    value: Optional[float]


def rust_trim(text):
    """Rust's ``str::trim``."""
    return text.strip(RUST_WHITESPACE)


def non_blank(text):
    if text is None:
        return None
    text = rust_trim(text)
    return text or None


def scalar_text(value):
    """A number as serde_json writes it, or the trimmed text; ``None`` when blank."""
    if isinstance(value, q.Number):
        return str(value)
    return non_blank(value)


# -- settings

@dataclasses.dataclass
class Config:
    endpoint: str
    timeout_s: float

    @classmethod
    def from_settings(cls, settings):
        raw = settings.json_data(RawSettings)
        endpoint = non_blank(raw.endpoint)
        if endpoint is None:
            raise q.Error.bad_request(
                "jsonData.endpoint is required: the base URL of the metrics API, such as https://metrics.example.com/api")
        try:
            url = Url.parse(endpoint)
        except InvalidUrl as exc:
            raise q.Error.bad_request("jsonData.endpoint %s is not a valid URL: %s" % (debug_str(endpoint), exc.reason)) from None
        if "?" in url.path_and_query:
            raise q.Error.bad_request("jsonData.endpoint %s must not have a query string" % debug_str(endpoint))
        timeout = DEFAULT_TIMEOUT_S if raw.timeout is None else parse_timeout(raw.timeout)
        return cls(str(url).rstrip("/"), timeout)


def parse_timeout(secs):
    # Rust's Duration::try_from_secs_f64: positive and below 2^64 seconds.
    if secs > 0 and not math.isinf(secs) and secs < 18446744073709551616.0:
        return secs
    raise q.Error.bad_request("jsonData.timeout must be a positive number of seconds, not %s" % rust_display(secs))


# -- the API, as plain functions

def query_path(metric, from_ms, to_ms, aggregation=None, interval=None):
    path = "/query?metric=%s&from=%d&to=%d" % (encode_component(metric), from_ms, to_ms)
    for key, value in (("aggregation", aggregation), ("interval", interval)):
        if value is not None:
            path += "&%s=%s" % (key, encode_component(value))
    return path


def latest_path(metric):
    return "/latest?metric=" + encode_component(metric)


def excerpt(body):
    # Rust's split_whitespace: runs of RUST_WHITESPACE separate words.
    text = " ".join(word for word in re.split("[%s]+" % RUST_WHITESPACE, body) if word)
    if not text:
        return None
    if len(text) > EXCERPT_CHARS:
        return text[:EXCERPT_CHARS] + "…"
    return text


def check_status(path, response):
    """Turns an answer that is not 2xx into the module's error."""
    if response.ok:
        return
    if response.status == 401:
        raise q.Error.unauthorized("API refused the credentials (401)")
    message = "API answered %d" % response.status
    if response.reason is not None:
        message += " " + response.reason
    message += " for " + path
    quoted = excerpt(response.text)
    if quoted is not None:
        message += ": " + quoted
    if response.status == 404:
        raise q.Error.not_found(message)
    raise q.Error.downstream(message)


def parse(response, tp, endpoint):
    try:
        return response.json(tp)
    except q.Error as err:
        raise q.Error.downstream("response from %s: %s" % (endpoint, err.message)) from None


def parse_series(response):
    series = parse(response, Series, "/query")
    if len(series.timestamps) != len(series.values):
        raise q.Error.downstream("response from /query has %d timestamps but %d values"
                                 % (len(series.timestamps), len(series.values)))
    return series


def parse_latest(response):
    return parse(response, Latest, "/latest")


def value_config(metric, unit=None):
    return q.FieldConfig(display_name=metric, unit=unit)


def value_field(values):
    """A float64 ``value`` field, nullable only when some value is null."""
    return q.Field("value", values, type="float64")


def series_frame(metric, executed, series):
    meta = q.FrameMeta(type=q.FrameType.TIMESERIES_MULTI, type_version=[0, 1], executed_query_string=executed)
    return q.Frame(metric, [
        q.Field("time", [q.Time.from_millis(ms) for ms in series.timestamps], type="time"),
        value_field(series.values).with_labels(series.labels).with_config(value_config(metric, series.unit or None)),
    ], meta=meta)


def stream_schema(metric):
    return q.Frame(metric, [
        q.Field("time", [], type="time"),
        q.Field("value", [], type="float64", config=value_config(metric)),
    ])


def latest_frame(metric, latest):
    return q.Frame(metric, [
        q.Field("time", [q.Time.from_millis(latest.timestamp)]),
        value_field([latest.value]).with_config(value_config(metric)),
    ])


# -- the descriptor (README.md, "Descriptor")

def descriptor():
    return (
        q.Descriptor("Metrics from an in-house HTTP API (/query, /latest, /health)")
        .with_setting(
            q.Setting.string("endpoint")
            .title("Endpoint")
            .description("Base URL of the metrics API (http or https, no query string)")
            .placeholder("https://metrics.example.com/api")
            .required())
        .with_setting(
            q.Setting.number("timeout")
            .title("Timeout (s)")
            .description("Seconds each wait of a request may take: connect, first byte, between bytes")
            .default(10))
        .with_setting(
            q.Setting.string("apiKey")
            .title("API key")
            .description("Sent by the host as Authorization: Bearer <key>; the module never sees it")
            .secret())
        .with_query_field(
            q.QueryField.string("metricName")
            .title("Metric")
            .description("The metric to query; required unless queryText is set")
            .placeholder("cpu")
            .main()
            .required())
        .with_query_field(
            q.QueryField.string("queryText")
            .title("Query text")
            .description("Used as the metric when metricName is empty")
            .multiline())
        .with_query_field(
            q.QueryField.enumeration("aggregation", AGGREGATIONS)
            .title("Aggregation")
            .description("How the API aggregates points within an interval; none when unset"))
        .with_query_field(
            q.QueryField.string("interval")
            .title("Interval")
            .description("Passed to the API as interval= (e.g. 1m); a number is sent as written")
            .placeholder("1m"))
        .with_default_query({"metricName": ""})
        .with_stream(
            "latest/{metric}",
            "The metric's newest value, polled from /latest every second "
            "(latest/{metric}/{intervalMs} for another interval, at least 100 ms)")
    )


# -- streams

def parse_stream_path(path):
    """``latest/<name>[/<interval ms>]`` (or ``metric/…``) → ``(metric, interval_ms)``, or ``None``."""
    prefix = next((p for p in STREAM_PREFIXES if path.startswith(p)), None)
    if prefix is None:
        return None
    rest = path[len(prefix):]
    metric, interval = rest, DEFAULT_INTERVAL_MS
    head, sep, digits = rest.rpartition("/")
    if sep and digits and digits.isascii() and digits.isdigit():
        if int(digits) >= 1 << 64:
            return None
        metric, interval = head, max(int(digits), MIN_INTERVAL_MS)
    if any(segment == "" for segment in metric.split("/")):
        return None
    return metric, interval


# -- the datasource

class HttpApi(q.Datasource):
    @classmethod
    def describe(cls):
        return descriptor()

    @classmethod
    def secure_settings(cls):
        return [q.SecretGrant.bearer_token("apiKey")]

    def __init__(self, settings):
        super().__init__(settings)
        self.config = Config.from_settings(settings)

    def get(self, path):
        """``GET {endpoint}{path}``, whatever the status."""
        return http.Request("GET", self.config.endpoint + path, headers=[("Accept", "application/json")],
                            timeout=self.config.timeout_s).send()

    def fetch(self, path):
        """``GET {endpoint}{path}``, answered with a 2xx."""
        response = self.get(path)
        check_status(path, response)
        return response

    def query(self, query):
        model = query.model(Model)
        metric = model.metric()
        interval = scalar_text(model.interval) if model.interval is not None else None
        path = query_path(metric, query.time_range.from_ms, query.time_range.to_ms,
                          model.checked_aggregation(), interval)
        series = parse_series(self.fetch(path))
        return [series_frame(metric, path, series)]

    def check_health(self):
        try:
            check_status(HEALTH_PATH, self.get(HEALTH_PATH))
        except (q.Error, HttpError) as exc:
            return q.Health.error(q.Error.from_exception(exc).message)
        return q.Health.ok("API reachable at %s" % self.config.endpoint)

    def call_resource(self, request):
        return q.ResourceResponse.json(404, {"error": "no resource %s" % request.path})

    def subscribe_stream(self, request):
        parsed = parse_stream_path(request.path)
        if parsed is None:
            return q.SubscribeResponse.NOT_FOUND
        metric, interval = parsed
        return q.Subscription(datetime.timedelta(milliseconds=interval), stream_schema(metric))

    def stream_tick(self, path, data):
        parsed = parse_stream_path(path)
        if parsed is None:
            raise q.Error.not_found("no stream %s" % path)
        metric, _ = parsed
        latest = parse_latest(self.fetch(latest_path(metric)))
        return [latest_frame(metric, latest)]


q.export(HttpApi)
