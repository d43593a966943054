"""Typed JSON reading that fails exactly like the Rust SDK (serde_json), message and position alike.

``from_json(text, Model)`` parses JSON text into ``Model``: a dataclass, ``int``, ``float``, ``str``,
``bool``, ``Optional[T]``, ``list[T]``, ``dict[str, T]``, :class:`Number`, :func:`untagged` unions,
:data:`Any` (any JSON value) or one of the sized integers (:class:`U32`, ...). A mismatch raises
:class:`JsonError` with serde_json's words, e.g. ``missing field `values` at line 1 column 18`` or
``invalid type: string "a", expected i64 at line 1 column 18``.

Dataclasses are read like ``#[serde(rename_all = "camelCase")]`` structs: field ``metric_name`` is
the JSON key ``metricName`` (``field(metadata={"json": "name"})`` names it yourself; a class
attribute ``__json_rename__ = False`` keeps Python names). A field with a default may be missing;
an ``Optional`` field without one is ``None`` when missing; other missing fields are errors.
Unknown keys are ignored, a repeated key is an error.

Valid input takes a fast path (the ``json`` module); only a failure is parsed again, slowly, to
name the problem where serde_json would.
"""

import dataclasses
import json as _json
import math
import sys
import typing

from ._fmt import debug_str, ryu

__all__ = [
    "JsonError", "from_json", "parse_json", "Number", "untagged", "Any",
    "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "F32", "camel_case",
]

Any = typing.Any

_RECURSION_LIMIT = 128


class JsonError(ValueError):
    """A JSON syntax or data error; ``str()`` is serde_json's text with its position."""

    def __init__(self, message, line=0, column=0, category="data"):
        self.message = message
        self.line = line
        self.column = column
        #: ``syntax``, ``eof`` or ``data`` (serde_json's ``classify``).
        self.category = category
        super().__init__(str(self))

    def __str__(self):
        if self.line == 0:
            return self.message
        return "%s at line %d column %d" % (self.message, self.line, self.column)

    @property
    def is_syntax(self):
        return self.category in ("syntax", "eof")


class Number:
    """A JSON number kept as written by serde_json (``serde_json::Number``)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self):
        if isinstance(self.value, float):
            return ryu(self.value)
        return str(self.value)

    def __repr__(self):
        return "Number(%s)" % self

    def __eq__(self, other):
        return isinstance(other, Number) and self.value == other.value and type(self.value) is type(other.value)

    def __hash__(self):
        return hash(self.value)


class _Int(int):
    bits = 64
    signed = True


def _int_type(name, bits, signed):
    return type(name, (_Int,), {"bits": bits, "signed": signed, "__doc__": "A JSON integer read as Rust's %s." % name.lower()})


I8 = _int_type("I8", 8, True)
I16 = _int_type("I16", 16, True)
I32 = _int_type("I32", 32, True)
I64 = _int_type("I64", 64, True)
U8 = _int_type("U8", 8, False)
U16 = _int_type("U16", 16, False)
U32 = _int_type("U32", 32, False)
U64 = _int_type("U64", 64, False)


class F32(float):
    """A JSON number read as Rust's f32."""


class _Untagged:
    def __init__(self, name, options):
        self.name = name
        self.options = options


def untagged(name, *options):
    """A value of the first type in ``options`` that fits, like ``#[serde(untagged)] enum name``."""
    return _Untagged(name, options)


