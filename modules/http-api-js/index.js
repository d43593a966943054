// Quarry example module in JavaScript: an in-house metrics API over wasi:http.
//
// The JS twin of modules/http-api (Rust): the same settings, requests, frames, errors, health
// messages and streams; modules/http-api/README.md specifies them. The API key is declared with
// SecretGrant.bearerToken: the host attaches it, the module never sees it.

import {
  Datasource, Descriptor, Field, FieldConfig, Frame, FrameMeta, FrameType, Health, JsonNumber,
  QuarryError, QueryField, ResourceResponse, SecretGrant, Setting, SubscribeResponse, Subscription,
  Time, exportDatasource, http, t,
} from '../../guest-sdk/js/src/index.js';
import { debugStr, rustDisplay } from '../../guest-sdk/js/src/fmt.js';

const { HttpError, InvalidUrl, Request, Url, encodeComponent } = http;

export const HEALTH_PATH = '/health';
/** The most characters of an error response's body quoted in the error. */
const EXCERPT_CHARS = 200;
const DEFAULT_TIMEOUT_S = 10;
const DEFAULT_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 100;
/** The aggregations the API knows, in the order editors list them. */
export const AGGREGATIONS = [['avg', 'Average'], ['min', 'Minimum'], ['max', 'Maximum'], ['sum', 'Sum']];
/** Stream path prefixes: `latest/` (the descriptor's), `metric/` (earlier versions'). */
const STREAM_PREFIXES = ['latest/', 'metric/'];
/**
 * What Rust's `char::is_whitespace` (Unicode White_Space) accepts, for `trim` and
 * `split_whitespace`: JS's `trim` and `\s` also take U+FEFF and leave U+0085.
 */
const RUST_WHITESPACE = '\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';
const TRIM = new RegExp(`^[${RUST_WHITESPACE}]+|[${RUST_WHITESPACE}]+$`, 'gu');
const WHITESPACE_RUN = new RegExp(`[${RUST_WHITESPACE}]+`, 'u');

const optional = (shape) => t.default(t.option(shape), null);

/** The query model (Grafana's own keys are ignored). */
export const Model = t.struct('Model', {
  metricName: optional(t.string),
  queryText: optional(t.string),
  aggregation: optional(t.string),
  interval: optional(t.untagged('Scalar', t.number, t.string)),
});

export const RawSettings = t.struct('RawSettings', {
  endpoint: optional(t.string),
  /** Seconds. The host reads the same key for its own per-request limit. */
  timeout: optional(t.f64),
});

/** The answer of /query. */
export const Series = t.struct('Series', {
  timestamps: t.array(t.i64),
  values: t.array(t.option(t.f64)),
  labels: t.default(t.map(t.string), () => ({})),
  unit: optional(t.string),
});

/** The answer of /latest. */
export const Latest = t.struct('Latest', { timestamp: t.i64, value: t.option(t.f64) });

/** Rust's `str::trim`. */
export const rustTrim = (text) => text.replace(TRIM, '');

export function nonBlank(text) {
  if (text === null || text === undefined) return null;
  const trimmed = rustTrim(text);
  return trimmed === '' ? null : trimmed;
}

/** `metricName`, else `queryText`. */
export function metricOf(model) {
  for (const text of [model.metricName, model.queryText]) {
    const metric = nonBlank(text);
    if (metric !== null) return metric;
  }
  throw QuarryError.badRequest('the query names no metric: set metricName (or queryText)');
}

/** `aggregation` when set, one of the descriptor's values. */
export function aggregationOf(model) {
  const aggregation = nonBlank(model.aggregation);
  if (aggregation === null) return null;
  const allowed = AGGREGATIONS.map(([value]) => value);
  if (allowed.includes(aggregation)) return aggregation;
  throw QuarryError.badRequest(`aggregation must be one of ${allowed.join(', ')}, not ${debugStr(aggregation)}`);
}

function scalarText(value) {
  if (value instanceof JsonNumber) return String(value);
  return nonBlank(value);
}

// -- settings

