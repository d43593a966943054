"""Text the way the Rust SDK writes it, so a module's messages read alike in every language.

- ``ryu(x)``: a float as serde_json writes numbers (``1.5``, ``1e300``, ``-0.0``).
- ``rust_display(x)``: a float as Rust's ``{}`` writes it (``1.5``, ``0``, ``0.0000001``).
- ``debug_str(s)`` / ``debug_char(c)``: Rust's ``{:?}`` of a string or a char.
"""

import math

__all__ = ["ryu", "rust_display", "debug_str", "debug_char", "shortest_digits"]


def shortest_digits(x):
    """The shortest digits that round-trip ``abs(x)``, and ``k`` with value ``0.DIGITS * 10**k``."""
    text = repr(abs(float(x)))
    if "e" in text:
        mantissa, exp = text.split("e")
        exp = int(exp)
    else:
        mantissa, exp = text, 0
    if "." in mantissa:
        whole, frac = mantissa.split(".")
    else:
        whole, frac = mantissa, ""
    digits = (whole + frac).lstrip("0")
    # value = int(whole+frac) * 10**(exp - len(frac))
    point = len(whole) + exp  # position of the decimal point within whole+frac
    lead = len(whole + frac) - len((whole + frac).lstrip("0"))
    digits = digits.rstrip("0") or "0"
    return digits, point - lead


def ryu(x):
    """A float as serde_json (the ``ryu`` crate) writes it."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0.0"
    digits, kk = shortest_digits(x)
    length = len(digits)
    k = kk - length
    if 0 <= k and kk <= 16:
        return sign + digits + "0" * k + ".0"
    if 0 < kk <= 16:
        return sign + digits[:kk] + "." + digits[kk:]
    if -5 < kk <= 0:
        return sign + "0." + "0" * (-kk) + digits
    exp = ("+" if kk > 1 else "") + str(kk - 1)
    if length == 1:
        return sign + digits + "e" + exp
    return sign + digits[0] + "." + digits[1:] + "e" + exp


def rust_display(x):
    """A float as Rust's ``Display`` writes it: never an exponent, no ``.0`` for whole numbers."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0"
    digits, kk = shortest_digits(x)
    if kk >= len(digits):
        return sign + digits + "0" * (kk - len(digits))
    if kk > 0:
        return sign + digits[:kk] + "." + digits[kk:]
    return sign + "0." + "0" * (-kk) + digits


# Characters Rust's Debug escapes besides controls: format and separator characters it deems
# not printable (the common ones; Rust's tables are larger).
_NOT_PRINTABLE = {0xAD, 0x2028, 0x2029, 0xFEFF} | set(range(0x200B, 0x2010)) | set(range(0x202A, 0x202F)) | set(range(0x2060, 0x2065))


def _escape(c, quote):
    o = ord(c)
    if c == "\\":
        return "\\\\"
    if c == quote:
        return "\\" + quote
    if c == "\t":
        return "\\t"
    if c == "\r":
        return "\\r"
    if c == "\n":
        return "\\n"
    if c == "\0":
        return "\\0"
    if o < 0x20 or 0x7F <= o < 0xA0 or o in _NOT_PRINTABLE or 0xD800 <= o < 0xE000:
        return "\\u{%x}" % o
    return c


def debug_str(s):
    """Rust's ``{:?}`` of a string: ``"a \\"b\\"\\n"``."""
    return '"' + "".join(_escape(c, '"') for c in s) + '"'


def debug_char(c):
    """Rust's ``{:?}`` of a char: ``'x'``."""
    return "'" + _escape(c, "'") + "'"
