"""The component glue: adapts the exported :class:`~quarry_guest.Datasource` to the WIT
``datasource`` interface. Imported only inside componentize-py's build (``sys.platform == "wasi"``)."""

import traceback

from componentize_py_types import Err
from wit_world.imports import quarry_datasource_types as w

from . import _registry
from ._json import to_json
from .datasource import Health, HealthStatus, PublishResponse, SubscribeResponse, Subscription
from .descriptor import Kind
from .error import Error, ErrorKind
from .frame import Field, Frame
from .settings import DataQuery, InstanceSettings, ResourceRequest, SecretUse, SubscribeRequest, TimeRange

_KINDS = {
    ErrorKind.BAD_REQUEST: w.ErrorKind.BAD_REQUEST, ErrorKind.NOT_FOUND: w.ErrorKind.NOT_FOUND,
    ErrorKind.UNAUTHORIZED: w.ErrorKind.UNAUTHORIZED, ErrorKind.FORBIDDEN: w.ErrorKind.FORBIDDEN,
    ErrorKind.TIMEOUT: w.ErrorKind.TIMEOUT, ErrorKind.DOWNSTREAM: w.ErrorKind.DOWNSTREAM,
    ErrorKind.NOT_IMPLEMENTED: w.ErrorKind.NOT_IMPLEMENTED, ErrorKind.INTERNAL: w.ErrorKind.INTERNAL,
}

_COLUMNS = {
    "time": w.Column_Time, "int16": w.Column_Int16, "int32": w.Column_Int32, "int64": w.Column_Int64,
    "uint16": w.Column_Uint16, "uint32": w.Column_Uint32, "uint64": w.Column_Uint64,
    "float32": w.Column_Float32, "float64": w.Column_Float64, "bool": w.Column_Bool,
    "string": w.Column_String, "json": w.Column_Json, "enum": w.Column_Enum,
}


def _wit_error(exc):
    err = Error.from_exception(exc)
    if err.kind is ErrorKind.INTERNAL and not isinstance(exc, Error):
        # A bug: the traceback goes to the host's log, the message to the user.
        from . import log
        log.error("unhandled exception in module", traceback="".join(traceback.format_exception(exc))[-4000:])
    return Err(w.Error(_KINDS[err.kind], err.message, list(err.context_lines)))


def _column(field):
    if field.type == "int8":
        return w.Column_Int8(bytes(v & 0xFF for v in field.values))
    if field.type == "uint8":
        return w.Column_Uint8(bytes(field.values))
    return _COLUMNS[field.type](field.values)


def _json_text(value, what):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return to_json(value)
    except (TypeError, ValueError) as exc:
        raise Error.internal(str(exc)).context(what) from exc


def _field(field):
    if not isinstance(field, Field):
        raise Error.internal("a frame's fields must be quarry_guest.Field, not %s" % type(field).__name__)
    return w.Field(
        field.name,
        [w.KeyValue(str(k), str(v)) for k, v in sorted(field.labels.items())],
        _json_text(field.config, "config of field %r" % field.name),
        _column(field),
        field.validity,
    )


def _frame(frame):
    if not isinstance(frame, Frame):
        raise Error.internal("a query must return quarry_guest.Frame objects, not %s" % type(frame).__name__)
    meta = _json_text(frame.meta, "meta of frame %r" % frame.name)
    fields = []
    for field in frame.fields:
        try:
            fields.append(_field(field))
        except Error as err:
            raise err.context("frame %r" % frame.name) from None
    return w.Frame(frame.name, meta, fields)


def _frames(frames):
    if isinstance(frames, Frame):
        frames = [frames]
    return [_frame(f) for f in frames]


_HEALTH = {HealthStatus.OK: w.HealthStatus.OK, HealthStatus.ERROR: w.HealthStatus.ERROR, HealthStatus.UNKNOWN: w.HealthStatus.UNKNOWN}


def _kind(setting):
    if setting.kind == Kind.ENUM:
        return w.ValueKind_Enum([w.EnumOption(o.value, o.label, o.description) for o in setting.options])
    return {
        Kind.STRING: w.ValueKind_String, Kind.NUMBER: w.ValueKind_Number, Kind.INTEGER: w.ValueKind_Integer,
        Kind.BOOLEAN: w.ValueKind_Boolean, Kind.STRING_LIST: w.ValueKind_StringList, Kind.STRING_MAP: w.ValueKind_StringMap,
    }[setting.kind]()


