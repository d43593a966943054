"""Logging through the host, which tags each line with the datasource and module.

>>> from quarry_guest import log
>>> log.info("fetched series", count=3, ms=12)

Outside the host (native unit tests) lines go to stderr.
"""

import sys

__all__ = ["log", "trace", "debug", "info", "warn", "error", "LEVELS"]

LEVELS = ("trace", "debug", "info", "warn", "error")

if sys.platform == "wasi":
    from wit_world.imports import log as _wit_log
    from wit_world.imports.quarry_datasource_types import KeyValue as _KeyValue

    _WIT_LEVELS = {
        "trace": _wit_log.Level.TRACE, "debug": _wit_log.Level.DEBUG, "info": _wit_log.Level.INFO,
        "warn": _wit_log.Level.WARN, "error": _wit_log.Level.ERROR,
    }

    def _emit(level, message, fields):
        _wit_log.log(_WIT_LEVELS[level], message, [_KeyValue(str(k), str(v)) for k, v in fields.items()])
else:
    def _emit(level, message, fields):
        line = "%s %s" % (level.upper(), message)
        for key, value in fields.items():
            line += " %s=%r" % (key, str(value))
        print(line, file=sys.stderr)


def log(level, message, fields=None, **more):
    """Logs ``message`` at ``level`` (``trace`` … ``error``) with structured fields."""
    if level not in LEVELS:
        raise ValueError("unknown log level %r (one of %s)" % (level, ", ".join(LEVELS)))
    all_fields = dict(fields or {})
    all_fields.update(more)
    _emit(level, str(message), all_fields)


def trace(message, **fields):
    log("trace", message, fields)


def debug(message, **fields):
    log("debug", message, fields)


def info(message, **fields):
    log("info", message, fields)


def warn(message, **fields):
    log("warn", message, fields)


def error(message, **fields):
    log("error", message, fields)
