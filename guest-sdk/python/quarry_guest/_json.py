"""JSON text as serde_json writes it: compact, floats as ``ryu`` writes them, NaN and infinities as
``null``, non-ASCII kept."""

import json
import math

from ._fmt import ryu

_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def to_json(value):
    """``value`` (dicts, lists, str, int, float, bool, None) as compact JSON text."""
    out = []
    _write(value, out)
    return "".join(out)


def _write(value, out):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append("null" if math.isnan(value) or math.isinf(value) else ryu(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif hasattr(value, "to_json_value"):
        _write(value.to_json_value(), out)
    else:
        # Number and other scalars that print as JSON.
        text = str(value)
        json.loads(text)
        out.append(text)
