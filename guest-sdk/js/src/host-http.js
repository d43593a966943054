// The host's wasi:http import as componentize-js binds it: the transport of http/index.js. Only
// the component entry imports this file (plain Node cannot resolve these specifiers), and only for
// world module-http.

import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import { Fields, OutgoingBody, OutgoingRequest, RequestOptions, httpErrorCode } from 'wasi:http/types@0.2.12';

import { debugStr } from './fmt.js';
import { HttpError, Response, TimeoutPhase } from './http/index.js';

const READ_CHUNK = 64n * 1024n;
const WRITE_CHUNK = 4096;
const DISPOSE = Symbol.dispose ?? Symbol.for('dispose');

function drop(resource) {
  resource?.[DISPOSE]?.();
}

// A thrown component error carries its value as `payload` (or is the value).
function payload(e) {
  return e !== null && typeof e === 'object' && 'payload' in e ? e.payload : e;
}

function camel(tag) {
  return tag.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join('');
}

function some(v) {
  if (v === undefined || v === null) return 'None';
  return typeof v === 'string' ? `Some(${debugStr(v)})` : `Some(${v})`;
}

function codeDebug(code) {
  const name = `ErrorCode::${camel(code.tag)}`;
  if (!('val' in code)) return name;
  const v = code.val;
  if (v !== null && typeof v === 'object') {
    const kind = { 'DNS-error': 'DnsErrorPayload', 'TLS-alert-received': 'TlsAlertReceivedPayload' }[code.tag] ?? 'FieldSizePayload';
    const fields = Object.entries(v).map(([k, x]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${some(x)}`);
    return `${name}(${kind} { ${fields.join(', ')} })`;
  }
  return `${name}(${some(v)})`;
}

function fromCode(code, url, limit, bodyStage) {
  const authority = url.hostPort;
  switch (code.tag) {
    case 'DNS-timeout':
      return HttpError.dns(url.host, 'timed out');
    case 'DNS-error':
      return HttpError.dns(url.host, code.val?.rcode ?? null);
    case 'connection-refused':
      return HttpError.connectionRefused(authority);
    case 'connection-timeout':
      return HttpError.timeout(authority, TimeoutPhase.CONNECT, limit);
    case 'HTTP-response-timeout':
      return HttpError.timeout(authority, TimeoutPhase.FIRST_BYTE, limit);
    case 'connection-read-timeout':
    case 'connection-write-timeout':
      return HttpError.timeout(authority, bodyStage ? TimeoutPhase.READ : TimeoutPhase.FIRST_BYTE, limit);
    case 'HTTP-request-denied':
      return HttpError.denied(authority);
    case 'HTTP-request-URI-invalid':
      return HttpError.invalidUrl(String(url), 'the host refused it as invalid');
    case 'internal-error':
      if (code.val != null) return HttpError.host(code.val);
      break;
    default:
  }
  return HttpError.other(authority, codeDebug(code));
}

const HEADER_ERRORS = {
  'invalid-syntax': 'not a valid header name or value',
  forbidden: 'the host does not let modules set it',
  immutable: 'the headers can no longer be changed',
};

function streamFailure(err, url, limit, bodyStage, closed) {
  if (err?.tag === 'closed') return HttpError.other(url.hostPort, closed);
  const ioError = err?.val;
  try {
    const code = ioError ? httpErrorCode(ioError) : undefined;
    if (code === undefined || code === null) return HttpError.other(url.hostPort, ioError ? ioError.toDebugString() : String(err));
    return fromCode(code, url, limit, bodyStage);
  } finally {
    drop(ioError);
  }
}

/** One request, no redirects (http/index.js follows them). Drops every handle before returning. */
export function send(method, url, headers, body, timeout) {
  const refused = (what) => HttpError.invalidUrl(String(url), `the host refused its ${what}`);
  const fields = new Fields();
  for (const [name, value] of headers) {
    try {
      fields.append(name, new TextEncoder().encode(value));
    } catch (e) {
      drop(fields);
      throw HttpError.invalidHeader(name, HEADER_ERRORS[payload(e)?.tag] ?? 'not a valid header name or value');
    }
  }
  const request = new OutgoingRequest(fields); // takes `fields`
  let outgoingBody = null;
  try {
    const steps = [
      () => request.setMethod({ tag: method.toLowerCase() }),
      () => request.setScheme({ tag: url.https ? 'HTTPS' : 'HTTP' }),
      () => request.setAuthority(url.authority),
      () => request.setPathWithQuery(url.pathAndQuery),
    ];
    const names = ['method', 'scheme', 'authority', 'path'];
    steps.forEach((step, i) => {
      try {
        step();
      } catch {
        throw refused(names[i]);
      }
    });
    if (body.length) outgoingBody = request.body();
  } catch (e) {
    drop(request);
    throw e;
  }
  let options;
  if (timeout !== null && timeout !== undefined) {
    const nanos = BigInt(Math.max(0, Math.round(timeout * 1e9)));
    options = new RequestOptions();
    for (const set of ['setConnectTimeout', 'setFirstByteTimeout', 'setBetweenBytesTimeout']) {
      try {
        options[set](nanos);
      } catch {
        // the host keeps its own limit
      }
    }
  }
  let future;
  try {
    future = handle(request, options); // takes `request` and `options`
  } catch (e) {
    drop(outgoingBody);
    throw fromCode(payload(e), url, timeout, false);
  }
  let result;
  try {
    if (outgoingBody !== null) writeBody(outgoingBody, body, url, timeout);
    for (;;) {
      result = future.get();
      if (result !== undefined) break;
      const pollable = future.subscribe();
      pollable.block();
      drop(pollable);
    }
  } finally {
    drop(future);
  }
  if (result.tag === 'err') throw HttpError.other(url.hostPort, 'the response was already taken');
  if (result.val.tag === 'err') throw fromCode(result.val.val, url, timeout, false);
  const response = result.val.val;
  try {
    const status = response.status();
    const headerFields = response.headers();
    const decoder = new TextDecoder();
    const responseHeaders = headerFields.entries().map(([n, v]) => [n, decoder.decode(v)]);
    drop(headerFields);
    const incoming = response.consume();
    let data;
    try {
      const stream = incoming.stream();
      try {
        data = readBody(stream, url, timeout);
      } finally {
        drop(stream);
      }
    } finally {
      drop(incoming);
    }
    return new Response(status, responseHeaders, data, String(url));
  } finally {
    drop(response);
  }
}

function writeBody(outgoingBody, body, url, timeout) {
  const stream = outgoingBody.write();
  try {
    for (let i = 0; i < body.length; i += WRITE_CHUNK) {
      try {
        stream.blockingWriteAndFlush(body.subarray(i, i + WRITE_CHUNK));
      } catch (e) {
        throw streamFailure(payload(e), url, timeout, false, 'the server closed the request body');
      }
    }
  } finally {
    drop(stream);
  }
  try {
    OutgoingBody.finish(outgoingBody, undefined);
  } catch (e) {
    throw fromCode(payload(e), url, timeout, false);
  }
}

function readBody(stream, url, timeout) {
  const chunks = [];
  let total = 0;
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(READ_CHUNK);
    } catch (e) {
      const err = payload(e);
      if (err?.tag === 'closed') break;
      throw streamFailure(err, url, timeout, true, 'the response body closed');
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
