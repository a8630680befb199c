"""The Chinese catalogs are complete: every message translated, none fuzzy, markup carried over.

A fuzzy message is one whose English changed since it was translated (sphinx-intl marks it): the
build would show the old translation of a paragraph that no longer says the same thing. The
catalogs' agreement with the current English is checked in test_translation_current.py.
"""
import pytest

from translation_catalogs import CATALOGS, catalogs, verbatim_markup

CATALOG_LIST = catalogs()


def test_there_are_catalogs_for_every_page():
    names = {name for name, _ in CATALOG_LIST}
    pages = {f"book/{p.stem}" for p in (CATALOGS.parents[2] / "book").glob("*.md")}
    assert pages and pages <= names, f"pages without a catalog: {sorted(pages - names)}"


@pytest.mark.parametrize("name, catalog", CATALOG_LIST, ids=[name for name, _ in CATALOG_LIST])
def test_every_message_is_translated_and_none_is_fuzzy(name, catalog):
    untranslated = [e.msgid[:80] for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid[:80] for e in catalog.fuzzy_entries()]
    assert not untranslated and not fuzzy, (
        f"{name}.po: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy (see TRANSLATING.md):\n  "
        + "\n  ".join([f"untranslated: {m}" for m in untranslated[:10]] + [f"fuzzy: {m}" for m in fuzzy[:10]]))


@pytest.mark.parametrize("name, catalog", CATALOG_LIST, ids=[name for name, _ in CATALOG_LIST])
def test_translations_keep_roles_math_and_code(name, catalog):
    """Numbers come from `{eval}`/`{glue:text}` roles and code stays code: a translation keeps them."""
    problems = []
    for entry in catalog.translated_entries():
        want, got = verbatim_markup(entry.msgid), verbatim_markup(entry.msgstr)
        for kind in want:
            if want[kind] != got[kind]:
                problems.append(f"{kind} {want[kind]} became {got[kind]} in: {entry.msgid[:70]}")
    assert not problems, f"{name}.po:\n  " + "\n  ".join(problems)


def test_the_markup_check_sees_a_changed_role():
    assert verbatim_markup("width {eval}`w` and $K$") != verbatim_markup("宽度 {eval}`h` 和 $K$")
    assert verbatim_markup("see {doc}`the page <intro>`") == verbatim_markup("见{doc}`该页 <intro>`")
