"""One import name, ``dxkb``: the user's top-level folders install as dxkb.kb, dxkb.api, dxkb.ontology and
dxkb.queries (``dxkb`` itself is a namespace package), so nothing generic like ``kb`` or ``api`` lands in
site-packages. Everything else about the distribution is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

FOLDERS = ("kb", "api", "ontology", "queries")
found = find_namespace_packages(include=[f"{folder}*" for folder in FOLDERS], exclude=["*__pycache__*"])

setup(packages=[f"dxkb.{name}" for name in found], package_dir={f"dxkb.{folder}": folder for folder in FOLDERS})
