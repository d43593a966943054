// The JS SDK natively (Node, no component): serde-compatible JSON, frames, errors, URLs,
// descriptors, redirects. Expected texts are the Rust SDK's (serde_json's).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DataQuery, Datasource, Descriptor, EnumIndex, Field, FieldConfig, Frame, FrameMeta, Health, InstanceSettings,
  JsonError, PublishResponse, QuarryError, QueryField, ResourceRequest, Setting, SubscribeResponse, Time,
  TimeRange, fromJson, http, t, toJson,
} from '../src/index.js';
import { debugStr, rustDisplay, ryu } from '../src/fmt.js';

const Series = t.struct('Series', {
  timestamps: t.array(t.i64),
  values: t.array(t.option(t.f64)),
  labels: t.default(t.map(t.string), () => ({})),
  unit: t.default(t.option(t.string), null),
});

function err(text, shape) {
  try {
    fromJson(text, shape);
  } catch (e) {
    assert.ok(e instanceof JsonError);
    return e.message;
  }
  return null;
}

test('series errors match serde_json', () => {
  const cases = [
    ['{"values":[1]}', 'missing field `timestamps` at line 1 column 14'],
    ['{"timestamps":[1]}', 'missing field `values` at line 1 column 18'],
    ['{"timestamps":["a"],"values":[1]}', 'invalid type: string "a", expected i64 at line 1 column 18'],
    ['<html>oops</html>', 'expected value at line 1 column 1'],
    ['{not json', 'key must be a string at line 1 column 2'],
    ['{"timestamps":[-0],"values":[]}', 'invalid type: floating point `-0.0`, expected i64 at line 1 column 17'],
    ['{"timestamps":[1],"timestamps":[2],"values":[]}', 'duplicate field `timestamps` at line 1 column 30'],
    ['[]', 'invalid length 0, expected struct Series with 4 elements at line 1 column 2'],
    ['', 'EOF while parsing a value at line 1 column 0'],
  ];
  for (const [text, message] of cases) assert.equal(err(text, Series), message, text);
});

test('valid input, defaults, numbers', () => {
  const s = fromJson('{"timestamps":[1000,2000],"values":[1.5,null],"labels":{"host":"a"},"unit":"percent","x":1}', Series);
  assert.deepEqual(s, { timestamps: [1000, 2000], values: [1.5, null], labels: { host: 'a' }, unit: 'percent' });
  assert.deepEqual(fromJson('{"timestamps":[],"values":[]}', Series).labels, {});
  assert.equal(fromJson('[9223372036854775807]', t.array(t.i64))[0], 9223372036854775807n);
  const Scalar = t.untagged('Scalar', t.number, t.string);
  assert.equal(String(fromJson('1e3', Scalar)), '1000.0');
  assert.equal(String(fromJson('1000', Scalar)), '1000');
  assert.equal(err('[' .repeat(130) + ']'.repeat(130), t.any), 'recursion limit exceeded at line 1 column 128');
});

test('formatting like Rust', () => {
  for (const [v, want] of [[1.5, '1.5'], [1e300, '1e+300'], [-0, '-0.0'], [1e15, '1000000000000000.0'], [1e16, '1e+16'], [1.5e-7, '1.5e-7'], [1e-5, '0.00001']]) {
    assert.equal(ryu(v), want);
  }
  assert.equal(rustDisplay(0), '0');
  assert.equal(debugStr('a"b\n\x1bü'), '"a\\"b\\n\\u{1b}ü"');
  assert.equal(toJson({ a: [1, 2.5, null, 'é', NaN] }), '{"a":[1,2.5,null,"é",null]}');
});

