"""The `Datasource` base class a module subclasses, and the answers its methods give."""

import dataclasses
import datetime as _dt
import enum

from .error import Error

__all__ = ["Datasource", "Health", "HealthStatus", "Subscription", "SubscribeResponse", "PublishResponse"]


class HealthStatus(enum.Enum):
    UNKNOWN = "unknown"
    OK = "ok"
    ERROR = "error"


@dataclasses.dataclass
class Health:
    """The answer to Grafana's "Save & test"."""

    status: HealthStatus
    message: str
    #: A JSON object shown under the message.
    details: dict = None

    @classmethod
    def ok(cls, message):
        return cls(HealthStatus.OK, message)

    @classmethod
    def error(cls, message):
        return cls(HealthStatus.ERROR, message)

    def with_details(self, details):
        self.details = details
        return self


@dataclasses.dataclass
class Subscription:
    """An accepted subscription: the host calls ``stream_tick`` every ``interval``.

    ``interval`` is a ``timedelta`` or milliseconds (sent in whole milliseconds).
    """

    interval: object
    #: A frame sent to the subscriber first, typically the schema with no rows.
    initial: object = None

    @property
    def interval_ms(self):
        if isinstance(self.interval, _dt.timedelta):
            return int(self.interval / _dt.timedelta(milliseconds=1))
        return int(self.interval)


class SubscribeResponse:
    """What ``subscribe_stream`` answers: :meth:`ok` (or a bare :class:`Subscription`),
    :data:`NOT_FOUND` or :data:`PERMISSION_DENIED`."""

    NOT_FOUND = "not-found"
    PERMISSION_DENIED = "permission-denied"

    @staticmethod
    def ok(subscription):
        return subscription


class PublishResponse:
    """What ``publish_stream`` answers: :meth:`ok`, :data:`NOT_FOUND` or :data:`PERMISSION_DENIED`."""

    NOT_FOUND = "not-found"
    PERMISSION_DENIED = "permission-denied"

    def __init__(self, data=None):
        #: The JSON text to publish to the channel, if any.
        self.data = data

    @classmethod
    def ok(cls, data=None):
        return cls(data)

    def __eq__(self, other):
        return isinstance(other, PublishResponse) and other.data == self.data

    def __repr__(self):
        return "PublishResponse.ok(%r)" % (self.data,)


class Datasource:
    """A Quarry query module: one object per Grafana datasource instance.

    Subclass it, override ``__init__(self, settings)`` (raise :class:`Error` for bad settings) and
    :meth:`query`, and export the class with ``quarry_guest.export(MyDatasource)``. Every other
    method has the Rust SDK's default.
    """

    @classmethod
    def secure_settings(cls):
        """The secure settings the module asks for (a list of ``SecretGrant``). Default: none."""
        return []

    @classmethod
    def describe(cls):
        """What Grafana's editors show (a ``Descriptor``); called without an instance.
        Default: an empty descriptor."""
        from .descriptor import Descriptor
        return Descriptor()

    def __init__(self, settings):
        #: The :class:`InstanceSettings` the instance was made from.
        self.settings = settings

    def query(self, query):
        """Answers one :class:`DataQuery` with a list of frames."""
        raise Error.not_implemented("this module does not answer queries")

    def check_health(self):
        """Default: ``Health.ok("OK")``."""
        return Health.ok("OK")

    def call_resource(self, request):
        """Default: a not-implemented error."""
        raise Error.not_implemented("this module has no resources (asked for %s %s)" % (request.method, request.path))

    def subscribe_stream(self, request):
        """Default: :data:`SubscribeResponse.NOT_FOUND`."""
        return SubscribeResponse.NOT_FOUND

    def stream_tick(self, path, data):
        """Default: a not-implemented error."""
        raise Error.not_implemented("this module does not stream (asked for %s)" % path)

    def publish_stream(self, path, data):
        """Default: :data:`PublishResponse.PERMISSION_DENIED`."""
        return PublishResponse.PERMISSION_DENIED
