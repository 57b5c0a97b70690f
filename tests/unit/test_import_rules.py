"""The import rules of ARCHITECTURE.md, checked on the source so nobody has to remember them.

1. ``eservices`` imports the standard library and its few libraries, nothing of ours or of the web.
2. ``app.models`` and ``app.services`` never import Flask.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = {"flask", "flask_wtf", "flask_login", "flask_babel", "werkzeug"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(folder: str) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}"
    return files


@pytest.mark.parametrize("path", python_files("eservices"), ids=lambda p: str(p.relative_to(ROOT)))
def test_eservices_imports_nothing_of_the_web_or_the_app(path: Path) -> None:
    forbidden = {name for name in imported_modules(path) if name.split(".")[0] in WEB | {"app", "sqlalchemy"}}
    assert forbidden == set()


@pytest.mark.parametrize(
    "path", python_files("app/models") + python_files("app/services"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_models_and_services_do_not_import_flask(path: Path) -> None:
    forbidden = {name for name in imported_modules(path) if name.split(".")[0] in WEB}
    assert forbidden == set()