test('fields infer or take their type', () => {
  assert.equal(new Field('t', [Time.fromSecs(1)]).type, 'time');
  assert.deepEqual(new Field('t', [new Date(1000)]).values, [1_000_000_000n]);
  assert.equal(new Field('v', [1, 2.5]).type, 'float64');
  assert.deepEqual(new Field('n', [1, 2], { type: 'int64' }).values, [1n, 2n]);
  assert.equal(new Field('b', [true]).type, 'bool');
  assert.deepEqual(new Field('j', [{ a: [1] }]).values, ['{"a":[1]}']);
  assert.equal(new Field('e', [new EnumIndex(2)]).type, 'enum');
  assert.throws(() => new Field('u', [256], { type: 'uint8' }), RangeError);
  assert.throws(() => new Field('empty', []), TypeError);
  const nullable = new Field('v', [1.5, null, 3]);
  assert.deepEqual([nullable.values, nullable.validity], [[1.5, 0, 3], [true, false, true]]);
});

test('validate finds what the host refuses', () => {
  const time = new Field('time', [new Time(0n), new Time(1n)]);
  const ok = new Frame('cpu', [time, new Field('value', [0.5, null])]);
  assert.equal(ok.validate(), ok);
  new Frame('empty').validate();
  const cases = [
    [[time, new Field('value', [0.5])],
      'frame "cpu": field "value" has 1 values but field "time" has 2: every field of a frame needs one '
      + 'value per row (push to every field for each row)'],
    [[time, new Field('v', [1, 2], { labels: { h: 'a' } }), new Field('v', [3, 4], { labels: { h: 'a' } })],
      'frame "cpu": fields 1 and 2 are both "v" with labels h=a: Grafana cannot tell the two series apart; '
      + 'give them different labels or names'],
    [Array.from({ length: 1001 }, (_, i) => new Field(`f${i}`, [1])),
      'frame "cpu": 1001 fields, more than the 1000 the host accepts: split it into several frames'],
  ];
  for (const [fields, message] of cases) {
    assert.throws(() => new Frame('cpu', fields).validate(), (e) => {
      assert.ok(e instanceof QuarryError);
      assert.deepEqual([e.kind, e.message], ['internal', message]);
      return true;
    });
  }
  const ragged = new Field('v', [1, null]);
  ragged.values.push(2);
  assert.throws(
    () => new Frame('cpu', [new Field('time', [new Time(0n), new Time(1n), new Time(2n)]), ragged]).validate(),
    /2 validity entries for 3 values/,
  );
});

test('meta and config JSON in the Rust SDK order', () => {
  const meta = new FrameMeta({ executedQueryString: '/q', typeVersion: [0, 1], type: 'timeseries-multi' });
  assert.equal(toJson(meta), '{"type":"timeseries-multi","typeVersion":[0,1],"executedQueryString":"/q"}');
  const config = new FieldConfig({ unit: 'ms', displayName: 'D', min: -10, max: 2.5, enumText: ['lo', 'hi'] });
  assert.equal(toJson(config), '{"displayName":"D","unit":"ms","min":-10,"max":2.5,"type":{"enum":{"text":["lo","hi"]}}}');
});

test('time and ranges', () => {
  assert.equal(Time.fromMillis(-1).asMillis(), -1);
  assert.equal(new Time(1_999_999n).asMillis(), 1);
  const r = TimeRange.fromMillis(1000, 61000);
  assert.deepEqual([r.fromMs, r.toMs, r.durationMs()], [1000, 61000, 60000]);
});

test('errors', () => {
  const e = QuarryError.timeout('no answer').context('fetching').context('query B');
  assert.equal(String(e), 'query B: fetching: no answer');
  assert.equal(QuarryError.from(new JsonError('x', 1, 2)).kind, 'bad-request');
  assert.equal(QuarryError.from(new TypeError('boom')).message, 'TypeError: boom');
  assert.equal(QuarryError.from(http.HttpError.host('host h is not allowed')).kind, 'forbidden');
  assert.throws(() => new DataQuery({ json: '{"a":' }).model(), (x) => String(x) === 'invalid query model: EOF while parsing a value at line 1 column 5');
  assert.deepEqual(new InstanceSettings({ rawJsonData: '' }).jsonData(), {});
  assert.ok(!JSON.stringify(new InstanceSettings({ secureJsonData: { k: 'hunter2' } })).includes('hunter2'));
});

