"""Optional sources of ``dxkb build``, registered by name in :data:`kb.modules.OPTIONAL_SOURCES`.

Each entry is a factory that imports its module only when the build asks for it, so importing ``kb.modules``
stays cheap (the server never pays for fastobo). ``dxkb build --without NAME`` leaves one out.
"""

from __future__ import annotations

from kb.modules import OPTIONAL_SOURCES, Importer


def _hpo() -> Importer:
    from kb.importers.hpo import import_hpo

    return import_hpo


OPTIONAL_SOURCES["hpo"] = _hpo
