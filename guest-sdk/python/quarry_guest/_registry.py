"""The datasource class a module exported with :func:`quarry_guest.export`."""

_exported = None


def export(cls):
    """Exports ``cls`` (a :class:`~quarry_guest.Datasource` subclass) as the module's datasource."""
    global _exported
    from .datasource import Datasource
    if not (isinstance(cls, type) and issubclass(cls, Datasource)):
        raise TypeError("export() takes a quarry_guest.Datasource subclass, not %r" % (cls,))
    if _exported is not None and _exported is not cls:
        raise RuntimeError("a module exports one datasource; %s is already exported" % _exported.__name__)
    _exported = cls
    return cls


def datasource():
    if _exported is None:
        raise RuntimeError("no datasource exported: call quarry_guest.export(YourDatasource) in the module")
    return _exported