test('URLs like the Rust SDK', () => {
  for (const [text, want] of [['http://a.local', 'http://a.local/'], ['https://A.Local:8443/x/y?z=1', 'https://a.local:8443/x/y?z=1'], ['HTTP://host?q', 'http://host/?q'], ['http://[::1]:9000/m', 'http://[::1]:9000/m'], ['http://h/a b?c=d e', 'http://h/a%20b?c=d%20e'], ['http://h/ü', 'http://h/%C3%BC']]) {
    assert.equal(String(http.Url.parse(text)), want);
  }
  for (const [text, reason] of [['a.local/x', 'it has no scheme (expected http:// or https://)'], ['ftp://a.local/', 'unsupported scheme "ftp" (only http and https)'], ['http://h:0/', 'invalid port "0"'], ['http://a b/', 'invalid character \' \' in host "a b"']]) {
    assert.throws(() => http.Url.parse(text), (e) => e.reason === reason);
  }
  const base = http.Url.parse('http://a/b/c/d;p?q');
  for (const [ref, want] of [['g', 'http://a/b/c/g'], ['../g', 'http://a/b/g'], ['?y', 'http://a/b/c/d;p?y'], ['//g', 'http://g/'], ['../../../g', 'http://a/g']]) {
    assert.equal(String(base.join(ref)), want);
  }
  assert.equal(http.encodeComponent('cpu load/1m&x=ü'), 'cpu%20load%2F1m%26x%3D%C3%BC');
});

test('HTTP outside the host, responses', () => {
  assert.throws(() => http.get('http://h/'), (e) => String(e.toQuarryError()) === 'HTTP is only available inside the Quarry host');
  assert.throws(() => http.get('h/'), (e) => e.kind === 'invalid-url');
  const r = new http.Response(200, [], new TextEncoder().encode('<html>'));
  assert.throws(() => r.json(), (e) => e.kind === 'downstream' && e.message === 'response is not valid JSON: expected value at line 1 column 1');
  assert.equal(new http.Response(503).reason, 'Service Unavailable');
});

test('redirects are followed like the Rust SDK', () => {
  const seen = [];
  http.setTransport((method, url, headers) => {
    seen.push([method, String(url), headers.map(([n]) => n)]);
    if (url.pathAndQuery === '/a') return new http.Response(302, [['location', 'http://other/b']]);
    return new http.Response(200);
  });
  try {
    const response = new http.Request('POST', 'http://h/a', { headers: [['Authorization', 'x'], ['Content-Type', 'y'], ['Accept', 'z']], body: '{}' }).send();
    assert.equal(response.status, 200);
    assert.deepEqual(seen, [['POST', 'http://h/a', ['Authorization', 'Content-Type', 'Accept']], ['GET', 'http://other/b', ['Accept']]]);
  } finally {
    http.setTransport(() => {
      throw http.HttpError.unavailable();
    });
  }
});

test('descriptor builders and Datasource defaults', () => {
  const d = new Descriptor('d').withSetting(Setting.integer('n').default(3).required())
    .withQueryField(QueryField.enumeration('s', [['a', 'A']]).main().multiline()).withDefaultQuery({ s: 'a' });
  assert.deepEqual([d.settings[0].defaultJson, d.queryFields[0].options[0].label, d.defaultQueryJson], ['3', 'A', '{"s":"a"}']);
  assert.throws(() => new Descriptor().withDefaultQuery(3), TypeError);
  const ds = new Datasource(new InstanceSettings());
  assert.deepEqual(ds.checkHealth(), Health.ok('OK'));
  assert.equal(ds.subscribeStream({ path: 'p' }), SubscribeResponse.NOT_FOUND);
  assert.equal(ds.publishStream('p', ''), PublishResponse.PERMISSION_DENIED);
  assert.throws(() => ds.callResource(new ResourceRequest({ method: 'GET', path: 'x' })), (e) => e.message === 'this module has no resources (asked for GET x)');
  assert.deepEqual(Datasource.secureSettings(), []);
});