export function configFrom(settings) {
  const raw = settings.jsonData(RawSettings);
  const endpoint = nonBlank(raw.endpoint);
  if (endpoint === null) {
    throw QuarryError.badRequest(
      'jsonData.endpoint is required: the base URL of the metrics API, such as https://metrics.example.com/api',
    );
  }
  let url;
  try {
    url = Url.parse(endpoint);
  } catch (e) {
    if (e instanceof InvalidUrl) throw QuarryError.badRequest(`jsonData.endpoint ${debugStr(endpoint)} is not a valid URL: ${e.reason}`);
    throw e;
  }
  if (url.pathAndQuery.includes('?')) {
    throw QuarryError.badRequest(`jsonData.endpoint ${debugStr(endpoint)} must not have a query string`);
  }
  const timeout = raw.timeout === null ? DEFAULT_TIMEOUT_S : parseTimeout(raw.timeout);
  return { endpoint: String(url).replace(/\/+$/, ''), timeout };
}

function parseTimeout(secs) {
  // Rust's Duration::try_from_secs_f64: positive and below 2^64 seconds.
  if (secs > 0 && secs < 18446744073709551616) return secs;
  throw QuarryError.badRequest(`jsonData.timeout must be a positive number of seconds, not ${rustDisplay(secs)}`);
}

// -- the API, as plain functions

export function queryPath(metric, fromMs, toMs, aggregation = null, interval = null) {
  let path = `/query?metric=${encodeComponent(metric)}&from=${fromMs}&to=${toMs}`;
  for (const [key, value] of [['aggregation', aggregation], ['interval', interval]]) {
    if (value !== null) path += `&${key}=${encodeComponent(value)}`;
  }
  return path;
}

export const latestPath = (metric) => `/latest?metric=${encodeComponent(metric)}`;

export function excerpt(body) {
  // Rust's split_whitespace: runs of RUST_WHITESPACE separate words.
  const text = body.split(WHITESPACE_RUN).filter(Boolean).join(' ');
  if (text === '') return null;
  const chars = [...text];
  return chars.length > EXCERPT_CHARS ? `${chars.slice(0, EXCERPT_CHARS).join('')}…` : text;
}

/** Turns an answer that is not 2xx into the module's error. */
export function checkStatus(path, response) {
  if (response.ok) return;
  if (response.status === 401) throw QuarryError.unauthorized('API refused the credentials (401)');
  let message = `API answered ${response.status}`;
  if (response.reason !== null) message += ` ${response.reason}`;
  message += ` for ${path}`;
  const quoted = excerpt(response.text());
  if (quoted !== null) message += `: ${quoted}`;
  throw response.status === 404 ? QuarryError.notFound(message) : QuarryError.downstream(message);
}

function parse(response, shape, endpoint) {
  try {
    return response.json(shape);
  } catch (e) {
    if (e instanceof QuarryError) throw QuarryError.downstream(`response from ${endpoint}: ${e.message}`);
    throw e;
  }
}

export function parseSeries(response) {
  const series = parse(response, Series, '/query');
  if (series.timestamps.length !== series.values.length) {
    throw QuarryError.downstream(
      `response from /query has ${series.timestamps.length} timestamps but ${series.values.length} values`,
    );
  }
  return series;
}

export const parseLatest = (response) => parse(response, Latest, '/latest');

const valueConfig = (metric, unit = null) => new FieldConfig({ displayName: metric, unit });

export function seriesFrame(metric, executed, series) {
  const meta = new FrameMeta({ type: FrameType.TIMESERIES_MULTI, typeVersion: [0, 1], executedQueryString: executed });
  return new Frame(metric, [
    new Field('time', series.timestamps.map((ms) => Time.fromMillis(ms)), { type: 'time' }),
    new Field('value', series.values, {
      type: 'float64', labels: series.labels, config: valueConfig(metric, series.unit || null),
    }),
  ], meta);
}

export function streamSchema(metric) {
  return new Frame(metric, [
    new Field('time', [], { type: 'time' }),
    new Field('value', [], { type: 'float64', config: valueConfig(metric) }),
  ]);
}

export function latestFrame(metric, latest) {
  return new Frame(metric, [
    new Field('time', [Time.fromMillis(latest.timestamp)]),
    new Field('value', [latest.value], { type: 'float64', config: valueConfig(metric) }),
  ]);
}

// -- the descriptor (README.md, "Descriptor")

