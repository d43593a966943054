"""Write Quarry query modules in Python: Grafana datasources that run as WebAssembly components
(built with componentize-py) inside the Quarry host. The Python twin of the Rust crate
``quarry-guest``; see ``guest-sdk/python/README.md``.

A module subclasses :class:`Datasource` and exports it::

    import quarry_guest as q

    class Constant(q.Datasource):
        def query(self, query):
            r = query.time_range
            return [q.Frame("constant", [q.Field("time", [r.start, r.end]), q.Field("value", [1.0, 1.0])])]

    q.export(Constant)
"""

from . import log, serde
from ._registry import export
from .datasource import Datasource, Health, HealthStatus, PublishResponse, SubscribeResponse, Subscription
from .descriptor import Descriptor, EnumOption, Kind, QueryField, Setting
from .error import Error, ErrorKind, context
from .frame import EnumIndex, Field, FieldConfig, Frame, FrameMeta, FrameType, Notice, Severity, Time
from .serde import JsonError, Number, from_json, untagged
from .settings import (
    DataQuery, InstanceSettings, ResourceRequest, ResourceResponse, SecretGrant, SecretUse,
    SubscribeRequest, TimeRange,
)
from . import http

__all__ = [
    "export", "Datasource", "Health", "HealthStatus", "PublishResponse", "SubscribeResponse", "Subscription",
    "Descriptor", "EnumOption", "Kind", "QueryField", "Setting", "Error", "ErrorKind", "context",
    "EnumIndex", "Field", "FieldConfig", "Frame", "FrameMeta", "FrameType", "Notice", "Severity", "Time",
    "JsonError", "Number", "from_json", "untagged", "DataQuery", "InstanceSettings", "ResourceRequest",
    "ResourceResponse", "SecretGrant", "SecretUse", "SubscribeRequest", "TimeRange", "log", "serde", "http",
]

#: The WIT contract this SDK implements.
CONTRACT = "quarry:datasource@0.3.0"
