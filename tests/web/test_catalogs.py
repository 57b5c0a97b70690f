"""The interface catalogs: every offered language complete, nothing fuzzy, placeholders as in the source."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from conftest import ROOT

from app.config import Defaults

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
#: English is the language of the source text: its catalog may stay empty.
SOURCE_LANGUAGE = "en"
COMPLETE = [code for code in Defaults.LANGUAGES if code != SOURCE_LANGUAGE]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> dict:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [Path(sys.executable).parent / "pybabel", "-q", "extract", "-F", "translations/babel.cfg",
         "-k", "lazy_gettext", "-k", "N_", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", COMPLETE)
def test_catalog_is_complete_and_placeholders_match(language: str, source: dict) -> None:
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalog for {language}"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    missing, fuzzy = [], []
    for msgid in source:
        message = catalog.get(msgid)
        if message is None or not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
    assert missing == [], f"{language}: {len(missing)} untranslated"
    assert fuzzy == [], f"{language}: fuzzy entries"
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check() if errors]
    # Babel only finds placeholders a translation invents; one it drops (a reference left out) counts too.
    for msgid in source:
        message = catalog.get(msgid)
        if message is None or isinstance(msgid, tuple):
            continue
        if set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(message.string)):
            problems.append((msgid, ["placeholders differ"]))
    assert problems == [], f"{language}: placeholders differ"