export function descriptor() {
  return new Descriptor('Metrics from an in-house HTTP API (/query, /latest, /health)')
    .withSetting(
      Setting.string('endpoint')
        .title('Endpoint')
        .description('Base URL of the metrics API (http or https, no query string)')
        .placeholder('https://metrics.example.com/api')
        .required(),
    )
    .withSetting(
      Setting.number('timeout')
        .title('Timeout (s)')
        .description('Seconds each wait of a request may take: connect, first byte, between bytes')
        .default(10),
    )
    .withSetting(
      Setting.string('apiKey')
        .title('API key')
        .description('Sent by the host as Authorization: Bearer <key>; the module never sees it')
        .secret(),
    )
    .withQueryField(
      QueryField.string('metricName')
        .title('Metric')
        .description('The metric to query; required unless queryText is set')
        .placeholder('cpu')
        .main()
        .required(),
    )
    .withQueryField(
      QueryField.string('queryText')
        .title('Query text')
        .description('Used as the metric when metricName is empty')
        .multiline(),
    )
    .withQueryField(
      QueryField.enumeration('aggregation', AGGREGATIONS)
        .title('Aggregation')
        .description('How the API aggregates points within an interval; none when unset'),
    )
    .withQueryField(
      QueryField.string('interval')
        .title('Interval')
        .description('Passed to the API as interval= (e.g. 1m); a number is sent as written')
        .placeholder('1m'),
    )
    .withDefaultQuery({ metricName: '' })
    .withStream(
      'latest/{metric}',
      "The metric's newest value, polled from /latest every second (latest/{metric}/{intervalMs} for another interval, at least 100 ms)",
    );
}

// -- streams

/** `latest/<name>[/<interval ms>]` (or `metric/…`) → [metric, intervalMs], or null. */
export function parseStreamPath(path) {
  const prefix = STREAM_PREFIXES.find((p) => path.startsWith(p));
  if (prefix === undefined) return null;
  const rest = path.slice(prefix.length);
  let metric = rest;
  let interval = DEFAULT_INTERVAL_MS;
  const slash = rest.lastIndexOf('/');
  const digits = slash >= 0 ? rest.slice(slash + 1) : '';
  if (slash >= 0 && /^[0-9]+$/.test(digits)) {
    const n = BigInt(digits);
    if (n >= 1n << 64n) return null;
    metric = rest.slice(0, slash);
    interval = n < BigInt(MIN_INTERVAL_MS) ? MIN_INTERVAL_MS : Number(n > 2n ** 52n ? 2n ** 52n : n);
  }
  if (metric.split('/').some((segment) => segment === '')) return null;
  return [metric, interval];
}

// -- the datasource

export class HttpApi extends Datasource {
  static describe() {
    return descriptor();
  }

  static secureSettings() {
    return [SecretGrant.bearerToken('apiKey')];
  }

  constructor(settings) {
    super(settings);
    this.config = configFrom(settings);
  }

  /** GET {endpoint}{path}, whatever the status. */
  get(path) {
    return new Request('GET', `${this.config.endpoint}${path}`, {
      headers: [['Accept', 'application/json']],
      timeout: this.config.timeout,
    }).send();
  }

  /** GET {endpoint}{path}, answered with a 2xx. */
  fetch(path) {
    const response = this.get(path);
    checkStatus(path, response);
    return response;
  }

  query(query) {
    const model = query.model(Model);
    const metric = metricOf(model);
    const interval = model.interval === null ? null : scalarText(model.interval);
    const path = queryPath(metric, query.timeRange.fromMs, query.timeRange.toMs, aggregationOf(model), interval);
    return [seriesFrame(metric, path, parseSeries(this.fetch(path)))];
  }

  checkHealth() {
    try {
      checkStatus(HEALTH_PATH, this.get(HEALTH_PATH));
    } catch (e) {
      if (e instanceof QuarryError || e instanceof HttpError) return Health.error(QuarryError.from(e).message);
      throw e;
    }
    return Health.ok(`API reachable at ${this.config.endpoint}`);
  }

  callResource(request) {
    return ResourceResponse.json(404, { error: `no resource ${request.path}` });
  }

  subscribeStream(request) {
    const parsed = parseStreamPath(request.path);
    if (parsed === null) return SubscribeResponse.NOT_FOUND;
    const [metric, interval] = parsed;
    return new Subscription(interval, streamSchema(metric));
  }

  streamTick(path) {
    const parsed = parseStreamPath(path);
    if (parsed === null) throw QuarryError.notFound(`no stream ${path}`);
    const [metric] = parsed;
    return [latestFrame(metric, parseLatest(this.fetch(latestPath(metric))))];
  }
}

exportDatasource(HttpApi);