def camel_case(name):
    """``metric_name`` → ``metricName``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ---------------------------------------------------------------------------------------------
# Shapes: what a type accepts, both on a parsed value (fast) and while parsing (exact errors).

class _Data(Exception):
    """A data error without a position yet (serde's custom errors)."""

    def __init__(self, message):
        self.message = message


def _unexpected(value):
    """serde_json's words for a value it did not expect."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean `%s`" % ("true" if value else "false")
    if isinstance(value, int):
        return "integer `%d`" % value
    if isinstance(value, float):
        return "floating point `%s`" % ryu(value)
    if isinstance(value, str):
        return "string " + debug_str(value)
    if isinstance(value, list):
        return "sequence"
    return "map"


def _invalid_type(value, expected):
    return _Data("invalid type: %s, expected %s" % (_unexpected(value), expected))


class _Shape:
    expecting = "a value"

    def check(self, value):
        """The converted value, or ``_Data`` (the fast path only needs to know it failed)."""
        raise NotImplementedError

    def read(self, p):
        """Reads the next value from parser ``p``."""
        raise NotImplementedError

    def missing(self):
        raise _Data("missing")


class _AnyShape(_Shape):
    def check(self, value):
        return value

    def read(self, p):
        return p.read_any()


class _BoolShape(_Shape):
    expecting = "a boolean"

    def check(self, value):
        if isinstance(value, bool):
            return value
        raise _invalid_type(value, self.expecting)

    def read(self, p):
        return p.read_scalar(self, (bool,))


class _StrShape(_Shape):
    expecting = "a string"

    def check(self, value):
        if isinstance(value, str):
            return value
        raise _invalid_type(value, self.expecting)

    def read(self, p):
        return p.read_scalar(self, (str,))


class _IntShape(_Shape):
    def __init__(self, bits, signed):
        self.expecting = "%s%d" % ("i" if signed else "u", bits)
        if signed:
            self.lo, self.hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        else:
            self.lo, self.hi = 0, (1 << bits) - 1

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid_type(value, self.expecting)
        if not self.lo <= value <= self.hi:
            raise _Data("invalid value: integer `%d`, expected %s" % (value, self.expecting))
        return value

    def read(self, p):
        return p.read_scalar(self, (int,))


class _FloatShape(_Shape):
    def __init__(self, name):
        self.expecting = name

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _invalid_type(value, self.expecting)
        return float(value)

    def read(self, p):
        return p.read_scalar(self, (int, float))


class _NumberShape(_Shape):
    expecting = "a JSON number"

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _invalid_type(value, self.expecting)
        return Number(value)

    def read(self, p):
        return Number(p.read_scalar(self, (int, float)))


class _OptionShape(_Shape):
    def __init__(self, inner):
        self.inner = inner
        self.expecting = inner.expecting

    def check(self, value):
        return None if value is None else self.inner.check(value)

    def read(self, p):
        if p.peek_ws() == b"n"[0]:
            p.pos += 1
            p.ident(b"ull")
            return None
        return self.inner.read(p)

    def missing(self):
        return None


class _ListShape(_Shape):
    expecting = "a sequence"

    def __init__(self, item):
        self.item = item

    def check(self, value):
        if not isinstance(value, list):
            raise _invalid_type(value, self.expecting)
        return [self.item.check(v) for v in value]

    def read(self, p):
        return p.read_seq(self, lambda seq: seq.rest(self.item))


class _MapShape(_Shape):
    expecting = "a map"

    def __init__(self, value):
        self.value = value

    def check(self, value):
        if not isinstance(value, dict):
            raise _invalid_type(value, self.expecting)
        return {k: self.value.check(v) for k, v in value.items()}

    def read(self, p):
        def visit(entries):
            out = {}
            for key in entries.keys():
                out[key] = entries.value(self.value)
            return out
        return p.read_map(self, visit)


class _StructShape(_Shape):
    def __init__(self, cls):
        self.cls = cls
        self.expecting = "struct " + cls.__name__
        self.fields = None  # filled lazily: recursive types

    def _fields(self):
        if self.fields is None:
            hints = typing.get_type_hints(self.cls)
            rename = getattr(self.cls, "__json_rename__", True)
            fields = []
            for f in dataclasses.fields(self.cls):
                if not f.init:
                    continue
                key = f.metadata.get("json") or (camel_case(f.name) if rename else f.name)
                has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                fields.append((key, f.name, shape_of(hints[f.name]), has_default))
            self.fields = fields
        return self.fields

    def _build(self, found):
        kwargs = {}
        for key, name, shape, has_default in self._fields():
            if key in found:
                kwargs[name] = found[key]
            elif not has_default:
                try:
                    kwargs[name] = shape.missing()
                except _Data:
                    raise _Data("missing field `%s`" % key) from None
        return self.cls(**kwargs)

    def check(self, value):
        if isinstance(value, list):
            raise _Data("struct from a sequence")  # exact handling on the slow path
        if not isinstance(value, dict):
            raise _invalid_type(value, self.expecting)
        found = {}
        for key, _name, shape, _ in self._fields():
            if key in value:
                found[key] = shape.check(value[key])
        return self._build(found)

    def read(self, p):
        fields = {key: shape for key, _n, shape, _d in self._fields()}

        def visit_map(entries):
            found = {}
            for key in entries.keys():
                shape = fields.get(key)
                if shape is None:
                    entries.ignore_value()
                    continue
                if key in found:
                    raise _Data("duplicate field `%s`" % key)
                found[key] = entries.value(shape)
            return self._build(found)

        def visit_seq(seq):
            found = {}
            all_fields = self._fields()
            for i, (key, _n, shape, has_default) in enumerate(all_fields):
                ok, value = seq.next(shape)
                if not ok:
                    if has_default:
                        continue
                    raise _Data("invalid length %d, expected %s with %d elements" % (i, self.expecting, len(all_fields)))
                found[key] = value
            return self._build(found)

        return p.read_struct(self, visit_map, visit_seq)


class _UntaggedShape(_Shape):
    def __init__(self, untagged_type):
        self.name = untagged_type.name
        self.options = [shape_of(t) for t in untagged_type.options]
        self.expecting = "untagged enum " + self.name

    def check(self, value):
        for option in self.options:
            try:
                return option.check(value)
            except _Data:
                continue
        raise _Data("data did not match any variant of untagged enum " + self.name)

    def read(self, p):
        return self.check(p.read_any())


_SHAPES = {}


def shape_of(tp):
    """The shape reading type ``tp``."""
    key = id(tp)
    cached = _SHAPES.get(key)
    if cached is not None and cached[0] is tp:
        return cached[1]
    shape = _make_shape(tp)
    _SHAPES[key] = (tp, shape)
    return shape


def _make_shape(tp):
    if tp is typing.Any or tp is object:
        return _AnyShape()
    if isinstance(tp, _Untagged):
        return _UntaggedShape(tp)
    if tp is bool:
        return _BoolShape()
    if tp is str:
        return _StrShape()
    if isinstance(tp, type) and issubclass(tp, _Int):
        return _IntShape(tp.bits, tp.signed)
    if tp is int:
        return _IntShape(64, True)
    if tp is F32:
        return _FloatShape("f32")
    if tp is float:
        return _FloatShape("f64")
    if tp is Number:
        return _NumberShape()
    if dataclasses.is_dataclass(tp):
        return _StructShape(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return _OptionShape(shape_of(rest[0]))
        raise TypeError("unions other than Optional[T] need quarry_guest.serde.untagged: %r" % (tp,))
    if origin in (list, typing.List):
        return _ListShape(shape_of(args[0] if args else typing.Any))
    if origin in (dict, typing.Dict):
        if args and args[0] is not str:
            raise TypeError("JSON object keys are strings: %r" % (tp,))
        return _MapShape(shape_of(args[1] if args else typing.Any))
    if tp is list:
        return _ListShape(_AnyShape())
    if tp is dict:
        return _MapShape(_AnyShape())
    raise TypeError("quarry_guest.serde cannot read %r" % (tp,))


# ---------------------------------------------------------------------------------------------
# The slow, exact parser: serde_json's deserializer, step by step.

_WS = b" \t\n\r"
_DIGITS = b"0123456789"
_U64_MAX = (1 << 64) - 1
_I32_MAX = (1 << 31) - 1
_POW10 = [float("1e%d" % i) for i in range(309)]


class _Syntax(Exception):
    def __init__(self, error):
        self.error = error


_CODES = {
    "EofWhileParsingList": ("EOF while parsing a list", "eof"),
    "EofWhileParsingObject": ("EOF while parsing an object", "eof"),
    "EofWhileParsingString": ("EOF while parsing a string", "eof"),
    "EofWhileParsingValue": ("EOF while parsing a value", "eof"),
    "ExpectedColon": ("expected `:`", "syntax"),
    "ExpectedListCommaOrEnd": ("expected `,` or `]`", "syntax"),
    "ExpectedObjectCommaOrEnd": ("expected `,` or `}`", "syntax"),
    "ExpectedSomeIdent": ("expected ident", "syntax"),
    "ExpectedSomeValue": ("expected value", "syntax"),
    "InvalidEscape": ("invalid escape", "syntax"),
    "InvalidNumber": ("invalid number", "syntax"),
    "NumberOutOfRange": ("number out of range", "syntax"),
    "InvalidUnicodeCodePoint": ("invalid unicode code point", "syntax"),
    "ControlCharacterWhileParsingString": ("control character (\\u0000-\\u001F) found while parsing a string", "syntax"),
    "KeyMustBeAString": ("key must be a string", "syntax"),
    "LoneLeadingSurrogateInHexEscape": ("lone leading surrogate in hex escape", "syntax"),
    "TrailingComma": ("trailing comma", "syntax"),
    "TrailingCharacters": ("trailing characters", "syntax"),
    "UnexpectedEndOfHexEscape": ("unexpected end of hex escape", "syntax"),
    "RecursionLimitExceeded": ("recursion limit exceeded", "syntax"),
}


class _Parser:
    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.depth = _RECURSION_LIMIT

    # -- positions and errors

    def _position(self, index):
        data = self.data
        line_start = data.rfind(b"\n", 0, index) + 1
        return data.count(b"\n", 0, index) + 1, index - line_start

    def error(self, code):
        """An error at the last byte read."""
        message, category = _CODES[code]
        line, column = self._position(self.pos)
        return _Syntax(JsonError(message, line, column, category))

    def peek_error(self, code):
        """An error at the next byte."""
        message, category = _CODES[code]
        line, column = self._position(min(self.pos + 1, len(self.data)))
        return _Syntax(JsonError(message, line, column, category))

    def fix(self, data_error):
        line, column = self._position(self.pos)
        return _Syntax(JsonError(data_error.message, line, column, "data"))

    # -- bytes

    def peek(self):
        return self.data[self.pos] if self.pos < len(self.data) else None

    def peek_ws(self):
        data, pos, n = self.data, self.pos, len(self.data)
        while pos < n and data[pos] in _WS:
            pos += 1
        self.pos = pos
        return data[pos] if pos < n else None

    def next_byte(self):
        if self.pos < len(self.data):
            b = self.data[self.pos]
            self.pos += 1
            return b
        return None

    def ident(self, rest):
        for expected in rest:
            b = self.next_byte()
            if b is None:
                raise self.error("EofWhileParsingValue")
            if b != expected:
                raise self.error("ExpectedSomeIdent")

    def end(self):
        if self.peek_ws() is not None:
            raise self.peek_error("TrailingCharacters")

    # -- numbers

    def parse_integer(self, positive):
        b = self.next_byte()
        if b is None:
            raise self.error("EofWhileParsingValue")
        if b == 0x30:
            if self.peek() is not None and self.peek() in _DIGITS:
                raise self.peek_error("InvalidNumber")
            return self.parse_number(positive, 0)
        if 0x31 <= b <= 0x39:
            significand = b - 0x30
            while True:
                c = self.peek()
                if c is not None and c in _DIGITS:
                    digit = c - 0x30
                    if significand * 10 + digit > _U64_MAX:
                        return self.parse_long_integer(positive, significand)
                    self.pos += 1
                    significand = significand * 10 + digit
                else:
                    return self.parse_number(positive, significand)
        raise self.error("InvalidNumber")

    def parse_number(self, positive, significand):
        c = self.peek()
        if c == 0x2E:
            return self.parse_decimal(positive, significand, 0)
        if c in (0x65, 0x45):
            return self.parse_exponent(positive, significand, 0)
        if positive:
            return significand
        if significand == 0 or significand > (1 << 63):
            return -float(significand)
        return -significand

    def parse_long_integer(self, positive, significand):
        exponent = 0
        while True:
            c = self.peek()
            if c is not None and c in _DIGITS:
                self.pos += 1
                exponent += 1
            elif c == 0x2E:
                return self.parse_decimal(positive, significand, exponent)
            elif c in (0x65, 0x45):
                return self.parse_exponent(positive, significand, exponent)
            else:
                return self.f64_from_parts(positive, significand, exponent)

    def parse_decimal(self, positive, significand, exponent_before):
        self.pos += 1
        after = 0
        while True:
            c = self.peek()
            if c is None or c not in _DIGITS:
                break
            digit = c - 0x30
            if significand * 10 + digit > _U64_MAX:
                return self.parse_decimal_overflow(positive, significand, exponent_before + after)
            self.pos += 1
            significand = significand * 10 + digit
            after -= 1
        if after == 0:
            if self.peek() is not None:
                raise self.peek_error("InvalidNumber")
            raise self.peek_error("EofWhileParsingValue")
        exponent = exponent_before + after
        if self.peek() in (0x65, 0x45):
            return self.parse_exponent(positive, significand, exponent)
        return self.f64_from_parts(positive, significand, exponent)

    def parse_decimal_overflow(self, positive, significand, exponent):
        while self.peek() is not None and self.peek() in _DIGITS:
            self.pos += 1
        if self.peek() in (0x65, 0x45):
            return self.parse_exponent(positive, significand, exponent)
        return self.f64_from_parts(positive, significand, exponent)

    def parse_exponent(self, positive, significand, starting):
        self.pos += 1
        positive_exp = True
        c = self.peek()
        if c == 0x2B:
            self.pos += 1
        elif c == 0x2D:
            self.pos += 1
            positive_exp = False
        b = self.next_byte()
        if b is None:
            raise self.error("EofWhileParsingValue")
        if b not in _DIGITS:
            raise self.error("InvalidNumber")
        exp = b - 0x30
        while True:
            c = self.peek()
            if c is None or c not in _DIGITS:
                break
            self.pos += 1
            digit = c - 0x30
            if exp * 10 + digit > _I32_MAX:
                if significand != 0 and positive_exp:
                    raise self.error("NumberOutOfRange")
                while self.peek() is not None and self.peek() in _DIGITS:
                    self.pos += 1
                return 0.0 if positive else -0.0
            exp = exp * 10 + digit
        final = starting + exp if positive_exp else starting - exp
        final = max(-(1 << 31), min(_I32_MAX, final))
        return self.f64_from_parts(positive, significand, final)

    def f64_from_parts(self, positive, significand, exponent):
        f = float(significand)
        while True:
            if abs(exponent) < len(_POW10):
                pow10 = _POW10[abs(exponent)]
                if exponent >= 0:
                    f *= pow10
                    if math.isinf(f):
                        raise self.error("NumberOutOfRange")
                else:
                    f /= pow10
                break
            if f == 0.0:
                break
            if exponent >= 0:
                raise self.error("NumberOutOfRange")
            f /= 1e308
            exponent += 308
        return f if positive else -f

    # -- strings

    def parse_str(self, validate=True):
        """Reads a string after its opening quote; returns it as ``str`` when ``validate``."""
        data, n = self.data, len(self.data)
        out = bytearray()
        start = self.pos
        while True:
            pos = self.pos
            while pos < n and data[pos] != 0x22 and data[pos] != 0x5C and data[pos] >= 0x20:
                pos += 1
            self.pos = pos
            if pos == n:
                raise self.error("EofWhileParsingString")
            b = data[pos]
            if validate:
                self._check_utf8(start, pos)
            if b == 0x22:
                out += data[start:pos]
                self.pos = pos + 1
                if not validate:
                    return None
                return out.decode("utf-8")
            if b == 0x5C:
                out += data[start:pos]
                self.pos = pos + 1
                self.parse_escape(out, validate)
                start = self.pos
                continue
            if validate:
                self.pos = pos + 1
            raise self.error("ControlCharacterWhileParsingString")

    def _check_utf8(self, start, end):
        try:
            self.data[start:end].decode("utf-8")
        except UnicodeDecodeError as err:
            self.pos = start + err.start + 1
            raise self.error("InvalidUnicodeCodePoint") from None

    def decode_hex(self):
        data = self.data
        if self.pos + 4 > len(data):
            self.pos = len(data)
            raise self.error("EofWhileParsingString")
        chunk = data[self.pos:self.pos + 4]
        self.pos += 4
        try:
            if not all(c in b"0123456789abcdefABCDEF" for c in chunk):
                raise ValueError
            return int(chunk, 16)
        except ValueError:
            raise self.error("InvalidEscape") from None

    def parse_escape(self, out, validate):
        b = self.next_byte()
        if b is None:
            raise self.error("EofWhileParsingString")
        simple = {0x22: b'"', 0x5C: b"\\", 0x2F: b"/", 0x62: b"\b", 0x66: b"\f", 0x6E: b"\n", 0x72: b"\r", 0x74: b"\t"}
        if b in simple:
            out += simple[b]
            return
        if b != 0x75:
            raise self.error("InvalidEscape")
        n = self.decode_hex()
        if not validate:
            return
        if 0xDC00 <= n <= 0xDFFF:
            raise self.error("LoneLeadingSurrogateInHexEscape")
        if n < 0xD800 or n > 0xDBFF:
            out += chr(n).encode("utf-8")
            return
        if self.peek() is None:
            raise self.error("EofWhileParsingString")
        if self.peek() != 0x5C:
            self.pos += 1
            raise self.error("UnexpectedEndOfHexEscape")
        self.pos += 1
        if self.peek() is None:
            raise self.error("EofWhileParsingString")
        if self.peek() != 0x75:
            self.pos += 1
            raise self.error("UnexpectedEndOfHexEscape")
        self.pos += 1
        n2 = self.decode_hex()
        if n2 < 0xDC00 or n2 > 0xDFFF:
            raise self.error("LoneLeadingSurrogateInHexEscape")
        out += chr((((n - 0xD800) << 10) | (n2 - 0xDC00)) + 0x10000).encode("utf-8")

    # -- typed reads (serde_json's deserialize_*)

    def peek_invalid_type(self, expecting):
        b = self.peek_ws()
        if b == 0x6E:
            self.pos += 1
            self.ident(b"ull")
            err = _invalid_type(None, expecting)
        elif b == 0x74:
            self.pos += 1
            self.ident(b"rue")
            err = _invalid_type(True, expecting)
        elif b == 0x66:
            self.pos += 1
            self.ident(b"alse")
            err = _invalid_type(False, expecting)
        elif b == 0x2D:
            self.pos += 1
            err = _invalid_type(self.parse_integer(False), expecting)
        elif b is not None and b in _DIGITS:
            err = _invalid_type(self.parse_integer(True), expecting)
        elif b == 0x22:
            self.pos += 1
            err = _invalid_type(self.parse_str(), expecting)
        elif b == 0x5B:
            err = _invalid_type([], expecting)
        elif b == 0x7B:
            err = _invalid_type({}, expecting)
        elif b is None:
            return self.peek_error("EofWhileParsingValue")
        else:
            return self.peek_error("ExpectedSomeValue")
        return self.fix(err)

    def read_scalar(self, shape, kinds):
        b = self.peek_ws()
        if b is None:
            raise self.peek_error("EofWhileParsingValue")
        if int in kinds and (b == 0x2D or b in _DIGITS):
            if b == 0x2D:
                self.pos += 1
            value = self.parse_integer(b != 0x2D)
        elif bool in kinds and b in (0x74, 0x66):
            self.pos += 1
            self.ident(b"rue" if b == 0x74 else b"alse")
            value = b == 0x74
        elif str in kinds and b == 0x22:
            self.pos += 1
            value = self.parse_str()
        else:
            raise self.peek_invalid_type(shape.expecting)
        try:
            return shape.check(value)
        except _Data as err:
            raise self.fix(err) from None

    def _enter(self):
        self.depth -= 1
        if self.depth == 0:
            raise self.peek_error("RecursionLimitExceeded")

    def read_seq(self, shape, visit):
        b = self.peek_ws()
        if b != 0x5B:
            raise self.peek_invalid_type(shape.expecting)
        return self._seq(visit)

    def _seq(self, visit):
        self._enter()
        self.pos += 1
        try:
            result = visit(_SeqAccess(self))
        except _Data as err:
            self._end_seq_quietly()
            self.depth += 1
            raise self.fix(err) from None
        except _Syntax:
            raise
        self.depth += 1
        self.end_seq()
        return result

    def _end_seq_quietly(self):
        try:
            self.end_seq()
        except _Syntax:
            pass

    def end_seq(self):
        b = self.peek_ws()
        if b == 0x5D:
            self.pos += 1
            return
        if b == 0x2C:
            self.pos += 1
            if self.peek_ws() == 0x5D:
                raise self.peek_error("TrailingComma")
            raise self.peek_error("TrailingCharacters")
        if b is None:
            raise self.peek_error("EofWhileParsingList")
        raise self.peek_error("TrailingCharacters")

    def read_map(self, shape, visit):
        b = self.peek_ws()
        if b != 0x7B:
            raise self.peek_invalid_type(shape.expecting)
        return self._map(visit)

    def _map(self, visit):
        self._enter()
        self.pos += 1
        try:
            result = visit(_MapAccess(self))
        except _Data as err:
            try:
                self.end_map()
            except _Syntax:
                pass
            self.depth += 1
            raise self.fix(err) from None
        self.depth += 1
        self.end_map()
        return result

    def end_map(self):
        b = self.peek_ws()
        if b == 0x7D:
            self.pos += 1
            return
        if b == 0x2C:
            raise self.peek_error("TrailingComma")
        if b is None:
            raise self.peek_error("EofWhileParsingObject")
        raise self.peek_error("TrailingCharacters")

    def read_struct(self, shape, visit_map, visit_seq):
        b = self.peek_ws()
        if b == 0x5B:
            return self._seq(visit_seq)
        if b == 0x7B:
            return self._map(visit_map)
        raise self.peek_invalid_type(shape.expecting)

    def read_any(self):
        b = self.peek_ws()
        if b is None:
            raise self.peek_error("EofWhileParsingValue")
        if b == 0x6E:
            self.pos += 1
            self.ident(b"ull")
            return None
        if b == 0x74:
            self.pos += 1
            self.ident(b"rue")
            return True
        if b == 0x66:
            self.pos += 1
            self.ident(b"alse")
            return False
        if b == 0x2D:
            self.pos += 1
            return self.parse_integer(False)
        if b in _DIGITS:
            return self.parse_integer(True)
        if b == 0x22:
            self.pos += 1
            return self.parse_str()
        if b == 0x5B:
            return self._seq(lambda seq: seq.rest(_ANY))
        if b == 0x7B:
            def visit(entries):
                out = {}
                for key in entries.keys():
                    out[key] = entries.value(_ANY)
                return out
            return self._map(visit)
        raise self.peek_error("ExpectedSomeValue")

    def ignore_value(self):
        """serde_json's ``ignore_value``: checks the syntax of a value nobody reads."""
        stack = []
        enclosing = None
        while True:
            b = self.peek_ws()
            if b is None:
                raise self.peek_error("EofWhileParsingValue")
            frame = None
            if b == 0x6E:
                self.pos += 1
                self.ident(b"ull")
            elif b == 0x74:
                self.pos += 1
                self.ident(b"rue")
            elif b == 0x66:
                self.pos += 1
                self.ident(b"alse")
            elif b == 0x2D:
                self.pos += 1
                self.ignore_integer()
            elif b in _DIGITS:
                self.ignore_integer()
            elif b == 0x22:
                self.pos += 1
                self.parse_str(validate=False)
            elif b in (0x5B, 0x7B):
                if enclosing is not None:
                    stack.append(enclosing)
                    enclosing = None
                self.pos += 1
                frame = b
            else:
                raise self.peek_error("ExpectedSomeValue")
            if frame is not None:
                accept_comma = False
            elif enclosing is not None:
                frame, enclosing, accept_comma = enclosing, None, True
            elif stack:
                frame, accept_comma = stack.pop(), True
            else:
                return
            while True:
                c = self.peek_ws()
                if c == 0x2C and accept_comma:
                    self.pos += 1
                    break
                if (c == 0x5D and frame == 0x5B) or (c == 0x7D and frame == 0x7B):
                    pass
                elif c is not None:
                    if accept_comma:
                        raise self.peek_error("ExpectedListCommaOrEnd" if frame == 0x5B else "ExpectedObjectCommaOrEnd")
                    break
                else:
                    raise self.peek_error("EofWhileParsingList" if frame == 0x5B else "EofWhileParsingObject")
                self.pos += 1
                if not stack:
                    return
                frame = stack.pop()
                accept_comma = True
            if frame == 0x7B:
                c = self.peek_ws()
                if c == 0x22:
                    self.pos += 1
                elif c is not None:
                    raise self.peek_error("KeyMustBeAString")
                else:
                    raise self.peek_error("EofWhileParsingObject")
                self.parse_str(validate=False)
                c = self.peek_ws()
                if c == 0x3A:
                    self.pos += 1
                elif c is not None:
                    raise self.peek_error("ExpectedColon")
                else:
                    raise self.peek_error("EofWhileParsingObject")
            if enclosing is not None:
                stack.append(enclosing)
            enclosing = frame

    def ignore_integer(self):
        b = self.next_byte()
        if b == 0x30:
            if self.peek() is not None and self.peek() in _DIGITS:
                raise self.peek_error("InvalidNumber")
        elif b is not None and 0x31 <= b <= 0x39:
            while self.peek() is not None and self.peek() in _DIGITS:
                self.pos += 1
        else:
            raise self.error("InvalidNumber")
        c = self.peek()
        if c == 0x2E:
            self.pos += 1
            digits = False
            while self.peek() is not None and self.peek() in _DIGITS:
                self.pos += 1
                digits = True
            if not digits:
                raise self.peek_error("InvalidNumber")
            if self.peek() in (0x65, 0x45):
                self.ignore_exponent()
        elif c in (0x65, 0x45):
            self.ignore_exponent()

    def ignore_exponent(self):
        self.pos += 1
        if self.peek() in (0x2B, 0x2D):
            self.pos += 1
        b = self.next_byte()
        if b is None or b not in _DIGITS:
            raise self.error("InvalidNumber")
        while self.peek() is not None and self.peek() in _DIGITS:
            self.pos += 1


_ANY = _AnyShape()


class _SeqAccess:
    def __init__(self, p):
        self.p = p
        self.first = True

    def next(self, shape):
        """``(True, value)`` for the next element, ``(False, None)`` at the end."""
        p = self.p
        b = p.peek_ws()
        if b == 0x5D:
            return False, None
        if b == 0x2C and not self.first:
            p.pos += 1
            b = p.peek_ws()
        elif b is not None:
            if self.first:
                self.first = False
            else:
                raise p.peek_error("ExpectedListCommaOrEnd")
        else:
            raise p.peek_error("EofWhileParsingList")
        if b == 0x5D:
            raise p.peek_error("TrailingComma")
        if b is None:
            raise p.peek_error("EofWhileParsingValue")
        return True, shape.read(p)

    def rest(self, shape):
        out = []
        while True:
            ok, value = self.next(shape)
            if not ok:
                return out
            out.append(value)


class _MapAccess:
    def __init__(self, p):
        self.p = p
        self.first = True

    def keys(self):
        p = self.p
        while True:
            b = p.peek_ws()
            if b == 0x7D:
                return
            if b == 0x2C and not self.first:
                p.pos += 1
                b = p.peek_ws()
            elif b is not None:
                if self.first:
                    self.first = False
                else:
                    raise p.peek_error("ExpectedObjectCommaOrEnd")
            else:
                raise p.peek_error("EofWhileParsingObject")
            if b == 0x22:
                p.pos += 1
                yield p.parse_str()
            elif b == 0x7D:
                raise p.peek_error("TrailingComma")
            elif b is None:
                raise p.peek_error("EofWhileParsingValue")
            else:
                raise p.peek_error("KeyMustBeAString")

    def _colon(self):
        p = self.p
        b = p.peek_ws()
        if b == 0x3A:
            p.pos += 1
        elif b is not None:
            raise p.peek_error("ExpectedColon")
        else:
            raise p.peek_error("EofWhileParsingObject")

    def value(self, shape):
        self._colon()
        return shape.read(self.p)

    def ignore_value(self):
        self._colon()
        self.p.ignore_value()


# ---------------------------------------------------------------------------------------------
# Entry points.

class _Fallback(Exception):
    pass


def _no_constant(name):
    raise _Fallback(name)


def _pairs(pairs):
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Fallback("duplicate key")
    return out


def _int(text):
    # serde_json reads "-0" as the float -0.0.
    if text == "-0":
        return -0.0
    value = int(text)
    if value > _U64_MAX or value < -(1 << 63):
        # Past 64 bits serde_json reads a float, with its own rounding.
        return _Parser(text.encode()).read_any()
    return value


def _float(text):
    # serde_json's own rounding, so every language reads the same bits.
    p = _Parser(text.encode())
    value = p.read_any()
    if isinstance(value, int):
        return float(value)
    return value


def _as_bytes(text):
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    return text.encode("utf-8", "surrogatepass")


def from_json(text, tp=typing.Any):
    """Parses JSON ``text`` (``str`` or UTF-8 ``bytes``) into type ``tp``.

    Raises :class:`JsonError` with serde_json's message and position when the text is not JSON
    or does not fit ``tp``.
    """
    shape = shape_of(tp)
    data = _as_bytes(text)
    try:
        if b"\\ud" in data or b"\\uD" in data:
            raise _Fallback("surrogate escapes: checked on the slow path")
        value = _json.loads(data.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_pairs, parse_float=_float, parse_int=_int)
        if not _deep_ok(value):
            raise _Fallback("out of range")
        return shape.check(value)
    except (ValueError, _Fallback, _Data, _Syntax, RecursionError, OverflowError):
        pass
    return _slow(data, shape)


def _deep_ok(value, depth=0):
    # What the json module takes and serde_json refuses: nesting past its limit, inf from a float
    # out of range. Walks containers only.
    if depth >= _RECURSION_LIMIT - 1:
        return False
    if isinstance(value, float):
        return not math.isinf(value)
    if isinstance(value, list):
        return all(_deep_ok(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_deep_ok(v, depth + 1) for v in value.values())
    return True


def _slow(data, shape):
    p = _Parser(data)
    try:
        value = shape.read(p)
        p.end()
        return value
    except _Syntax as err:
        raise err.error from None
    except _Data as err:
        raise JsonError(err.message) from None


def parse_json(text):
    """Parses any JSON value (dicts, lists, ``int``, ``float``, ``str``, ``bool``, ``None``)."""
    return from_json(text, typing.Any)


def _check_recursion_room():
    if sys.getrecursionlimit() < 4 * _RECURSION_LIMIT + 200:
        sys.setrecursionlimit(4 * _RECURSION_LIMIT + 200)


_check_recursion_room()
