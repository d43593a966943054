"""One request through ``wasi:http/outgoing-handler``, blocking on the host's pollables until the
whole response is read. Every handle is dropped before returning, so the instance holds no host
resources between calls."""

import re

from componentize_py_types import Err
from wit_world.imports import outgoing_handler, streams
from wit_world.imports import wasi_http_types as t

from .error import HttpError, TimeoutPhase

_READ_CHUNK = 64 * 1024
_WRITE_CHUNK = 4096

_METHODS = {
    "GET": t.Method_Get(), "HEAD": t.Method_Head(), "POST": t.Method_Post(), "PUT": t.Method_Put(),
    "PATCH": t.Method_Patch(), "DELETE": t.Method_Delete(),
}


def _variant_name(code):
    return type(code).__name__.split("_", 1)[1]


def _debug(value):
    """Rust's ``{:?}`` of the optional payloads in error codes."""
    if value is None:
        return "None"
    if isinstance(value, str):
        from .._fmt import debug_str
        return "Some(%s)" % debug_str(value)
    if isinstance(value, int):
        return "Some(%d)" % value
    return "Some(%r)" % (value,)


def _code_debug(code):
    name = "ErrorCode::" + _variant_name(code)
    if not hasattr(code, "value"):
        return name
    value = code.value
    if isinstance(value, (t.DnsErrorPayload, t.TlsAlertReceivedPayload, t.FieldSizePayload)):
        fields = ", ".join("%s: %s" % (f.replace("_", "-"), _debug(getattr(value, f))) for f in value.__dataclass_fields__)
        return "%s(%s { %s })" % (name, type(value).__name__, fields)
    if value is None or isinstance(value, (str, int)):
        return "%s(%s)" % (name, _debug(value))
    return "%s(%r)" % (name, value)


def from_code(code, url, limit, body_stage):
    authority = url.host_port
    if isinstance(code, t.ErrorCode_DnsTimeout):
        return HttpError.dns(url.host, "timed out")
    if isinstance(code, t.ErrorCode_DnsError):
        return HttpError.dns(url.host, code.value.rcode)
    if isinstance(code, t.ErrorCode_ConnectionRefused):
        return HttpError.connection_refused(authority)
    if isinstance(code, t.ErrorCode_ConnectionTimeout):
        return HttpError.timeout(authority, TimeoutPhase.CONNECT, limit)
    if isinstance(code, t.ErrorCode_HttpResponseTimeout):
        return HttpError.timeout(authority, TimeoutPhase.FIRST_BYTE, limit)
    if isinstance(code, (t.ErrorCode_ConnectionReadTimeout, t.ErrorCode_ConnectionWriteTimeout)):
        return HttpError.timeout(authority, TimeoutPhase.READ if body_stage else TimeoutPhase.FIRST_BYTE, limit)
    if isinstance(code, t.ErrorCode_HttpRequestDenied):
        return HttpError.denied(authority)
    if isinstance(code, t.ErrorCode_HttpRequestUriInvalid):
        return HttpError.invalid_url(str(url), "the host refused it as invalid")
    if isinstance(code, t.ErrorCode_InternalError) and code.value is not None:
        return HttpError.host(code.value)
    return HttpError.other(authority, _code_debug(code))


def _header_reason(err):
    if isinstance(err, t.HeaderError_InvalidSyntax):
        return "not a valid header name or value"
    if isinstance(err, t.HeaderError_Forbidden):
        return "the host does not let modules set it"
    return "the headers can no longer be changed"


def _stream_failure(err, url, limit, body_stage, closed):
    if isinstance(err, streams.StreamError_Closed):
        return HttpError.other(url.host_port, closed)
    with err.value as io_error:
        code = t.http_error_code(io_error)
        if code is None:
            return HttpError.other(url.host_port, io_error.to_debug_string())
    return from_code(code, url, limit, body_stage)


def send(method, url, headers, body, timeout):
    from . import Response

    def refused(what):
        return HttpError.invalid_url(str(url), "the host refused its %s" % what)

    fields = t.Fields()
    for name, value in headers:
        try:
            fields.append(name, str(value).encode())
        except Err as exc:
            fields.__exit__(None, None, None)
            raise HttpError.invalid_header(name, _header_reason(exc.value)) from None
    request = t.OutgoingRequest(fields)  # takes `fields`
    try:
        for setter, value, what in (
            (request.set_method, _METHODS[method], "method"),
            (request.set_scheme, t.Scheme_Https() if url.https else t.Scheme_Http(), "scheme"),
            (request.set_authority, url.authority, "authority"),
            (request.set_path_with_query, url.path_and_query, "path"),
        ):
            try:
                setter(value)
            except Err:
                raise refused(what) from None
        outgoing_body = request.body() if body else None
    except BaseException:
        request.__exit__(None, None, None)
        raise
    options = None
    if timeout is not None:
        nanos = max(0, min(int(timeout * 1e9), (1 << 64) - 1))
        options = t.RequestOptions()
        for setter in (options.set_connect_timeout, options.set_first_byte_timeout, options.set_between_bytes_timeout):
            try:
                setter(nanos)
            except Err:
                pass  # the host keeps its own limit
    try:
        future = outgoing_handler.handle(request, options)  # takes `request` and `options`
    except Err as exc:
        if outgoing_body is not None:
            outgoing_body.__exit__(None, None, None)
        raise from_code(exc.value, url, timeout, False) from None
    with future:
        if outgoing_body is not None:
            _write_body(outgoing_body, body, url, timeout)
        while True:
            result = future.get()
            if result is not None:
                break
            with future.subscribe() as pollable:
                pollable.block()
    inner = result.value if hasattr(result, "value") else result
    if isinstance(result, Err) or isinstance(inner, Err):
        code = inner.value if isinstance(inner, Err) else None
        if code is None:
            raise HttpError.other(url.host_port, "the response was already taken")
        raise from_code(code, url, timeout, False)
    response = inner.value
    with response:
        status = response.status()
        with response.headers() as header_fields:
            response_headers = [(n, v.decode("utf-8", "replace")) for n, v in header_fields.entries()]
        incoming = response.consume()
        with incoming:
            stream = incoming.stream()
            with stream:
                data = _read_body(stream, url, timeout)
        # IncomingBody.finish consumed `incoming`; drop the trailers future it gives back.
    return Response(status, response_headers, data, str(url))


def _write_body(outgoing_body, body, url, timeout):
    stream = outgoing_body.write()
    with stream:
        for i in range(0, len(body), _WRITE_CHUNK):
            try:
                stream.blocking_write_and_flush(body[i:i + _WRITE_CHUNK])
            except Err as exc:
                raise _stream_failure(exc.value, url, timeout, False, "the server closed the request body") from None
    try:
        t.OutgoingBody.finish(outgoing_body, None)
    except Err as exc:
        raise from_code(exc.value, url, timeout, False) from None


def _read_body(stream, url, timeout):
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(_READ_CHUNK))
        except Err as exc:
            if isinstance(exc.value, streams.StreamError_Closed):
                return b"".join(chunks)
            raise _stream_failure(exc.value, url, timeout, True, "the response body closed") from None
