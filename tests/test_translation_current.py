"""The Chinese catalogs are up to date with the English: what the gettext builder extracts from the
chapters now is exactly what the catalogs translate.

An English edit that nobody carried into the catalogs (`make catalogs`) fails here, so the Chinese
edition can never silently show a paragraph of English or a translation of an older text. Runs
Sphinx's gettext builder on the book (the chapters come from the execution cache: needs `make book`).
"""
import subprocess
import sys

import polib
import pytest

from translation_catalogs import CATALOGS, ROOT


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    out = tmp_path_factory.mktemp("gettext")
    if not (ROOT / "_build" / ".jupyter_cache").is_dir():
        pytest.fail("no execution cache in _build: run `make book` first", pytrace=False)
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py"), "--gettext", str(out)],
                   check=True, cwd=ROOT, capture_output=True, text=True)
    return {p.relative_to(out).with_suffix("").as_posix(): polib.pofile(str(p)) for p in out.rglob("*.pot")}


def test_every_template_has_a_catalog_and_no_catalog_is_left_over(templates):
    catalogs = {p.relative_to(CATALOGS).with_suffix("").as_posix() for p in CATALOGS.rglob("*.po")}
    assert set(templates) == catalogs, (
        f"without a catalog: {sorted(set(templates) - catalogs)}; no page any more: {sorted(catalogs - set(templates))}"
        " (run `make catalogs`)")


def test_the_catalogs_translate_exactly_the_current_english(templates):
    problems = []
    for name, template in sorted(templates.items()):
        path = CATALOGS / f"{name}.po"
        if not path.is_file():
            continue
        want = {e.msgid for e in template}
        have = {e.msgid for e in polib.pofile(str(path)) if not e.obsolete}
        problems += [f"{name}: new English, not in the catalog: {m[:80]}" for m in sorted(want - have)]
        problems += [f"{name}: in the catalog, no longer in the English: {m[:80]}" for m in sorted(have - want)]
    assert not problems, "run `make catalogs` and translate (TRANSLATING.md):\n  " + "\n  ".join(problems)
