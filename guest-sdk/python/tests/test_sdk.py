"""The Python SDK natively (CPython, no component): serde-compatible JSON, frames, errors, URLs,
descriptors, the HTTP client's redirect logic. Expected texts are the Rust SDK's (serde_json's)."""

import dataclasses
import datetime
import unittest
from typing import Dict, List, Optional

import quarry_guest as q
from quarry_guest import http, serde
from quarry_guest._fmt import debug_str, rust_display, ryu
from quarry_guest._json import to_json
from quarry_guest.http import Url, encode_component
from quarry_guest.http.url import InvalidUrl


@dataclasses.dataclass
class Series:
    timestamps: List[int]
    values: List[Optional[float]]
    labels: Dict[str, str] = dataclasses.field(default_factory=dict)
    unit: Optional[str] = None


@dataclasses.dataclass
class Shape:
    values: List[float]


class SerdeTests(unittest.TestCase):
    def err(self, text, tp):
        with self.assertRaises(serde.JsonError) as cm:
            serde.from_json(text, tp)
        return str(cm.exception)

    def test_series_errors_match_serde_json(self):
        cases = [
            ('{"values":[1]}', "missing field `timestamps` at line 1 column 14"),
            ('{"timestamps":[1]}', "missing field `values` at line 1 column 18"),
            ('{"timestamps":["a"],"values":[1]}', 'invalid type: string "a", expected i64 at line 1 column 18'),
            ("<html>oops</html>", "expected value at line 1 column 1"),
            ("{not json", "key must be a string at line 1 column 2"),
            ('{"timestamps":[-0],"values":[]}', "invalid type: floating point `-0.0`, expected i64 at line 1 column 17"),
            ('{"timestamps":[1],"timestamps":[2],"values":[]}', "duplicate field `timestamps` at line 1 column 30"),
            ("[]", "invalid length 0, expected struct Series with 4 elements at line 1 column 2"),
        ]
        for text, message in cases:
            self.assertEqual(self.err(text, Series), message, text)

    def test_shape_errors(self):
        cases = [
            ("", "EOF while parsing a value at line 1 column 0"),
            ('{"values": [1,', "EOF while parsing a value at line 1 column 14"),
            ("{}", "missing field `values` at line 1 column 2"),
            ('{"values": "x"}', 'invalid type: string "x", expected a sequence at line 1 column 14'),
        ]
        for text, message in cases:
            self.assertEqual(self.err(text, Shape), message, text)

    def test_valid_input_and_defaults(self):
        s = serde.from_json('{"timestamps":[1000,2000],"values":[1.5,null],"labels":{"host":"a"},"unit":"percent","extra":1}', Series)
        self.assertEqual(s, Series([1000, 2000], [1.5, None], {"host": "a"}, "percent"))
        bare = serde.from_json(b'{"timestamps":[],"values":[]}', Series)
        self.assertEqual((bare.labels, bare.unit), ({}, None))

    def test_untagged_and_numbers(self):
        scalar = serde.untagged("Scalar", serde.Number, str)

        @dataclasses.dataclass
        class Model:
            metric_name: Optional[str] = None
            interval: Optional[scalar] = None

        self.assertEqual(str(serde.from_json('{"interval":1e3}', Model).interval), "1000.0")
        self.assertEqual(str(serde.from_json('{"interval":1000}', Model).interval), "1000")
        self.assertEqual(serde.from_json('{"metricName":"cpu"}', Model).metric_name, "cpu")
        self.assertEqual(self.err('{"interval":true}', Model),
                         "data did not match any variant of untagged enum Scalar at line 1 column 17")

    def test_any_values(self):
        self.assertEqual(serde.parse_json('{"a":[1,2.5,null,true,"x"]}'), {"a": [1, 2.5, None, True, "x"]})
        self.assertEqual(self.err("[" * 130 + "]" * 130, serde.Any), "recursion limit exceeded at line 1 column 128")
        self.assertEqual(self.err("1 2", serde.Any), "trailing characters at line 1 column 3")


