"""Every e-service bundled in ``forms/`` loads: a broken file must never reach a resident."""

from __future__ import annotations

from pathlib import Path

import pytest

from eservices.schema import load_file

REPO_ROOT = Path(__file__).resolve().parents[2]
FORM_FILES = sorted((REPO_ROOT / "forms").glob("*.yaml"))


def test_the_bundled_e_services_are_there() -> None:
    assert len(FORM_FILES) >= 8, f"{len(FORM_FILES)} form files in {REPO_ROOT / 'forms'}"


@pytest.mark.parametrize("path", FORM_FILES, ids=[path.name for path in FORM_FILES])
def test_each_bundled_form_loads(path) -> None:
    definition = load_file(path)
    assert definition.pages
    assert any(item.type.has_input for item in definition.fields.values())


def test_each_bundled_form_has_its_own_slug() -> None:
    slugs = [load_file(path).slug for path in FORM_FILES]
    assert len(slugs) == len(set(slugs)), sorted(slugs)
