// Typed JSON reading that fails exactly like the Rust SDK (serde_json), message and position
// alike. `fromJson(text, shape)` reads JSON text (a string or UTF-8 bytes) into a shape built
// with `t`:
//
//   const Series = t.struct('Series', {
//     timestamps: t.array(t.i64),
//     values: t.array(t.option(t.f64)),
//     labels: t.default(t.map(t.string), () => ({})),
//     unit: t.option(t.string),
//   });
//
// A mismatch throws `JsonError` with serde_json's words, e.g.
// `missing field \`values\` at line 1 column 18`. Struct keys are the JSON keys; unknown keys are
// ignored, a repeated one is an error; an option field may be missing (null), a `t.default`
// field takes its default, any other missing field is an error. Integers come back as Numbers,
// or BigInts past ±2^53; `t.number` keeps a JSON number as serde_json::Number does.

import { debugStr, ryu } from './fmt.js';

const RECURSION_LIMIT = 128;
const U64_MAX = (1n << 64n) - 1n;
const I32_MAX = 2 ** 31 - 1;
const POW10 = Array.from({ length: 309 }, (_, i) => Number(`1e${i}`));

/** A JSON syntax or data error; `message` is serde_json's text with its position. */
export class JsonError extends Error {
  constructor(reason, line = 0, column = 0, category = 'data') {
    super(line === 0 ? reason : `${reason} at line ${line} column ${column}`);
    this.name = 'JsonError';
    this.reason = reason;
    this.line = line;
    this.column = column;
    /** `syntax`, `eof` or `data` (serde_json's classify). */
    this.category = category;
  }

  get isSyntax() {
    return this.category !== 'data';
  }
}

/** A JSON number kept as serde_json::Number keeps it: `String(n)` writes it as serde_json does. */
export class JsonNumber {
  constructor(value) {
    /** A Number, or a BigInt for an integer past ±2^53. `isFloat` tells 1.0 from 1. */
    this.value = value;
    this.isFloat = false;
  }

  toString() {
    return this.isFloat ? ryu(this.value) : String(this.value);
  }

  toJSON() {
    return this.isFloat ? this.value : Number(this.value);
  }
}

// A parsed number: integers as BigInt (exact), floats as Number, with their kind.
class Num {
  constructor(value, float) {
    this.value = value;
    this.float = float;
  }
}

class DataError {
  constructor(message) {
    this.message = message;
  }
}

class SyntaxFail {
  constructor(error) {
    this.error = error;
  }
}

function unexpected(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (v instanceof Num) return v.float ? `floating point \`${ryu(v.value)}\`` : `integer \`${v.value}\``;
  if (typeof v === 'string') return `string ${debugStr(v)}`;
  if (Array.isArray(v)) return 'sequence';
  return 'map';
}

function invalidType(v, expecting) {
  return new DataError(`invalid type: ${unexpected(v)}, expected ${expecting}`);
}

