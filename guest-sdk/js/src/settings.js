// The records a module receives: InstanceSettings, DataQuery with its TimeRange, the resource
// records, and SecretGrant (what a module declares it wants).

import { QuarryError, withContext } from './error.js';
import { Time } from './frame.js';
import { toJson } from './json.js';
import { fromJson, t } from './serde.js';

const object = (text) => (text.trim() === '' ? '{}' : text);

/** The settings of one Grafana datasource instance. */
export class InstanceSettings {
  constructor({ uid = '', name = '', url = '', rawJsonData = '', secureJsonData = {}, updatedMs = 0 } = {}) {
    this.uid = uid;
    this.name = name;
    /** The datasource URL (may be empty). */
    this.url = url;
    /** jsonData as JSON text; see jsonData(). */
    this.rawJsonData = rawJsonData;
    /** The secure settings the host passed on: only those declared with SecretGrant.read. */
    Object.defineProperty(this, 'secureJsonData', { value: { ...secureJsonData }, enumerable: false });
    this.updatedMs = updatedMs;
  }

  /**
   * Parses jsonData as `shape` (see serde.js; plain values by default). Empty text reads as {}.
   * Throws a bad-request QuarryError with context `invalid datasource jsonData`.
   */
  jsonData(shape = t.any) {
    return withContext('invalid datasource jsonData', () => fromJson(object(this.rawJsonData), shape));
  }

  /** The secure setting `key` if the host passed it on (declared with SecretGrant.read). */
  secure(key) {
    return this.secureJsonData[key] ?? null;
  }
}

/** A closed time interval, both ends in nanoseconds since the Unix epoch (BigInt). */
export class TimeRange {
  constructor(fromNs = 0n, toNs = 0n) {
    this.fromNs = BigInt(fromNs);
    this.toNs = BigInt(toNs);
  }

  static fromMillis(fromMs, toMs) {
    return new TimeRange(Time.fromMillis(fromMs).nanos, Time.fromMillis(toMs).nanos);
  }

  /** The start in milliseconds (rounded towards negative infinity), a Number. */
  get fromMs() {
    return new Time(this.fromNs).asMillis();
  }

  get toMs() {
    return new Time(this.toNs).asMillis();
  }

  get from() {
    return new Time(this.fromNs);
  }

  get to() {
    return new Time(this.toNs);
  }

  /** Milliseconds between the ends (zero when `to` is before `from`). */
  durationMs() {
    const d = this.toNs - this.fromNs;
    return d > 0n ? Number(d) / 1e6 : 0;
  }
}

/** One query of a QueryData request. */
export class DataQuery {
  constructor({ refId = '', queryType = '', timeRange = new TimeRange(), intervalMs = 0, maxDataPoints = 0, json = '' } = {}) {
    this.refId = refId;
    this.queryType = queryType;
    this.timeRange = timeRange;
    this.intervalMs = Number(intervalMs);
    this.maxDataPoints = Number(maxDataPoints);
    /** The panel's query model as JSON text; see model(). */
    this.json = json;
  }

  /** Parses the query model as `shape`; a bad-request QuarryError (context `invalid query model`). */
  model(shape = t.any) {
    return withContext('invalid query model', () => fromJson(object(this.json), shape));
  }

  /** The suggested distance between points in ms, or null. */
  interval() {
    return this.intervalMs > 0 ? this.intervalMs : null;
  }

  /** The most points the panel can show, or null. */
  maxPoints() {
    return this.maxDataPoints > 0 ? this.maxDataPoints : null;
  }
}

/**
 * One secure setting (a key of secureJsonData) a module asks for, and how it uses it. Asking
 * grants nothing: the datasource's jsonData.secretGrants decides. Prefer bearerToken and header:
 * the host attaches the credential and the module never holds it.
 */
export class SecretGrant {
  constructor(key, use, headerName = null) {
    this.key = key;
    this.use = use;
    this.headerName = headerName;
  }

  /** The module reads the value from InstanceSettings.secure() (needs `read: true`). */
  static read(key) {
    return new SecretGrant(key, 'read');
  }

  /** The host sends `Authorization: Bearer <value>`; the module never sees it. */
  static bearerToken(key) {
    return new SecretGrant(key, 'bearer-token');
  }

  /** The host sends the value in header `header`; the module never sees it. */
  static header(key, header) {
    return new SecretGrant(key, 'header', header);
  }
}

const decoder = new TextDecoder();

function findHeader(headers, name) {
  const lower = name.toLowerCase();
  const entry = headers.find(([key, values]) => key.toLowerCase() === lower && values.length);
  return entry ? entry[1][0] : null;
}

/** A call to /api/datasources/uid/<uid>/resources/<path>. */
export class ResourceRequest {
  constructor({ method = 'GET', path = '', url = '', headers = [], body = new Uint8Array() } = {}) {
    this.method = method;
    /** Below resources/, no leading slash. */
    this.path = path;
    /** `path` plus the raw query string. */
    this.url = url;
    /** [[name, [values]]]. */
    this.headers = headers;
    this.body = body;
  }

  header(name) {
    return findHeader(this.headers, name);
  }

  /** The body as text. */
  text() {
    return decoder.decode(this.body);
  }

  /** Parses the body; a bad-request QuarryError (context `invalid request body`). */
  bodyJson(shape = t.any) {
    return withContext('invalid request body', () => fromJson(this.body, shape));
  }
}

export class ResourceResponse {
  constructor(status = 200, headers = [], body = new Uint8Array()) {
    this.status = status;
    this.headers = headers;
    this.body = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  }

  /** `value` as a JSON body with content-type: application/json. */
  static json(status, value) {
    let text;
    try {
      text = toJson(value);
    } catch (e) {
      throw QuarryError.internal(String(e)).context('serializing response');
    }
    return new ResourceResponse(status, [['content-type', ['application/json']]], text);
  }

  withHeader(name, value) {
    const entry = this.headers.find(([key]) => key.toLowerCase() === name.toLowerCase());
    if (entry) entry[1].push(value);
    else this.headers.push([name, [value]]);
    return this;
  }

  header(name) {
    return findHeader(this.headers, name);
  }
}