def _descriptor(d):
    return w.Descriptor(
        d.description,
        [w.SettingField(s.key, _kind(s), s.title_text, s.description_text, s.default_json, s.is_required, s.is_secret,
                        s.placeholder_text) for s in d.settings],
        [w.QueryField(q.key, _kind(q), q.title_text, q.description_text, q.default_json, q.is_required, q.placeholder_text,
                      q.is_main, q.is_multiline) for q in d.query_fields],
        d.default_query_json,
        [w.StreamPath(path, description) for path, description in d.streams],
        d.variable_query_type,
        d.annotation_query_type,
    )


def _grant(g):
    if g.use == SecretUse.READ:
        use = w.SecretUse_Read()
    elif g.use == SecretUse.BEARER_TOKEN:
        use = w.SecretUse_BearerToken()
    else:
        use = w.SecretUse_Header(g.header_name)
    return w.SecretGrant(g.key, use)


class QuarryGuestExports:
    """The interface's free functions (componentize-py looks this class up in the app module)."""

    def describe(self):
        return _descriptor(_registry.datasource().describe())

    def secure_settings(self):
        return [_grant(g) for g in _registry.datasource().secure_settings()]


class Instance:
    """The exported ``instance`` resource: holds the module's datasource object."""

    def __init__(self, datasource):
        self.datasource = datasource

    @classmethod
    def create(cls, settings):
        ours = InstanceSettings(settings.uid, settings.name, settings.url, settings.json_data,
                                {kv.key: kv.value for kv in settings.secure_json_data}, settings.updated_ms)
        try:
            return cls(_registry.datasource()(ours))
        except Exception as exc:  # noqa: BLE001 - every error becomes the contract's error
            raise _wit_error(exc) from None

    def query(self, query):
        ours = DataQuery(query.ref_id, query.query_type, TimeRange(query.time_range.from_ns, query.time_range.to_ns),
                         query.interval_ms, query.max_data_points, query.json)
        try:
            return _frames(self.datasource.query(ours))
        except Exception as exc:  # noqa: BLE001
            raise _wit_error(exc) from None

    def check_health(self):
        try:
            health = self.datasource.check_health()
        except Exception as exc:  # noqa: BLE001 - a failing check is an unhealthy datasource
            health = Health.error(str(Error.from_exception(exc)))
        details = None if health.details is None else to_json(health.details)
        return w.Health(_HEALTH[health.status], health.message, details)

    def call_resource(self, request):
        ours = ResourceRequest(request.method, request.path, request.url,
                               [(name, list(values)) for name, values in request.headers], bytes(request.body))
        try:
            response = self.datasource.call_resource(ours)
            return w.ResourceResponse(response.status, [(n, list(v)) for n, v in response.headers], bytes(response.body))
        except Exception as exc:  # noqa: BLE001
            raise _wit_error(exc) from None

    def subscribe_stream(self, request):
        try:
            answer = self.datasource.subscribe_stream(SubscribeRequest(request.path, request.data))
            if isinstance(answer, Subscription):
                initial = None if answer.initial is None else _frame(answer.initial)
                return w.SubscribeResponse_Ok(w.Subscription(max(0, min(answer.interval_ms, (1 << 32) - 1)), initial))
            if answer == SubscribeResponse.PERMISSION_DENIED:
                return w.SubscribeResponse_PermissionDenied()
            return w.SubscribeResponse_NotFound()
        except Exception as exc:  # noqa: BLE001
            raise _wit_error(exc) from None

    def stream_tick(self, path, data):
        try:
            return _frames(self.datasource.stream_tick(path, data))
        except Exception as exc:  # noqa: BLE001
            raise _wit_error(exc) from None

    def publish_stream(self, path, data):
        try:
            answer = self.datasource.publish_stream(path, data)
            if isinstance(answer, PublishResponse):
                return w.PublishResponse_Ok(answer.data)
            if answer == PublishResponse.NOT_FOUND:
                return w.PublishResponse_NotFound()
            return w.PublishResponse_PermissionDenied()
        except Exception as exc:  # noqa: BLE001
            raise _wit_error(exc) from None
