// http-api-js natively (no host): the same cases as modules/http-api's Rust tests.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DataQuery, InstanceSettings, Kind, QuarryError, ResourceRequest, SecretGrant, SubscribeResponse, PublishResponse, http, fromJson,
} from '../../../guest-sdk/js/src/index.js';
import * as m from '../index.js';

const api = (jsonData = '{"endpoint":"http://api.local:8080/"}') => new m.HttpApi(new InstanceSettings({ rawJsonData: jsonData }));
const response = (status, body) => new http.Response(status, [], new TextEncoder().encode(body));
const thrown = (fn) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
};

test('declares only the API key as a bearer token', () => {
  assert.deepEqual(m.HttpApi.secureSettings(), [SecretGrant.bearerToken('apiKey')]);
});

test('settings', () => {
  assert.deepEqual(api().config, { endpoint: 'http://api.local:8080', timeout: 10 });
  assert.deepEqual(api('{"endpoint":" http://API.local:8080/x ","timeout":2.5}').config, { endpoint: 'http://api.local:8080/x', timeout: 2.5 });
  for (const [json, start] of [
    ['{}', 'jsonData.endpoint is required'],
    ['{"endpoint":"api.local"}', 'jsonData.endpoint "api.local" is not a valid URL: it has no scheme'],
    ['{"endpoint":"http://api.local/?k=v"}', 'jsonData.endpoint "http://api.local/?k=v" must not have a query string'],
    ['{"endpoint":"http://a","timeout":0}', 'jsonData.timeout must be a positive number of seconds, not 0'],
    ['{"endpoint":"http://a","timeout":1e300}', 'jsonData.timeout must be a positive number of seconds, not 1000000'],
  ]) {
    const e = thrown(() => api(json));
    assert.equal(e.kind, 'bad-request');
    assert.ok(e.message.startsWith(start), `${json}: ${e.message}`);
  }
  assert.deepEqual(thrown(() => api('{"endpoint":5}')).contextLines, ['invalid datasource jsonData']);
});

test('metric names and paths', () => {
  const metric = (json) => m.metricOf(fromJson(json, m.Model));
  assert.equal(metric('{"metricName":"cpu"}'), 'cpu');
  assert.equal(metric('{"queryText":" mem "}'), 'mem');
  assert.equal(thrown(() => metric('{"metricName":"  "}')).message, 'the query names no metric: set metricName (or queryText)');
  assert.equal(m.queryPath('cpu load/1m', -5, 1_700_000_000_000, 'avg', '1m'), '/query?metric=cpu%20load%2F1m&from=-5&to=1700000000000&aggregation=avg&interval=1m');
  assert.equal(m.latestPath('a&b=c'), '/latest?metric=a%26b%3Dc');
});

test('aggregation', () => {
  const aggregation = (json) => m.aggregationOf(fromJson(json, m.Model));
  assert.equal(aggregation('{"aggregation":" max "}'), 'max');
  assert.equal(aggregation('{"aggregation":" "}'), null);
  assert.equal(aggregation('{}'), null);
  const query = (json) => new DataQuery({ refId: 'A', json });
  const e = thrown(() => api().query(query('{"metricName":"cpu","aggregation":"median"}')));
  assert.deepEqual([e.kind, e.message], ['bad-request', 'aggregation must be one of avg, min, max, sum, not "median"']);
  // Checked after the metric.
  assert.equal(thrown(() => api().query(query('{"aggregation":"median"}'))).message, 'the query names no metric: set metricName (or queryText)');
  assert.equal(thrown(() => aggregation('{"aggregation":"\\u0085Avg\\"\\u001f"}')).message, 'aggregation must be one of avg, min, max, sum, not "Avg\\"\\u{1f}"');
});

test('whitespace as Rust sees it', () => {
  assert.equal(m.nonBlank('\u0085 cpu\u3000'), 'cpu');
  assert.equal(m.nonBlank('\u001fcpu\ufeff'), '\u001fcpu\ufeff');
  assert.equal(m.excerpt('a\u0085b\u001fc  d'), 'a b\u001fc d');
});