class FormatTests(unittest.TestCase):
    def test_ryu_and_display(self):
        for value, want in [(1.5, "1.5"), (1e300, "1e+300"), (-0.0, "-0.0"), (1e15, "1000000000000000.0"),
                            (1e16, "1e+16"), (1.5e-7, "1.5e-7"), (1e-5, "0.00001")]:
            self.assertEqual(ryu(value), want)
        self.assertEqual(rust_display(0.0), "0")
        self.assertEqual(rust_display(-1.5), "-1.5")
        self.assertTrue(rust_display(1e300).startswith("1000000"))

    def test_debug_str(self):
        self.assertEqual(debug_str('a"b\n\x1bü'), '"a\\"b\\n\\u{1b}ü"')

    def test_to_json(self):
        self.assertEqual(to_json({"a": [1, 2.5, None, "é", float("nan")]}), '{"a":[1,2.5,null,"é",null]}')


class FrameTests(unittest.TestCase):
    def test_types_are_inferred_or_given(self):
        cases = [
            ([q.Time.from_secs(1)], "time", [1_000_000_000]),
            ([datetime.datetime(1970, 1, 1, 0, 0, 1, tzinfo=datetime.timezone.utc)], "time", [1_000_000_000]),
            ([1, 2], "int64", [1, 2]),
            ([1, 2.5], "float64", [1.0, 2.5]),
            ([True], "bool", [True]),
            (["s"], "string", ["s"]),
            ([{"a": [1]}], "json", ['{"a":[1]}']),
            ([q.EnumIndex(2)], "enum", [2]),
        ]
        for values, field_type, cells in cases:
            field = q.Field("f", values)
            self.assertEqual((field.type, field.values, field.validity), (field_type, cells, None))
        self.assertEqual(q.Field("t", [5], type="time").values, [5])
        self.assertEqual(q.Field("u", [255], type="uint8").values, [255])
        with self.assertRaises(ValueError):
            q.Field("u", [256], type="uint8")
        with self.assertRaises(TypeError):
            q.Field("empty", [])

    def test_validate_finds_what_the_host_refuses(self):
        t = q.Field("time", [q.Time(0), q.Time(1)])
        ok = q.Frame("cpu", [t, q.Field("value", [0.5, None])])
        self.assertIs(ok.validate(), ok)
        q.Frame("empty").validate()
        cases = [
            ([t, q.Field("value", [0.5])],
             "frame 'cpu': field 'value' has 1 values but field 'time' has 2: every field of a "
             "frame needs one value per row (append to every field for each row)"),
            ([t, q.Field("v", [1, 2], labels={"h": "a"}), q.Field("v", [3, 4], labels={"h": "a"})],
             "frame 'cpu': fields 1 and 2 are both 'v' with labels h=a: Grafana cannot tell the two "
             "series apart; give them different labels or names"),
            ([q.Field("f%d" % i, [1]) for i in range(1001)],
             "frame 'cpu': 1001 fields, more than the 1000 the host accepts: split it into several "
             "frames"),
        ]
        for fields, message in cases:
            with self.assertRaises(q.Error) as cm:
                q.Frame("cpu", fields).validate()
            self.assertEqual((cm.exception.kind, cm.exception.message), (q.ErrorKind.INTERNAL, message))
        ragged = q.Field("v", [1.0, None])
        ragged.values.append(2.0)
        with self.assertRaises(q.Error) as cm:
            q.Frame("cpu", [q.Field("time", [q.Time(0), q.Time(1), q.Time(2)]), ragged]).validate()
        self.assertIn("2 validity entries for 3 values", cm.exception.message)

    def test_nulls_carry_validity_and_placeholders(self):
        field = q.Field("v", [1.5, None, 3.0])
        self.assertEqual((field.values, field.validity), ([1.5, 0.0, 3.0], [True, False, True]))
        self.assertTrue(field.is_null(1))
        self.assertEqual(q.Field("s", [None, "x"]).values, ["", "x"])

    def test_meta_and_config_json(self):
        meta = q.FrameMeta(type=q.FrameType.TIMESERIES_MULTI, type_version=[0, 1], notices=[q.Notice.warning("w")],
                           executed_query_string="/q", extra={"path": "/x"})
        self.assertEqual(to_json(meta), '{"type":"timeseries-multi","typeVersion":[0,1],"notices":[{"severity":"warning","text":"w"}],"executedQueryString":"/q","path":"/x"}')
        config = q.FieldConfig(display_name="D", unit="ms", decimals=2, min=-10.0, max=2.5, enum_text=["lo", "hi"])
        self.assertEqual(to_json(config), '{"displayName":"D","unit":"ms","decimals":2,"min":-10,"max":2.5,"type":{"enum":{"text":["lo","hi"]}}}')
        self.assertEqual(to_json(q.FieldConfig()), "{}")

    def test_time(self):
        self.assertEqual(q.Time.from_millis(-1).as_millis(), -1)
        self.assertEqual(q.Time(1_999_999).as_millis(), 1)
        self.assertEqual(q.Time.from_millis(10**30), (1 << 63) - 1)
        r = q.TimeRange.from_millis(1_000, 61_000)
        self.assertEqual((r.from_ms, r.to_ms, r.duration()), (1_000, 61_000, datetime.timedelta(seconds=60)))