function toJsInt(n) {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

// ---- shapes

class Shape {
  constructor(expecting) {
    this.expecting = expecting;
  }

  missing() {
    throw new DataError('missing');
  }
}

class AnyShape extends Shape {
  constructor() {
    super('any value');
  }

  read(p) {
    return p.readAny();
  }
}

class BoolShape extends Shape {
  constructor() {
    super('a boolean');
  }

  check(v) {
    if (typeof v === 'boolean') return v;
    throw invalidType(v, this.expecting);
  }

  read(p) {
    return p.readScalar(this, 'bool');
  }
}

class StringShape extends Shape {
  constructor() {
    super('a string');
  }

  check(v) {
    if (typeof v === 'string') return v;
    throw invalidType(v, this.expecting);
  }

  read(p) {
    return p.readScalar(this, 'string');
  }
}

class IntShape extends Shape {
  constructor(bits, signed) {
    super(`${signed ? 'i' : 'u'}${bits}`);
    this.lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
    this.hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  }

  check(v) {
    if (!(v instanceof Num) || v.float) throw invalidType(v, this.expecting);
    if (v.value < this.lo || v.value > this.hi) {
      throw new DataError(`invalid value: integer \`${v.value}\`, expected ${this.expecting}`);
    }
    return toJsInt(v.value);
  }

  read(p) {
    return p.readScalar(this, 'number');
  }
}

class FloatShape extends Shape {
  check(v) {
    if (!(v instanceof Num)) throw invalidType(v, this.expecting);
    return v.float ? v.value : Number(v.value);
  }

  read(p) {
    return p.readScalar(this, 'number');
  }
}

class NumberShape extends Shape {
  constructor() {
    super('a JSON number');
  }

  check(v) {
    if (!(v instanceof Num)) throw invalidType(v, this.expecting);
    const n = new JsonNumber(v.float ? v.value : toJsInt(v.value));
    n.isFloat = v.float;
    return n;
  }

  read(p) {
    return p.readScalar(this, 'number');
  }
}

class OptionShape extends Shape {
  constructor(inner) {
    super(inner.expecting);
    this.inner = inner;
  }

  check(v) {
    return v === null ? null : this.inner.check(v);
  }

  read(p) {
    if (p.peekWs() === 0x6e) {
      p.pos += 1;
      p.ident('ull');
      return null;
    }
    return this.inner.read(p);
  }

  missing() {
    return null;
  }
}

class ArrayShape extends Shape {
  constructor(item) {
    super('a sequence');
    this.item = item;
  }

  read(p) {
    return p.readSeq(this, (seq) => seq.rest(this.item));
  }
}

class MapShape extends Shape {
  constructor(value) {
    super('a map');
    this.value = value;
  }

  read(p) {
    return p.readMap(this, (entries) => {
      const out = {};
      for (const key of entries.keys()) out[key] = entries.value(this.value);
      return out;
    });
  }
}

class DefaultShape {
  constructor(shape, value) {
    this.shape = shape;
    this.value = value;
  }
}

class StructShape extends Shape {
  constructor(name, fields) {
    super(`struct ${name}`);
    this.fields = Object.entries(fields).map(([key, spec]) =>
      spec instanceof DefaultShape
        ? { key, shape: spec.shape, hasDefault: true, makeDefault: spec.value }
        : { key, shape: spec, hasDefault: false },
    );
    this.byKey = new Map(this.fields.map((f) => [f.key, f]));
  }

  build(found) {
    const out = {};
    for (const f of this.fields) {
      if (found.has(f.key)) out[f.key] = found.get(f.key);
      else if (f.hasDefault) out[f.key] = typeof f.makeDefault === 'function' ? f.makeDefault() : f.makeDefault;
      else {
        try {
          out[f.key] = f.shape.missing();
        } catch (e) {
          if (e instanceof DataError) throw new DataError(`missing field \`${f.key}\``);
          throw e;
        }
      }
    }
    return out;
  }

  read(p) {
    const visitMap = (entries) => {
      const found = new Map();
      for (const key of entries.keys()) {
        const f = this.byKey.get(key);
        if (f === undefined) {
          entries.ignoreValue();
          continue;
        }
        if (found.has(key)) throw new DataError(`duplicate field \`${key}\``);
        found.set(key, entries.value(f.shape));
      }
      return this.build(found);
    };
    const visitSeq = (seq) => {
      const found = new Map();
      this.fields.forEach((f, i) => {
        const [ok, value] = seq.next(f.shape);
        if (!ok) {
          if (f.hasDefault) return;
          throw new DataError(`invalid length ${i}, expected ${this.expecting} with ${this.fields.length} elements`);
        }
        found.set(f.key, value);
      });
      // A field past the end was not read: stop at the first missing one, as serde does.
      return this.build(found);
    };
    return p.readStruct(this, visitMap, visitSeq);
  }
}

class UntaggedShape extends Shape {
  constructor(name, options) {
    super(`untagged enum ${name}`);
    this.name = name;
    this.options = options;
  }

  read(p) {
    const value = p.readAnyRaw();
    for (const option of this.options) {
      const result = tryContent(option, value);
      if (result !== NO_MATCH) return result;
    }
    throw new DataError(`data did not match any variant of untagged enum ${this.name}`);
  }
}

const NO_MATCH = Symbol('no match');

// Reads an already parsed value (serde's Content) as `shape`; NO_MATCH when it does not fit.
function tryContent(shape, value) {
  try {
    return fromContent(shape, value);
  } catch (e) {
    if (e instanceof DataError) return NO_MATCH;
    throw e;
  }
}

function fromContent(shape, v) {
  if (shape instanceof AnyShape) return rawToJs(v);
  if (shape instanceof OptionShape) return v === null ? null : fromContent(shape.inner, v);
  if (shape instanceof ArrayShape) {
    if (!Array.isArray(v)) throw invalidType(v, shape.expecting);
    return v.map((x) => fromContent(shape.item, x));
  }
  if (shape instanceof MapShape) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Num) throw invalidType(v, shape.expecting);
    return Object.fromEntries([...v.entries()].map(([k, x]) => [k, fromContent(shape.value, x)]));
  }
  if (shape instanceof StructShape) {
    if (!(v instanceof Map)) throw invalidType(v, shape.expecting);
    const found = new Map();
    for (const [k, x] of v) {
      const f = shape.byKey.get(k);
      if (f) found.set(k, fromContent(f.shape, x));
    }
    return shape.build(found);
  }
  if (shape instanceof UntaggedShape) {
    for (const option of shape.options) {
      const result = tryContent(option, v);
      if (result !== NO_MATCH) return result;
    }
    throw new DataError(`data did not match any variant of untagged enum ${shape.name}`);
  }
  return shape.check(v);
}

