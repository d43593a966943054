// A small blocking HTTP client over wasi:http/outgoing-handler: requests go through the host,
// which lets a module reach its datasource's allowed hosts only.
//
//   const response = http.get(`${endpoint}/latest?metric=${encodeComponent('cpu load')}`,
//                             { headers: { Accept: 'application/json' }, timeout: 10 });
//   if (response.ok) console.log(response.json());
//
// The host checks every request (each redirect hop too) against the datasource's allowed hosts
// (a refusal is HttpError `host`, naming the host and what is allowed), attaches the credentials
// the operator granted to the datasource's origins, and caps timeouts and response sizes.
// Redirects are followed here, like the Rust SDK: a 303 (and a 301/302 after a POST) becomes a GET
// without a body; a hop to another origin drops Authorization, Cookie and Proxy-Authorization.
// Outside the host (native unit tests) send() throws HttpError `unavailable`.

import { QuarryError } from '../error.js';
import { JsonError, fromJson, t } from '../serde.js';
import { toJson } from '../json.js';
import { HttpError, TimeoutPhase } from './error.js';
import { InvalidUrl, Url, encodeComponent } from './url.js';

export { HttpError, TimeoutPhase, Url, InvalidUrl, encodeComponent };

export const DEFAULT_MAX_REDIRECTS = 5;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let transport = () => {
  throw HttpError.unavailable();
};

/** Installs the wasi:http transport (done by the component glue). */
export function setTransport(send) {
  transport = send;
}

const toBytes = (body) => (typeof body === 'string' ? encoder.encode(body) : body ?? new Uint8Array());
const entries = (headers) => (Array.isArray(headers) ? headers : Object.entries(headers ?? {}));

/** An HTTP request; send() sends it. `headers` an object or [[name, value]]; `timeout` seconds. */
export class Request {
  constructor(method, url, { headers = [], body, timeout = null, maxRedirects = DEFAULT_MAX_REDIRECTS } = {}) {
    method = method.toUpperCase();
    if (!METHODS.includes(method)) throw new RangeError(`unsupported method ${method} (one of ${METHODS.join(', ')})`);
    this.method = method;
    this.url = String(url);
    this.headers = entries(headers).map(([n, v]) => [n, String(v)]);
    this.body = toBytes(body);
    /** Seconds for each wait of each request: connect, first byte, between bytes. */
    this.timeout = timeout;
    this.maxRedirects = maxRedirects;
  }

  header(name, value) {
    this.headers.push([name, String(value)]);
    return this;
  }

  /** Sends the request, follows redirects, reads the whole response (any status). */
  send() {
    let url;
    try {
      url = Url.parse(this.url);
    } catch (e) {
      if (e instanceof InvalidUrl) throw HttpError.invalidUrl(e.url, e.reason);
      throw e;
    }
    let { method, body, headers } = this;
    let followed = 0;
    for (;;) {
      const response = transport(method, url, headers, body, this.timeout);
      const hop = redirect(response, method, this.maxRedirects);
      if (hop === null) return response;
      const [location, nextMethod] = hop;
      if (followed === this.maxRedirects) throw HttpError.tooManyRedirects(this.url, this.maxRedirects);
      followed += 1;
      let next;
      try {
        next = url.join(location);
      } catch (e) {
        if (e instanceof InvalidUrl) throw HttpError.invalidUrl(e.url, e.reason);
        throw e;
      }
      if (nextMethod !== method) {
        body = new Uint8Array();
        headers = headers.filter(([n]) => !['content-type', 'content-length'].includes(n.toLowerCase()));
      }
      if (!next.sameOrigin(url)) headers = headers.filter(([n]) => !CREDENTIAL_HEADERS.includes(n.toLowerCase()));
      method = nextMethod;
      url = next;
    }
  }
}

function redirect(response, method, maxRedirects) {
  if (maxRedirects === 0) return null;
  const { status } = response;
  let next;
  if (status === 303 && method === 'HEAD') next = 'HEAD';
  else if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) next = 'GET';
  else if ([301, 302, 307, 308].includes(status)) next = method;
  else return null;
  const location = response.header('location');
  return location === null ? null : [location, next];
}

/** GET url; options {headers, timeout, maxRedirects}. */
export function get(url, options = {}) {
  return new Request('GET', url, options).send();
}

/** POST url; options {body, json, headers, timeout, maxRedirects} (`json` is serialized). */
export function post(url, options = {}) {
  const { json, ...rest } = options;
  if (json !== undefined) {
    rest.body = toJson(json);
    rest.headers = [...entries(rest.headers), ['Content-Type', 'application/json']];
  }
  return new Request('POST', url, rest).send();
}

const REASONS = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted',
  203: 'Non-Authoritative Information', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
  402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable', 417: 'Expectation Failed', 418: "I'm a teapot",
  421: 'Misdirected Request', 422: 'Unprocessable Content', 425: 'Too Early',
  426: 'Upgrade Required', 428: 'Precondition Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
  507: 'Insufficient Storage', 508: 'Loop Detected', 511: 'Network Authentication Required',
};

/** An HTTP response, read whole. */
export class Response {
  constructor(status, headers = [], body = new Uint8Array(), url = '') {
    this.status = status;
    /** [[name, value]] in the order received; names lower case as the host passes them. */
    this.headers = headers;
    this.body = body;
    /** The URL that answered: the last one of a redirect chain. */
    this.url = url;
  }

  header(name) {
    const lower = name.toLowerCase();
    const entry = this.headers.find(([n]) => n.toLowerCase() === lower);
    return entry ? entry[1] : null;
  }

  /** Whether the status is 2xx. */
  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  /** The standard reason phrase (Service Unavailable for 503), or null. */
  get reason() {
    return REASONS[this.status] ?? null;
  }

  /** The body as text; invalid UTF-8 becomes U+FFFD. */
  text() {
    return decoder.decode(this.body);
  }

  /**
   * Parses the body as `shape` (see serde.js). Throws a downstream QuarryError:
   * `response is not valid JSON: …` or `unexpected response JSON: …` (the Rust SDK's words).
   */
  json(shape = t.any) {
    try {
      return fromJson(this.body, shape);
    } catch (e) {
      if (!(e instanceof JsonError)) throw e;
      const what = e.isSyntax ? 'response is not valid JSON' : 'unexpected response JSON';
      throw QuarryError.downstream(`${what}: ${e.message}`);
    }
  }
}
