"""http-api-py natively (no host): the same cases as modules/http-api's Rust tests."""

import datetime
import sys
import os
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "guest-sdk", "python"))

import quarry_guest as q  # noqa: E402
from quarry_guest import http  # noqa: E402

import http_api as m  # noqa: E402


def api(json_data='{"endpoint":"http://api.local:8080/"}'):
    return m.HttpApi(q.InstanceSettings(raw_json_data=json_data))


def response(status, body):
    return http.Response(status, [], body.encode(), "http://api.local/x")


class HttpApiTests(unittest.TestCase):
    def test_declares_only_the_api_key_as_a_bearer_token(self):
        self.assertEqual(m.HttpApi.secure_settings(), [q.SecretGrant.bearer_token("apiKey")])

    def test_settings(self):
        self.assertEqual(api().config, m.Config("http://api.local:8080", 10.0))
        self.assertEqual(api('{"endpoint":" http://API.local:8080/x ","timeout":2.5}').config, m.Config("http://api.local:8080/x", 2.5))
        cases = [
            ("{}", "jsonData.endpoint is required"),
            ('{"endpoint":"api.local"}', 'jsonData.endpoint "api.local" is not a valid URL: it has no scheme'),
            ('{"endpoint":"ftp://api.local"}', 'jsonData.endpoint "ftp://api.local" is not a valid URL: unsupported scheme "ftp"'),
            ('{"endpoint":"http://api.local/?k=v"}', 'jsonData.endpoint "http://api.local/?k=v" must not have a query string'),
            ('{"endpoint":"http://a","timeout":0}', "jsonData.timeout must be a positive number of seconds, not 0"),
            ('{"endpoint":"http://a","timeout":-1.5}', "jsonData.timeout must be a positive number of seconds, not -1.5"),
            ('{"endpoint":"http://a","timeout":1e300}', "jsonData.timeout must be a positive number of seconds, not 1000000"),
        ]
        for json_data, start in cases:
            with self.assertRaises(q.Error) as cm:
                api(json_data)
            self.assertEqual(cm.exception.kind, q.ErrorKind.BAD_REQUEST)
            self.assertTrue(cm.exception.message.startswith(start), (json_data, cm.exception.message))
        with self.assertRaises(q.Error) as cm:
            api('{"endpoint":5}')
        self.assertEqual(cm.exception.context_lines, ["invalid datasource jsonData"])

    def test_metric_names(self):
        metric = lambda json: q.from_json(json, m.Model).metric()  # noqa: E731
        self.assertEqual(metric('{"metricName":"cpu"}'), "cpu")
        self.assertEqual(metric('{"queryText":" mem "}'), "mem")
        self.assertEqual(metric('{"metricName":"","queryText":"mem"}'), "mem")
        with self.assertRaises(q.Error) as cm:
            metric('{"metricName":"  ","queryText":""}')
        self.assertEqual(cm.exception.message, "the query names no metric: set metricName (or queryText)")

    def test_aggregation(self):
        aggregation = lambda json: q.from_json(json, m.Model).checked_aggregation()  # noqa: E731
        self.assertEqual(aggregation('{"aggregation":" max "}'), "max")
        self.assertIsNone(aggregation('{"aggregation":" "}'))
        self.assertIsNone(aggregation("{}"))
        with self.assertRaises(q.Error) as cm:
            api().query(q.DataQuery(ref_id="A", json='{"metricName":"cpu","aggregation":"median"}'))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         (q.ErrorKind.BAD_REQUEST, 'aggregation must be one of avg, min, max, sum, not "median"'))
        # Checked after the metric.
        with self.assertRaises(q.Error) as cm:
            api().query(q.DataQuery(ref_id="A", json='{"aggregation":"median"}'))
        self.assertEqual(cm.exception.message, "the query names no metric: set metricName (or queryText)")
        with self.assertRaises(q.Error) as cm:
            aggregation('{"aggregation":"\\u0085Avg\\"\\u001f"}')
        self.assertEqual(cm.exception.message, 'aggregation must be one of avg, min, max, sum, not "Avg\\"\\u{1f}"')

    def test_rust_whitespace(self):
        self.assertEqual(m.non_blank("\x85 cpu\u3000"), "cpu")
        self.assertEqual(m.non_blank("\x1fcpu\ufeff"), "\x1fcpu\ufeff")
        self.assertEqual(m.excerpt("a\x85b\x1fc  d"), "a b\x1fc d")

    def test_descriptor(self):
        d = m.HttpApi.describe()
        self.assertEqual(d.description, "Metrics from an in-house HTTP API (/query, /latest, /health)")
        self.assertEqual([s.key for s in d.settings], ["endpoint", "timeout", "apiKey"])
        endpoint, timeout, api_key = d.settings
        self.assertEqual((endpoint.kind, endpoint.is_required, endpoint.placeholder_text),
                         (q.Kind.STRING, True, "https://metrics.example.com/api"))
        self.assertEqual((timeout.kind, timeout.default_json), (q.Kind.NUMBER, "10"))
        self.assertTrue(api_key.is_secret and not api_key.is_required)
        self.assertEqual(m.HttpApi.secure_settings()[0].key, api_key.key)
        self.assertEqual([f.key for f in d.query_fields], ["metricName", "queryText", "aggregation", "interval"])
        metric, text, aggregation, interval = d.query_fields
        self.assertTrue(metric.is_main and metric.is_required and not metric.is_multiline)
        self.assertTrue(text.is_multiline)
        self.assertEqual((aggregation.kind, [o.value for o in aggregation.options], aggregation.is_required),
                         (q.Kind.ENUM, ["avg", "min", "max", "sum"], False))
        self.assertEqual((interval.kind, interval.placeholder_text), (q.Kind.STRING, "1m"))
        self.assertEqual(d.default_query_json, '{"metricName":""}')
        self.assertEqual([path for path, _ in d.streams], ["latest/{metric}"])

    def test_paths(self):
        self.assertEqual(m.query_path("cpu", 1, 2), "/query?metric=cpu&from=1&to=2")
        self.assertEqual(m.query_path("cpu load/1m", -5, 1_700_000_000_000, "avg", "1m"),
                         "/query?metric=cpu%20load%2F1m&from=-5&to=1700000000000&aggregation=avg&interval=1m")
        self.assertEqual(m.latest_path("a&b=c"), "/latest?metric=a%26b%3Dc")

    def test_statuses(self):
        cases = [
            (200, "", None),
            (401, "nope", (q.ErrorKind.UNAUTHORIZED, "API refused the credentials (401)")),
            (404, "no such metric\n", (q.ErrorKind.NOT_FOUND, "API answered 404 Not Found for /p: no such metric")),
            (503, "  upstream\n\t down ", (q.ErrorKind.DOWNSTREAM, "API answered 503 Service Unavailable for /p: upstream down")),
            (500, "", (q.ErrorKind.DOWNSTREAM, "API answered 500 Internal Server Error for /p")),
            (599, "x", (q.ErrorKind.DOWNSTREAM, "API answered 599 for /p: x")),
        ]
        for status, body, want in cases:
            try:
                m.check_status("/p", response(status, body))
                got = None
            except q.Error as err:
                got = (err.kind, err.message)
            self.assertEqual(got, want, status)
        with self.assertRaises(q.Error) as cm:
            m.check_status("/p", response(502, "é" * 500))
        self.assertEqual(cm.exception.message, "API answered 502 Bad Gateway for /p: " + "é" * 200 + "…")

    def test_bad_series(self):
        cases = [
            ('{"timestamps":[1,2,3],"values":[1,2]}', "response from /query has 3 timestamps but 2 values"),
            ('{"timestamps":[1]}', "response from /query: unexpected response JSON: missing field `values` at line 1 column 18"),
            ("<html>oops</html>", "response from /query: response is not valid JSON: expected value at line 1 column 1"),
        ]
        for body, message in cases:
            with self.assertRaises(q.Error) as cm:
                m.parse_series(response(200, body))
            self.assertEqual((cm.exception.kind, cm.exception.message), (q.ErrorKind.DOWNSTREAM, message))

    def test_frames(self):
        series = m.parse_series(response(200, '{"timestamps":[1000,2000],"values":[1.5,2.5],"labels":{"host":"a"},"unit":"percent"}'))
        frame = m.series_frame("cpu", "/query?metric=cpu&from=1&to=2", series)
        self.assertEqual(frame.name, "cpu")
        self.assertEqual(frame.meta.executed_query_string, "/query?metric=cpu&from=1&to=2")
        self.assertEqual(frame.field("time").values, [1_000_000_000, 2_000_000_000])
        value = frame.field("value")
        self.assertEqual((value.values, value.validity, value.labels), ([1.5, 2.5], None, {"host": "a"}))
        self.assertEqual((value.config.display_name, value.config.unit), ("cpu", "percent"))
        gappy = m.series_frame("m", "/q", m.Series([1, 2], [None, 1.0], {}, ""))
        self.assertEqual((gappy.field("value").validity, gappy.field("value").config.unit), ([False, True], None))
        self.assertEqual(m.stream_schema("cpu").row_count(), 0)

    def test_stream_paths(self):
        cases = [("latest/cpu", ("cpu", 1000)), ("latest/cpu/250", ("cpu", 250)), ("latest/disk/io", ("disk/io", 1000)),
                 ("latest/", None), ("latest", None),
                 ("metric/cpu", ("cpu", 1000)), ("metric/cpu/250", ("cpu", 250)), ("metric/cpu/99", ("cpu", 100)),
                 ("metric/disk/io", ("disk/io", 1000)), ("metric/disk/io/5000", ("disk/io", 5000)),
                 ("metric/cpu/99999999999999999999999", None), ("metric/cpu/", None), ("metric//100", None),
                 ("metric/", None), ("metric/a//b", None), ("metrics/cpu", None), ("", None)]
        for path, want in cases:
            self.assertEqual(m.parse_stream_path(path), want, path)

    def test_other_calls(self):
        ds = api()
        answer = ds.subscribe_stream(q.SubscribeRequest("latest/cpu/250"))
        self.assertEqual(answer.interval, datetime.timedelta(milliseconds=250))
        answer = ds.subscribe_stream(q.SubscribeRequest("metric/cpu"))
        self.assertEqual(answer.interval, datetime.timedelta(milliseconds=1000))
        self.assertEqual(ds.subscribe_stream(q.SubscribeRequest("random_walk")), q.SubscribeResponse.NOT_FOUND)
        self.assertEqual(ds.publish_stream("metric/cpu", "{}"), q.PublishResponse.PERMISSION_DENIED)
        self.assertEqual(ds.call_resource(q.ResourceRequest("GET", "metrics")).body, b'{"error":"no resource metrics"}')
        health = ds.check_health()
        self.assertEqual((health.status, health.message), (q.HealthStatus.ERROR, "HTTP is only available inside the Quarry host"))
        with self.assertRaises(q.Error) as cm:
            ds.stream_tick("nope", "")
        self.assertEqual(cm.exception.kind, q.ErrorKind.NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