test('descriptor', () => {
  const d = m.HttpApi.describe();
  assert.equal(d.description, 'Metrics from an in-house HTTP API (/query, /latest, /health)');
  assert.deepEqual(d.settings.map((s) => s.key), ['endpoint', 'timeout', 'apiKey']);
  const [endpoint, timeout, apiKey] = d.settings;
  assert.deepEqual([endpoint.kind, endpoint.isRequired, endpoint.placeholderText], [Kind.STRING, true, 'https://metrics.example.com/api']);
  assert.deepEqual([timeout.kind, timeout.defaultJson], [Kind.NUMBER, '10']);
  assert.ok(apiKey.isSecret && !apiKey.isRequired);
  assert.equal(m.HttpApi.secureSettings()[0].key, apiKey.key);
  assert.deepEqual(d.queryFields.map((f) => f.key), ['metricName', 'queryText', 'aggregation', 'interval']);
  const [metric, text, aggregation, interval] = d.queryFields;
  assert.ok(metric.isMain && metric.isRequired && !metric.isMultiline);
  assert.ok(text.isMultiline);
  assert.deepEqual([aggregation.kind, aggregation.options.map((o) => o.value), aggregation.isRequired], [Kind.ENUM, ['avg', 'min', 'max', 'sum'], false]);
  assert.deepEqual([interval.kind, interval.placeholderText], [Kind.STRING, '1m']);
  assert.equal(d.defaultQueryJson, '{"metricName":""}');
  assert.deepEqual(d.streams.map((s) => s.path), ['latest/{metric}']);
});

test('statuses', () => {
  for (const [status, body, want] of [
    [200, '', null],
    [401, 'nope', ['unauthorized', 'API refused the credentials (401)']],
    [404, 'no such metric\n', ['not-found', 'API answered 404 Not Found for /p: no such metric']],
    [503, '  upstream\n\t down ', ['downstream', 'API answered 503 Service Unavailable for /p: upstream down']],
    [500, '', ['downstream', 'API answered 500 Internal Server Error for /p']],
    [599, 'x', ['downstream', 'API answered 599 for /p: x']],
  ]) {
    const e = thrown(() => m.checkStatus('/p', response(status, body)));
    assert.deepEqual(e && [e.kind, e.message], want, String(status));
  }
  assert.equal(thrown(() => m.checkStatus('/p', response(502, 'é'.repeat(500)))).message, `API answered 502 Bad Gateway for /p: ${'é'.repeat(200)}…`);
});

test('bad series and frames', () => {
  for (const [body, message] of [
    ['{"timestamps":[1,2,3],"values":[1,2]}', 'response from /query has 3 timestamps but 2 values'],
    ['{"timestamps":[1]}', 'response from /query: unexpected response JSON: missing field `values` at line 1 column 18'],
    ['<html>oops</html>', 'response from /query: response is not valid JSON: expected value at line 1 column 1'],
  ]) {
    const e = thrown(() => m.parseSeries(response(200, body)));
    assert.ok(e instanceof QuarryError);
    assert.deepEqual([e.kind, e.message], ['downstream', message]);
  }
  const series = m.parseSeries(response(200, '{"timestamps":[1000,2000],"values":[1.5,2.5],"labels":{"host":"a"},"unit":"percent"}'));
  const frame = m.seriesFrame('cpu', '/q', series);
  assert.deepEqual(frame.field('time').values, [1_000_000_000n, 2_000_000_000n]);
  assert.deepEqual([frame.field('value').values, frame.field('value').validity], [[1.5, 2.5], null]);
  assert.equal(frame.field('value').config.unit, 'percent');
  const gappy = m.seriesFrame('m', '/q', { timestamps: [1, 2], values: [null, 1], labels: {}, unit: '' });
  assert.deepEqual(gappy.field('value').validity, [false, true]);
  assert.equal(gappy.field('value').config.unit, null);
});

test('stream paths', () => {
  for (const [path, want] of [
    ['latest/cpu', ['cpu', 1000]], ['latest/cpu/250', ['cpu', 250]], ['latest/disk/io', ['disk/io', 1000]],
    ['latest/', null], ['latest', null],
    ['metric/cpu', ['cpu', 1000]], ['metric/cpu/250', ['cpu', 250]], ['metric/cpu/99', ['cpu', 100]],
    ['metric/disk/io', ['disk/io', 1000]], ['metric/disk/io/5000', ['disk/io', 5000]],
    ['metric/cpu/99999999999999999999999', null], ['metric/cpu/', null], ['metric//100', null],
    ['metric/', null], ['metric/a//b', null], ['metrics/cpu', null], ['', null],
  ]) {
    assert.deepEqual(m.parseStreamPath(path), want, path);
  }
});

test('other calls', () => {
  const ds = api();
  assert.equal(ds.subscribeStream({ path: 'latest/cpu/250' }).intervalMs, 250);
  assert.equal(ds.subscribeStream({ path: 'metric/cpu' }).intervalMs, 1000);
  assert.equal(ds.subscribeStream({ path: 'random_walk' }), SubscribeResponse.NOT_FOUND);
  assert.equal(ds.publishStream('metric/cpu', '{}'), PublishResponse.PERMISSION_DENIED);
  assert.equal(new TextDecoder().decode(ds.callResource(new ResourceRequest({ path: 'metrics' })).body), '{"error":"no resource metrics"}');
  assert.equal(ds.checkHealth().message, 'HTTP is only available inside the Quarry host');
  assert.equal(thrown(() => ds.streamTick('nope', '')).kind, 'not-found');
});
