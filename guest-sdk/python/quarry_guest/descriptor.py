"""`Descriptor`: what a module tells Grafana's editors about itself (its settings, query model,
streams, and template-variable/annotation support), built with the same builders as the Rust SDK.

>>> d = (Descriptor("Metrics from the in-house API")
...      .with_setting(Setting.string("endpoint").title("Endpoint").required())
...      .with_setting(Setting.string("apiKey").title("API key").secret())
...      .with_query_field(QueryField.string("metricName").title("Metric").main().required())
...      .with_query_field(QueryField.enumeration("agg", [("avg", "Average"), ("max", "Maximum")]).default("avg"))
...      .with_default_query({"metricName": "cpu"})
...      .with_stream("metric/{name}", "The newest value of a metric"))
>>> len(d.settings), d.settings[1].is_secret
(2, True)
"""

import dataclasses

from ._json import to_json

__all__ = ["Descriptor", "Setting", "QueryField", "Kind", "EnumOption"]


class Kind:
    """What a setting or query field holds (``ENUM`` carries its options)."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    ENUM = "enum"
    STRING_LIST = "string-list"
    STRING_MAP = "string-map"


@dataclasses.dataclass
class EnumOption:
    value: str
    label: str = ""
    description: str = ""


def _option(o):
    if isinstance(o, EnumOption):
        return o
    if isinstance(o, str):
        return EnumOption(o)
    return EnumOption(*o)


class _Field:
    def __init__(self, key, kind, options=None):
        self.key = key
        self.kind = kind
        self.options = options or []
        self.title_text = ""
        self.description_text = ""
        #: The default as JSON text, or ``None``.
        self.default_json = None
        self.is_required = False
        self.placeholder_text = None

    @classmethod
    def string(cls, key):
        return cls(key, Kind.STRING)

    @classmethod
    def number(cls, key):
        return cls(key, Kind.NUMBER)

    @classmethod
    def integer(cls, key):
        return cls(key, Kind.INTEGER)

    @classmethod
    def boolean(cls, key):
        return cls(key, Kind.BOOLEAN)

    @classmethod
    def enumeration(cls, key, options):
        """One of ``options``: ``(value, label)`` pairs, ``(value, label, description)``, values
        or :class:`EnumOption`\\ s."""
        return cls(key, Kind.ENUM, [_option(o) for o in options])

    @classmethod
    def string_list(cls, key):
        return cls(key, Kind.STRING_LIST)

    @classmethod
    def string_map(cls, key):
        return cls(key, Kind.STRING_MAP)

    def title(self, title):
        self.title_text = title
        return self

    def description(self, description):
        self.description_text = description
        return self

    def default(self, value):
        """The value used when the field is absent (any JSON value)."""
        self.default_json = to_json(value)
        return self

    def required(self):
        self.is_required = True
        return self

    def placeholder(self, placeholder):
        self.placeholder_text = placeholder
        return self


class Setting(_Field):
    """One key of the settings the module reads: ``jsonData.<key>``, or ``secureJsonData.<key>``
    when :meth:`secret` (declare how the module uses it in ``secure_settings``)."""

    def __init__(self, key, kind, options=None):
        super().__init__(key, kind, options)
        self.is_secret = False

    def secret(self):
        self.is_secret = True
        return self


class QueryField(_Field):
    """One property of the module's query model."""

    def __init__(self, key, kind, options=None):
        super().__init__(key, kind, options)
        self.is_main = False
        self.is_multiline = False

    def main(self):
        """The query's main text: shown first and widest."""
        self.is_main = True
        return self

    def multiline(self):
        """Long text, edited in a code editor."""
        self.is_multiline = True
        return self


class Descriptor:
    """What a module tells Grafana's editors about itself; see the module docs."""

    def __init__(self, description=""):
        self.description = description
        self.settings = []
        self.query_fields = []
        #: The default query as JSON text, or ``None``.
        self.default_query_json = None
        #: ``[(path, description)]``.
        self.streams = []
        self.variable_query_type = None
        self.annotation_query_type = None

    def with_setting(self, setting):
        self.settings.append(setting)
        return self

    def with_query_field(self, field):
        self.query_fields.append(field)
        return self

    def with_default_query(self, query):
        """The query a new panel starts with: a dict."""
        if not isinstance(query, dict):
            raise TypeError("the default query must be a JSON object (a dict)")
        self.default_query_json = to_json(query)
        return self

    def with_stream(self, path, description):
        """A Grafana Live channel ``ds/<uid>/<path>``; ``{name}`` marks a variable part."""
        self.streams.append((path, description))
        return self

    def with_variable_query_type(self, query_type):
        self.variable_query_type = query_type
        return self

    def with_annotation_query_type(self, query_type):
        self.annotation_query_type = query_type
        return self
