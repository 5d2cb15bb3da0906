"""dxkb knowledge base: settings, stores, build, importers and the diagnosis engine."""

__version__ = "0.1.0"
