"""The WIT ``datasource`` interface's resource module, as componentize-py looks it up
(``--export-interface-name quarry:datasource/datasource@0.3.0=quarry_guest_exports``)."""

from quarry_guest._component import Instance  # noqa: F401