class ErrorTests(unittest.TestCase):
    def test_context_is_outermost_first(self):
        err = q.Error.timeout("no answer after 5s").context("fetching series").context("query B")
        self.assertEqual(err.context_lines, ["query B", "fetching series"])
        self.assertEqual(str(err), "query B: fetching series: no answer after 5s")

    def test_conversions(self):
        self.assertEqual(q.Error.from_exception(serde.JsonError("bad", 1, 2)).kind, q.ErrorKind.BAD_REQUEST)
        self.assertEqual(q.Error.from_exception(ValueError("x")).message, "ValueError: x")
        self.assertEqual(q.Error.from_exception(http.HttpError.host("host h is not allowed")).kind, q.ErrorKind.FORBIDDEN)
        with self.assertRaises(q.Error) as cm:
            q.DataQuery(json='{"a":').model()
        self.assertEqual(str(cm.exception), "invalid query model: EOF while parsing a value at line 1 column 5")

    def test_settings(self):
        settings = q.InstanceSettings(raw_json_data="", secure_json_data={"k": "hunter2"})
        self.assertEqual(settings.json_data(), {})
        self.assertEqual(settings.secure("k"), "hunter2")
        self.assertNotIn("hunter2", repr(settings))


class HttpTests(unittest.TestCase):
    def test_url_parse_matches_the_rust_sdk(self):
        ok = [("http://a.local", "http://a.local/"), ("https://A.Local:8443/x/y?z=1", "https://a.local:8443/x/y?z=1"),
              ("HTTP://host?q", "http://host/?q"), ("http://host/p#frag", "http://host/p"),
              ("http://[::1]:9000/m", "http://[::1]:9000/m"), ("http://h/a b?c=d e", "http://h/a%20b?c=d%20e"),
              ("http://h/ü", "http://h/%C3%BC")]
        for text, want in ok:
            self.assertEqual(str(Url.parse(text)), want)
        bad = [("a.local/x", "it has no scheme (expected http:// or https://)"),
               ("ftp://a.local/", 'unsupported scheme "ftp" (only http and https)'),
               ("http:a.local", "expected // after the scheme"), ("http://:80/", "it names no host"),
               ("http://h:0/", 'invalid port "0"'), ("http://a b/", "invalid character ' ' in host \"a b\""),
               ("http://[::1/", "an IPv6 address is missing its closing ]")]
        for text, reason in bad:
            with self.assertRaises(InvalidUrl) as cm:
                Url.parse(text)
            self.assertEqual(cm.exception.reason, reason, text)

    def test_join_follows_rfc_3986(self):
        base = Url.parse("http://a/b/c/d;p?q")
        for ref, want in [("g", "http://a/b/c/g"), ("../g", "http://a/b/g"), ("?y", "http://a/b/c/d;p?y"),
                          ("//g", "http://g/"), ("../../../g", "http://a/g"), ("g/../h", "http://a/b/c/h")]:
            self.assertEqual(str(base.join(ref)), want)

    def test_encode_component(self):
        self.assertEqual(encode_component("cpu load/1m&x=ü"), "cpu%20load%2F1m%26x%3D%C3%BC")

    def test_send_outside_the_host_is_unavailable(self):
        with self.assertRaises(http.HttpError) as cm:
            http.get("http://h/")
        self.assertEqual(str(cm.exception.to_error()), "HTTP is only available inside the Quarry host")
        with self.assertRaises(http.HttpError) as cm:
            http.get("h/")
        self.assertEqual(cm.exception.kind, "invalid-url")

    def test_response_json_errors(self):
        response = http.Response(200, [], b"<html>")
        with self.assertRaises(q.Error) as cm:
            response.json()
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         (q.ErrorKind.DOWNSTREAM, "response is not valid JSON: expected value at line 1 column 1"))
        with self.assertRaises(q.Error) as cm:
            http.Response(200, [], b"{}").json(Shape)
        self.assertEqual(cm.exception.message, "unexpected response JSON: missing field `values` at line 1 column 2")
        self.assertEqual(http.Response(503).reason, "Service Unavailable")

    def test_redirect_rules(self):
        from quarry_guest.http import _redirect
        loc = [("location", "/next")]
        self.assertEqual(_redirect(http.Response(302, loc), "POST", 5), ("/next", "GET"))
        self.assertEqual(_redirect(http.Response(307, loc), "POST", 5), ("/next", "POST"))
        self.assertEqual(_redirect(http.Response(303, loc), "HEAD", 5), ("/next", "HEAD"))
        self.assertIsNone(_redirect(http.Response(302, loc), "GET", 0))
        self.assertIsNone(_redirect(http.Response(304, loc), "GET", 5))


