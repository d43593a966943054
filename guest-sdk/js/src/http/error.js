// HttpError: why a request failed, in words a Grafana user can act on, mapped from the
// wasi:http error codes the host reports exactly as the Rust SDK maps them.

import { QuarryError } from '../error.js';
import { debugStr } from '../fmt.js';

export const TimeoutPhase = Object.freeze({ CONNECT: 'connect', FIRST_BYTE: 'first byte', READ: 'read' });

const KINDS = {
  'invalid-url': 'bad-request',
  'invalid-header': 'bad-request',
  dns: 'downstream',
  'connection-refused': 'downstream',
  'too-many-redirects': 'downstream',
  other: 'downstream',
  timeout: 'timeout',
  denied: 'forbidden',
  host: 'forbidden',
  unavailable: 'internal',
};

/** `10 s`, `1500 ms` (whole seconds when exact), like the Rust SDK. */
function duration(seconds) {
  const nanos = Math.round(seconds * 1e9);
  if (nanos % 1e9 === 0) return `${nanos / 1e9} s`;
  if (nanos % 1e6 === 0) return `${nanos / 1e6} ms`;
  if (nanos % 1e3 === 0) return `${nanos / 1e3}µs`;
  return `${nanos}ns`;
}

/**
 * Why an HTTP request failed. `message` is the text; `kind` one of invalid-url, invalid-header
 * (bad request), dns, connection-refused, too-many-redirects, other (downstream), timeout,
 * denied, host (forbidden: `host` is the host's own refusal, verbatim), unavailable (internal).
 */
export class HttpError extends Error {
  constructor(kind, message, details = {}) {
    super(message);
    this.name = 'HttpError';
    this.kind = kind;
    this.details = details;
  }

  toQuarryError() {
    return new QuarryError(KINDS[this.kind], this.message);
  }

  static invalidUrl(url, reason) {
    return new HttpError('invalid-url', `invalid URL ${debugStr(url)}: ${reason}`, { url, reason });
  }

  static invalidHeader(name, reason) {
    return new HttpError('invalid-header', `invalid request header ${debugStr(name)}: ${reason}`, { name, reason });
  }

  static dns(host, rcode = null) {
    return new HttpError('dns', `cannot resolve host ${host}${rcode != null ? ` (${rcode})` : ''}`, { host, rcode });
  }

  static connectionRefused(authority) {
    return new HttpError('connection-refused', `connection refused by ${authority}`, { authority });
  }

  static timeout(authority, phase, limitSeconds = null) {
    const within = limitSeconds != null ? ` within ${duration(limitSeconds)}` : '';
    return new HttpError('timeout', `no answer from ${authority}${within} (${phase} timeout)`, { authority, phase });
  }

  static denied(authority) {
    return new HttpError('denied', `the host denied the request to ${authority}`, { authority });
  }

  static host(message) {
    return new HttpError('host', message);
  }

  static tooManyRedirects(url, max) {
    return new HttpError('too-many-redirects', `too many redirects (more than ${max}) from ${url}`, { url, max });
  }

  static unavailable(message = 'HTTP is only available inside the Quarry host') {
    return new HttpError('unavailable', message);
  }

  static other(authority, code) {
    return new HttpError('other', `HTTP request to ${authority} failed: ${code}`, { authority, code });
  }
}