function rawToJs(v) {
  if (v instanceof Num) return v.float ? v.value : toJsInt(v.value);
  if (Array.isArray(v)) return v.map(rawToJs);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [k, rawToJs(x)]));
  return v;
}

function int(bits, signed) {
  return new IntShape(bits, signed);
}

function float(name) {
  const s = new FloatShape(name);
  return s;
}

/** Shape builders. */
export const t = {
  any: new AnyShape(),
  bool: new BoolShape(),
  string: new StringShape(),
  i8: int(8, true),
  i16: int(16, true),
  i32: int(32, true),
  i64: int(64, true),
  u8: int(8, false),
  u16: int(16, false),
  u32: int(32, false),
  u64: int(64, false),
  f32: float('f32'),
  f64: float('f64'),
  /** A JSON number kept as written (serde_json::Number): a JsonNumber. */
  number: new NumberShape(),
  option: (shape) => new OptionShape(shape),
  array: (shape) => new ArrayShape(shape),
  /** A JSON object of `shape` values. */
  map: (shape) => new MapShape(shape),
  /** A struct: `fields` maps JSON keys to shapes (or `t.default(shape, value)`). */
  struct: (name, fields) => new StructShape(name, fields),
  /** A field that may be missing: `value` (or `value()` when a function) stands in. */
  default: (shape, value) => new DefaultShape(shape, value),
  /** The first of `options` that fits, like `#[serde(untagged)] enum name`. */
  untagged: (name, ...options) => new UntaggedShape(name, options),
};

// ---- the parser: serde_json's deserializer, step by step

const CODES = {
  EofWhileParsingList: ['EOF while parsing a list', 'eof'],
  EofWhileParsingObject: ['EOF while parsing an object', 'eof'],
  EofWhileParsingString: ['EOF while parsing a string', 'eof'],
  EofWhileParsingValue: ['EOF while parsing a value', 'eof'],
  ExpectedColon: ['expected `:`', 'syntax'],
  ExpectedListCommaOrEnd: ['expected `,` or `]`', 'syntax'],
  ExpectedObjectCommaOrEnd: ['expected `,` or `}`', 'syntax'],
  ExpectedSomeIdent: ['expected ident', 'syntax'],
  ExpectedSomeValue: ['expected value', 'syntax'],
  InvalidEscape: ['invalid escape', 'syntax'],
  InvalidNumber: ['invalid number', 'syntax'],
  NumberOutOfRange: ['number out of range', 'syntax'],
  InvalidUnicodeCodePoint: ['invalid unicode code point', 'syntax'],
  ControlCharacterWhileParsingString: ['control character (\\u0000-\\u001F) found while parsing a string', 'syntax'],
  KeyMustBeAString: ['key must be a string', 'syntax'],
  LoneLeadingSurrogateInHexEscape: ['lone leading surrogate in hex escape', 'syntax'],
  TrailingComma: ['trailing comma', 'syntax'],
  TrailingCharacters: ['trailing characters', 'syntax'],
  UnexpectedEndOfHexEscape: ['unexpected end of hex escape', 'syntax'],
  RecursionLimitExceeded: ['recursion limit exceeded', 'syntax'],
};

