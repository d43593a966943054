// Text the way the Rust SDK writes it, so a module's messages read alike in every language:
// floats as serde_json writes them (ryu), floats as Rust's `{}` writes them, Rust's `{:?}` of
// strings and chars.

/** The shortest round-trip digits of |x| and k, with |x| = 0.DIGITS × 10^k. */
export function shortestDigits(x) {
  const [mantissa, exp] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return [digits, Number(exp) + 1];
}

/** A float as serde_json (the ryu crate) writes it: `1.5`, `1e+300`, `-0.0`. */
export function ryu(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const [digits, kk] = shortestDigits(x);
  const length = digits.length;
  const k = kk - length;
  if (k >= 0 && kk <= 16) return `${sign}${digits}${'0'.repeat(k)}.0`;
  if (kk > 0 && kk <= 16) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -5 && kk <= 0) return `${sign}0.${'0'.repeat(-kk)}${digits}`;
  const exp = (kk > 1 ? '+' : '') + String(kk - 1);
  if (length === 1) return `${sign}${digits}e${exp}`;
  return `${sign}${digits[0]}.${digits.slice(1)}e${exp}`;
}

/** A float as Rust's Display writes it: never an exponent, no `.0` for whole numbers. */
export function rustDisplay(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0`;
  const [digits, kk] = shortestDigits(x);
  if (kk >= digits.length) return sign + digits + '0'.repeat(kk - digits.length);
  if (kk > 0) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  return `${sign}0.${'0'.repeat(-kk)}${digits}`;
}

const NOT_PRINTABLE = new Set([0xad, 0x2028, 0x2029, 0xfeff]);
for (const [lo, hi] of [[0x200b, 0x2010], [0x202a, 0x202f], [0x2060, 0x2065]]) {
  for (let c = lo; c < hi; c++) NOT_PRINTABLE.add(c);
}

function escape(ch, quote) {
  const o = ch.codePointAt(0);
  if (ch === '\\') return '\\\\';
  if (ch === quote) return `\\${quote}`;
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  if (ch === '\n') return '\\n';
  if (ch === '\0') return '\\0';
  if (o < 0x20 || (o >= 0x7f && o < 0xa0) || NOT_PRINTABLE.has(o) || (o >= 0xd800 && o < 0xe000)) {
    return `\\u{${o.toString(16)}}`;
  }
  return ch;
}

/** Rust's `{:?}` of a string: `"a \"b\"\n"`. */
export function debugStr(s) {
  let out = '"';
  for (const ch of s) out += escape(ch, '"');
  return `${out}"`;
}

/** Rust's `{:?}` of a char: `'x'`. */
export function debugChar(c) {
  return `'${escape(c, "'")}'`;
}