class DescriptorTests(unittest.TestCase):
    def test_builders(self):
        d = (q.Descriptor("d").with_setting(q.Setting.integer("n").default(3).required())
             .with_query_field(q.QueryField.enumeration("s", [("a", "A")]).main().multiline())
             .with_variable_query_type("vars").with_default_query({"s": "a"}))
        self.assertEqual((d.settings[0].default_json, d.settings[0].is_required), ("3", True))
        self.assertEqual(d.query_fields[0].options[0], q.EnumOption("a", "A"))
        self.assertEqual(d.default_query_json, '{"s":"a"}')
        with self.assertRaises(TypeError):
            q.Descriptor().with_default_query(3)

    def test_defaults_match_the_rust_trait(self):
        ds = q.Datasource(q.InstanceSettings())
        self.assertEqual(ds.check_health(), q.Health.ok("OK"))
        self.assertEqual(ds.subscribe_stream(q.SubscribeRequest("p")), q.SubscribeResponse.NOT_FOUND)
        self.assertEqual(ds.publish_stream("p", ""), q.PublishResponse.PERMISSION_DENIED)
        with self.assertRaises(q.Error) as cm:
            ds.call_resource(q.ResourceRequest("GET", "x"))
        self.assertEqual(str(cm.exception), "this module has no resources (asked for GET x)")
        self.assertEqual(q.Datasource.secure_settings(), [])
        self.assertEqual(q.Datasource.describe().settings, [])


if __name__ == "__main__":
    unittest.main()