const isDigit = (b) => b !== undefined && b >= 0x30 && b <= 0x39;
const isWs = (b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
const ESCAPES = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');
const encoder = new TextEncoder();

class Parser {
  constructor(data) {
    this.data = data;
    this.pos = 0;
    this.depth = RECURSION_LIMIT;
  }

  position(index) {
    let line = 1;
    let lineStart = 0;
    const data = this.data;
    for (let i = 0; i < index; i++) {
      if (data[i] === 0x0a) {
        line += 1;
        lineStart = i + 1;
      }
    }
    return [line, index - lineStart];
  }

  error(code) {
    const [message, category] = CODES[code];
    const [line, column] = this.position(this.pos);
    return new SyntaxFail(new JsonError(message, line, column, category));
  }

  peekError(code) {
    const [message, category] = CODES[code];
    const [line, column] = this.position(Math.min(this.pos + 1, this.data.length));
    return new SyntaxFail(new JsonError(message, line, column, category));
  }

  fix(dataError) {
    const [line, column] = this.position(this.pos);
    return new SyntaxFail(new JsonError(dataError.message, line, column, 'data'));
  }

  peek() {
    return this.data[this.pos];
  }

  peekWs() {
    const data = this.data;
    let pos = this.pos;
    while (pos < data.length && isWs(data[pos])) pos += 1;
    this.pos = pos;
    return data[pos];
  }

  next() {
    if (this.pos < this.data.length) return this.data[this.pos++];
    return undefined;
  }

  ident(rest) {
    for (let i = 0; i < rest.length; i++) {
      const b = this.next();
      if (b === undefined) throw this.error('EofWhileParsingValue');
      if (b !== rest.charCodeAt(i)) throw this.error('ExpectedSomeIdent');
    }
  }

  end() {
    if (this.peekWs() !== undefined) throw this.peekError('TrailingCharacters');
  }

  // -- numbers

  parseInteger(positive) {
    const b = this.next();
    if (b === undefined) throw this.error('EofWhileParsingValue');
    if (b === 0x30) {
      if (isDigit(this.peek())) throw this.peekError('InvalidNumber');
      return this.parseNumber(positive, 0n);
    }
    if (b >= 0x31 && b <= 0x39) {
      let significand = BigInt(b - 0x30);
      for (;;) {
        const c = this.peek();
        if (isDigit(c)) {
          const digit = BigInt(c - 0x30);
          if (significand * 10n + digit > U64_MAX) return new Num(this.parseLongInteger(positive, significand), true);
          this.pos += 1;
          significand = significand * 10n + digit;
        } else {
          return this.parseNumber(positive, significand);
        }
      }
    }
    throw this.error('InvalidNumber');
  }

  parseNumber(positive, significand) {
    const c = this.peek();
    if (c === 0x2e) return new Num(this.parseDecimal(positive, significand, 0), true);
    if (c === 0x65 || c === 0x45) return new Num(this.parseExponent(positive, significand, 0), true);
    if (positive) return new Num(significand, false);
    if (significand === 0n || significand > 1n << 63n) return new Num(-Number(significand), true);
    return new Num(-significand, false);
  }

  parseLongInteger(positive, significand) {
    let exponent = 0;
    for (;;) {
      const c = this.peek();
      if (isDigit(c)) {
        this.pos += 1;
        exponent += 1;
      } else if (c === 0x2e) {
        return this.parseDecimal(positive, significand, exponent);
      } else if (c === 0x65 || c === 0x45) {
        return this.parseExponent(positive, significand, exponent);
      } else {
        return this.f64FromParts(positive, significand, exponent);
      }
    }
  }

  parseDecimal(positive, significand, exponentBefore) {
    this.pos += 1;
    let after = 0;
    for (;;) {
      const c = this.peek();
      if (!isDigit(c)) break;
      const digit = BigInt(c - 0x30);
      if (significand * 10n + digit > U64_MAX) {
        return this.parseDecimalOverflow(positive, significand, exponentBefore + after);
      }
      this.pos += 1;
      significand = significand * 10n + digit;
      after -= 1;
    }
    if (after === 0) {
      if (this.peek() !== undefined) throw this.peekError('InvalidNumber');
      throw this.peekError('EofWhileParsingValue');
    }
    const exponent = exponentBefore + after;
    const c = this.peek();
    if (c === 0x65 || c === 0x45) return this.parseExponent(positive, significand, exponent);
    return this.f64FromParts(positive, significand, exponent);
  }

  parseDecimalOverflow(positive, significand, exponent) {
    while (isDigit(this.peek())) this.pos += 1;
    const c = this.peek();
    if (c === 0x65 || c === 0x45) return this.parseExponent(positive, significand, exponent);
    return this.f64FromParts(positive, significand, exponent);
  }

  parseExponent(positive, significand, starting) {
    this.pos += 1;
    let positiveExp = true;
    const c = this.peek();
    if (c === 0x2b) this.pos += 1;
    else if (c === 0x2d) {
      this.pos += 1;
      positiveExp = false;
    }
    const b = this.next();
    if (b === undefined) throw this.error('EofWhileParsingValue');
    if (!isDigit(b)) throw this.error('InvalidNumber');
    let exp = b - 0x30;
    for (;;) {
      const d = this.peek();
      if (!isDigit(d)) break;
      this.pos += 1;
      const digit = d - 0x30;
      if (exp * 10 + digit > I32_MAX) {
        if (significand !== 0n && positiveExp) throw this.error('NumberOutOfRange');
        while (isDigit(this.peek())) this.pos += 1;
        return positive ? 0 : -0;
      }
      exp = exp * 10 + digit;
    }
    let final = positiveExp ? starting + exp : starting - exp;
    final = Math.max(-(2 ** 31), Math.min(I32_MAX, final));
    return this.f64FromParts(positive, significand, final);
  }

  f64FromParts(positive, significand, exponent) {
    let f = Number(significand);
    for (;;) {
      if (Math.abs(exponent) < POW10.length) {
        const pow = POW10[Math.abs(exponent)];
        if (exponent >= 0) {
          f *= pow;
          if (!Number.isFinite(f)) throw this.error('NumberOutOfRange');
        } else {
          f /= pow;
        }
        break;
      }
      if (f === 0) break;
      if (exponent >= 0) throw this.error('NumberOutOfRange');
      f /= 1e308;
      exponent += 308;
    }
    return positive ? f : -f;
  }

  // -- strings

  parseStr(validate = true) {
    const data = this.data;
    const n = data.length;
    const parts = [];
    let start = this.pos;
    for (;;) {
      let pos = this.pos;
      while (pos < n && data[pos] !== 0x22 && data[pos] !== 0x5c && data[pos] >= 0x20) pos += 1;
      this.pos = pos;
      if (pos === n) throw this.error('EofWhileParsingString');
      const b = data[pos];
      if (validate) this.checkUtf8(start, pos);
      if (b === 0x22) {
        parts.push(data.subarray(start, pos));
        this.pos = pos + 1;
        if (!validate) return null;
        return joinUtf8(parts);
      }
      if (b === 0x5c) {
        parts.push(data.subarray(start, pos));
        this.pos = pos + 1;
        this.parseEscape(parts, validate);
        start = this.pos;
        continue;
      }
      if (validate) this.pos = pos + 1;
      throw this.error('ControlCharacterWhileParsingString');
    }
  }

  checkUtf8(start, end) {
    const chunk = this.data.subarray(start, end);
    try {
      utf8.decode(chunk);
    } catch {
      this.pos = start + validUpTo(chunk) + 1;
      throw this.error('InvalidUnicodeCodePoint');
    }
  }

  decodeHex() {
    const data = this.data;
    if (this.pos + 4 > data.length) {
      this.pos = data.length;
      throw this.error('EofWhileParsingString');
    }
    let n = 0;
    let ok = true;
    for (let i = 0; i < 4; i++) {
      const c = data[this.pos + i];
      const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (v < 0) ok = false;
      n = n * 16 + v;
    }
    this.pos += 4;
    if (!ok) throw this.error('InvalidEscape');
    return n;
  }

  parseEscape(parts, validate) {
    const b = this.next();
    if (b === undefined) throw this.error('EofWhileParsingString');
    if (b in ESCAPES) {
      parts.push(Uint8Array.of(ESCAPES[b]));
      return;
    }
    if (b !== 0x75) throw this.error('InvalidEscape');
    const n = this.decodeHex();
    if (!validate) return;
    if (n >= 0xdc00 && n <= 0xdfff) throw this.error('LoneLeadingSurrogateInHexEscape');
    if (n < 0xd800 || n > 0xdbff) {
      parts.push(encoder.encode(String.fromCharCode(n)));
      return;
    }
    if (this.peek() === undefined) throw this.error('EofWhileParsingString');
    if (this.peek() !== 0x5c) {
      this.pos += 1;
      throw this.error('UnexpectedEndOfHexEscape');
    }
    this.pos += 1;
    if (this.peek() === undefined) throw this.error('EofWhileParsingString');
    if (this.peek() !== 0x75) {
      this.pos += 1;
      throw this.error('UnexpectedEndOfHexEscape');
    }
    this.pos += 1;
    const n2 = this.decodeHex();
    if (n2 < 0xdc00 || n2 > 0xdfff) throw this.error('LoneLeadingSurrogateInHexEscape');
    parts.push(encoder.encode(String.fromCodePoint((((n - 0xd800) << 10) | (n2 - 0xdc00)) + 0x10000)));
  }

  // -- typed reads (serde_json's deserialize_*)

  peekInvalidType(expecting) {
    const b = this.peekWs();
    let err;
    if (b === 0x6e) {
      this.pos += 1;
      this.ident('ull');
      err = invalidType(null, expecting);
    } else if (b === 0x74) {
      this.pos += 1;
      this.ident('rue');
      err = invalidType(true, expecting);
    } else if (b === 0x66) {
      this.pos += 1;
      this.ident('alse');
      err = invalidType(false, expecting);
    } else if (b === 0x2d) {
      this.pos += 1;
      err = invalidType(this.parseInteger(false), expecting);
    } else if (isDigit(b)) {
      err = invalidType(this.parseInteger(true), expecting);
    } else if (b === 0x22) {
      this.pos += 1;
      err = invalidType(this.parseStr(), expecting);
    } else if (b === 0x5b) {
      err = invalidType([], expecting);
    } else if (b === 0x7b) {
      err = invalidType({}, expecting);
    } else if (b === undefined) {
      return this.peekError('EofWhileParsingValue');
    } else {
      return this.peekError('ExpectedSomeValue');
    }
    return this.fix(err);
  }

  readScalar(shape, kind) {
    const b = this.peekWs();
    if (b === undefined) throw this.peekError('EofWhileParsingValue');
    let value;
    if (kind === 'number' && (b === 0x2d || isDigit(b))) {
      if (b === 0x2d) this.pos += 1;
      value = this.parseInteger(b !== 0x2d);
    } else if (kind === 'bool' && (b === 0x74 || b === 0x66)) {
      this.pos += 1;
      this.ident(b === 0x74 ? 'rue' : 'alse');
      value = b === 0x74;
    } else if (kind === 'string' && b === 0x22) {
      this.pos += 1;
      value = this.parseStr();
    } else {
      throw this.peekInvalidType(shape.expecting);
    }
    try {
      return shape.check(value);
    } catch (e) {
      if (e instanceof DataError) throw this.fix(e);
      throw e;
    }
  }

  enter() {
    this.depth -= 1;
    if (this.depth === 0) throw this.peekError('RecursionLimitExceeded');
  }

  readSeq(shape, visit) {
    if (this.peekWs() !== 0x5b) throw this.peekInvalidType(shape.expecting);
    return this.seq(visit);
  }

  seq(visit) {
    this.enter();
    this.pos += 1;
    let result;
    try {
      result = visit(new SeqAccess(this));
    } catch (e) {
      if (e instanceof DataError) {
        try {
          this.endSeq();
        } catch (ignored) {
          if (!(ignored instanceof SyntaxFail)) throw ignored;
        }
        throw this.fix(e);
      }
      throw e;
    }
    this.depth += 1;
    this.endSeq();
    return result;
  }

  endSeq() {
    const b = this.peekWs();
    if (b === 0x5d) {
      this.pos += 1;
      return;
    }
    if (b === 0x2c) {
      this.pos += 1;
      if (this.peekWs() === 0x5d) throw this.peekError('TrailingComma');
      throw this.peekError('TrailingCharacters');
    }
    if (b === undefined) throw this.peekError('EofWhileParsingList');
    throw this.peekError('TrailingCharacters');
  }

  readMap(shape, visit) {
    if (this.peekWs() !== 0x7b) throw this.peekInvalidType(shape.expecting);
    return this.map(visit);
  }

  map(visit) {
    this.enter();
    this.pos += 1;
    let result;
    try {
      result = visit(new MapAccess(this));
    } catch (e) {
      if (e instanceof DataError) {
        try {
          this.endMap();
        } catch (ignored) {
          if (!(ignored instanceof SyntaxFail)) throw ignored;
        }
        throw this.fix(e);
      }
      throw e;
    }
    this.depth += 1;
    this.endMap();
    return result;
  }

  endMap() {
    const b = this.peekWs();
    if (b === 0x7d) {
      this.pos += 1;
      return;
    }
    if (b === 0x2c) throw this.peekError('TrailingComma');
    if (b === undefined) throw this.peekError('EofWhileParsingObject');
    throw this.peekError('TrailingCharacters');
  }

  readStruct(shape, visitMap, visitSeq) {
    const b = this.peekWs();
    if (b === 0x5b) return this.seq(visitSeq);
    if (b === 0x7b) return this.map(visitMap);
    throw this.peekInvalidType(shape.expecting);
  }

  /** Any value as serde's Content: Num, string, boolean, null, arrays and Maps. */
  readAnyRaw() {
    const b = this.peekWs();
    if (b === undefined) throw this.peekError('EofWhileParsingValue');
    if (b === 0x6e) {
      this.pos += 1;
      this.ident('ull');
      return null;
    }
    if (b === 0x74) {
      this.pos += 1;
      this.ident('rue');
      return true;
    }
    if (b === 0x66) {
      this.pos += 1;
      this.ident('alse');
      return false;
    }
    if (b === 0x2d) {
      this.pos += 1;
      return this.parseInteger(false);
    }
    if (isDigit(b)) return this.parseInteger(true);
    if (b === 0x22) {
      this.pos += 1;
      return this.parseStr();
    }
    if (b === 0x5b) return this.seq((seq) => seq.restRaw());
    if (b === 0x7b) {
      return this.map((entries) => {
        const out = new Map();
        for (const key of entries.keys()) {
          entries.colon();
          out.set(key, this.readAnyRaw());
        }
        return out;
      });
    }
    throw this.peekError('ExpectedSomeValue');
  }

  readAny() {
    return rawToJs(this.readAnyRaw());
  }

  ignoreValue() {
    const stack = [];
    let enclosing = null;
    for (;;) {
      const b = this.peekWs();
      if (b === undefined) throw this.peekError('EofWhileParsingValue');
      let frame = null;
      if (b === 0x6e) {
        this.pos += 1;
        this.ident('ull');
      } else if (b === 0x74) {
        this.pos += 1;
        this.ident('rue');
      } else if (b === 0x66) {
        this.pos += 1;
        this.ident('alse');
      } else if (b === 0x2d) {
        this.pos += 1;
        this.ignoreInteger();
      } else if (isDigit(b)) {
        this.ignoreInteger();
      } else if (b === 0x22) {
        this.pos += 1;
        this.parseStr(false);
      } else if (b === 0x5b || b === 0x7b) {
        if (enclosing !== null) {
          stack.push(enclosing);
          enclosing = null;
        }
        this.pos += 1;
        frame = b;
      } else {
        throw this.peekError('ExpectedSomeValue');
      }
      let acceptComma;
      if (frame !== null) acceptComma = false;
      else if (enclosing !== null) {
        frame = enclosing;
        enclosing = null;
        acceptComma = true;
      } else if (stack.length) {
        frame = stack.pop();
        acceptComma = true;
      } else return;
      for (;;) {
        const c = this.peekWs();
        if (c === 0x2c && acceptComma) {
          this.pos += 1;
          break;
        }
        if ((c === 0x5d && frame === 0x5b) || (c === 0x7d && frame === 0x7b)) {
          // closes the frame
        } else if (c !== undefined) {
          if (acceptComma) throw this.peekError(frame === 0x5b ? 'ExpectedListCommaOrEnd' : 'ExpectedObjectCommaOrEnd');
          break;
        } else {
          throw this.peekError(frame === 0x5b ? 'EofWhileParsingList' : 'EofWhileParsingObject');
        }
        this.pos += 1;
        if (!stack.length) return;
        frame = stack.pop();
        acceptComma = true;
      }
      if (frame === 0x7b) {
        let c = this.peekWs();
        if (c === 0x22) this.pos += 1;
        else if (c !== undefined) throw this.peekError('KeyMustBeAString');
        else throw this.peekError('EofWhileParsingObject');
        this.parseStr(false);
        c = this.peekWs();
        if (c === 0x3a) this.pos += 1;
        else if (c !== undefined) throw this.peekError('ExpectedColon');
        else throw this.peekError('EofWhileParsingObject');
      }
      if (enclosing !== null) stack.push(enclosing);
      enclosing = frame;
    }
  }

  ignoreInteger() {
    const b = this.next();
    if (b === 0x30) {
      if (isDigit(this.peek())) throw this.peekError('InvalidNumber');
    } else if (b !== undefined && b >= 0x31 && b <= 0x39) {
      while (isDigit(this.peek())) this.pos += 1;
    } else {
      throw this.error('InvalidNumber');
    }
    const c = this.peek();
    if (c === 0x2e) {
      this.pos += 1;
      let digits = false;
      while (isDigit(this.peek())) {
        this.pos += 1;
        digits = true;
      }
      if (!digits) throw this.peekError('InvalidNumber');
      const e = this.peek();
      if (e === 0x65 || e === 0x45) this.ignoreExponent();
    } else if (c === 0x65 || c === 0x45) {
      this.ignoreExponent();
    }
  }

  ignoreExponent() {
    this.pos += 1;
    const c = this.peek();
    if (c === 0x2b || c === 0x2d) this.pos += 1;
    const b = this.next();
    if (!isDigit(b)) throw this.error('InvalidNumber');
    while (isDigit(this.peek())) this.pos += 1;
  }
}

function validUpTo(bytes) {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let len;
    if (b < 0x80) len = 1;
    else if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) len = 3;
    else if (b >= 0xf0 && b <= 0xf4) len = 4;
    else return i;
    if (i + len > bytes.length) return i;
    try {
      utf8.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}

function joinUtf8(parts) {
  if (parts.length === 1) return utf8Lossy.decode(parts[0]);
  let total = 0;
  for (const p of parts) total += p.length;
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return utf8Lossy.decode(all);
}

class SeqAccess {
  constructor(p) {
    this.p = p;
    this.first = true;
  }

  advance() {
    const p = this.p;
    let b = p.peekWs();
    if (b === 0x5d) return false;
    if (b === 0x2c && !this.first) {
      p.pos += 1;
      b = p.peekWs();
    } else if (b !== undefined) {
      if (this.first) this.first = false;
      else throw p.peekError('ExpectedListCommaOrEnd');
    } else {
      throw p.peekError('EofWhileParsingList');
    }
    if (b === 0x5d) throw p.peekError('TrailingComma');
    if (b === undefined) throw p.peekError('EofWhileParsingValue');
    return true;
  }

  next(shape) {
    if (!this.advance()) return [false, null];
    return [true, shape.read(this.p)];
  }

  rest(shape) {
    const out = [];
    while (this.advance()) out.push(shape.read(this.p));
    return out;
  }

  restRaw() {
    const out = [];
    while (this.advance()) out.push(this.p.readAnyRaw());
    return out;
  }
}

class MapAccess {
  constructor(p) {
    this.p = p;
    this.first = true;
  }

  *keys() {
    const p = this.p;
    for (;;) {
      let b = p.peekWs();
      if (b === 0x7d) return;
      if (b === 0x2c && !this.first) {
        p.pos += 1;
        b = p.peekWs();
      } else if (b !== undefined) {
        if (this.first) this.first = false;
        else throw p.peekError('ExpectedObjectCommaOrEnd');
      } else {
        throw p.peekError('EofWhileParsingObject');
      }
      if (b === 0x22) {
        p.pos += 1;
        yield p.parseStr();
      } else if (b === 0x7d) {
        throw p.peekError('TrailingComma');
      } else if (b === undefined) {
        throw p.peekError('EofWhileParsingValue');
      } else {
        throw p.peekError('KeyMustBeAString');
      }
    }
  }

  colon() {
    const p = this.p;
    const b = p.peekWs();
    if (b === 0x3a) p.pos += 1;
    else if (b !== undefined) throw p.peekError('ExpectedColon');
    else throw p.peekError('EofWhileParsingObject');
  }

  value(shape) {
    this.colon();
    return shape.read(this.p);
  }

  ignoreValue() {
    this.colon();
    this.p.ignoreValue();
  }
}

function asBytes(text) {
  if (typeof text === 'string') return encoder.encode(text);
  if (text instanceof Uint8Array) return text;
  if (text instanceof ArrayBuffer) return new Uint8Array(text);
  throw new TypeError('JSON text must be a string or bytes');
}

/**
 * Reads JSON `text` (a string or UTF-8 bytes) as `shape` (default `t.any`: plain JS values,
 * integers past ±2^53 as BigInt). Throws JsonError with serde_json's message and position.
 */
export function fromJson(text, shape = t.any) {
  const p = new Parser(asBytes(text));
  try {
    const value = shape.read(p);
    p.end();
    return value;
  } catch (e) {
    if (e instanceof SyntaxFail) throw e.error;
    if (e instanceof DataError) throw new JsonError(e.message);
    throw e;
  }
}

/** Any JSON value, with serde_json's error messages. */
export function parseJson(text) {
  return fromJson(text, t.any);
}
