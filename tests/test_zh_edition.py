"""The Chinese edition as built: the same code and numbers as the English one, Chinese search.

The editions are two Sphinx runs of the same executed chapters (tools/build_book.py), so their
code cells, outputs and glued numbers must be identical, page by page, while the prose differs.
Needs `make book`.
"""
import html.parser
import json
import re

import pytest

from built_site import ROOT, html_pages, require_site


class _Parts(html.parser.HTMLParser):
    """Text of the code cells' inputs and outputs, and of numbers in the prose ({eval}, {glue:text})."""

    KINDS = {"cell_input": "code", "cell_output": "output", "pasted-text": "glued"}

    def __init__(self):
        super().__init__()
        self.parts = {kind: [] for kind in self.KINDS.values()}
        self.stack = []  # (tag, kind or None) of open elements

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        kind = next((k for c, k in self.KINDS.items() if c in classes), None)
        if tag == "span" and "text_plain" in classes:
            kind = "glued"  # an {eval} role's value (tools/eval_role.py)
        if kind and not any(open_kind for _, open_kind in self.stack):
            self.parts[kind].append("")
        else:
            kind = None
        if tag not in ("br", "img", "input", "meta", "link", "hr", "wbr", "source"):
            self.stack.append((tag, kind))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _, kind in self.stack:
            if kind:
                self.parts[kind][-1] += data


def _parts(path):
    parser = _Parts()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.parts


@pytest.fixture(scope="module")
def editions():
    return require_site("en"), require_site("zh")


def _chapters(site):
    return [p for p in html_pages(site) if p.startswith("book/")]


def test_both_editions_have_the_same_pages(editions):
    en, zh = editions
    assert _chapters(en) and _chapters(en) == _chapters(zh)


PAGES = sorted(f"book/{p.stem}.html" for p in (ROOT / "book").glob("*.md"))


def test_the_comparison_below_has_code_and_numbers_to_compare(editions):
    en = _parts(editions[0] / "book" / "01_why_convolution.html")
    assert en["code"] and en["output"] and en["glued"], "no code cells, outputs or glued numbers found"


@pytest.mark.parametrize("page", PAGES)
def test_code_outputs_and_numbers_are_the_english_ones(editions, page):
    en, zh = (_parts(site / page) for site in editions)
    assert en["code"] == zh["code"], f"{page}: the code of the two editions differs"
    # Outputs are the same executed notebook's; a Markdown output (a table the code printed) is
    # rendered as text, so its words are translated, but its numbers never.
    numbers = [[sorted(re.findall(r"-?\d+(?:[.,]\d+)*", output)) for output in edition["output"]]
               for edition in (en, zh)]
    assert numbers[0] == numbers[1], f"{page}: the outputs' numbers of the two editions differ"
    # a translation may put a sentence's numbers in another order, never change or drop one
    assert sorted(en["glued"]) == sorted(zh["glued"]), f"{page}: the glued numbers of the two editions differ"


def test_every_zh_chapter_is_translated(editions):
    en, zh = editions
    english_only = []
    for page in _chapters(zh):
        text = (zh / page).read_text(encoding="utf-8")
        title = re.search(r"<h1>(.*?)<a", text, flags=re.S)
        if not title or not re.search(r"[\u4e00-\u9fff]", title.group(1)):
            english_only.append(page)
    assert not english_only, f"zh pages whose title is not Chinese: {english_only}"


def _search_index(site):
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def test_chinese_search_finds_the_receptive_field_chapter(editions):
    index = _search_index(editions[1])
    docs = index["docnames"]
    # Sphinx files a word of a page's title under titleterms only, the rest under terms
    found = set()
    for kind in ("terms", "titleterms"):
        hits = index[kind].get("感受野", [])
        found |= {docs[i] for i in ([hits] if isinstance(hits, int) else hits)}
    assert found, "感受野 is not a search term of the zh edition (jieba not used, or no dictionary)"
    assert "book/08_receptive_field" in found


def test_the_glossary_is_a_chinese_page_linking_to_the_chapters(editions):
    page = (editions[1] / "book" / "glossary.html").read_text(encoding="utf-8")
    assert "术语表" in page
    for term, chapter in [("互相关", "02_cross_correlation"), ("感受野", "08_receptive_field"),
                          ("汇聚", "07_pooling"), ("步幅", "05_padding_and_stride")]:
        assert term in page and f'href="{chapter}.html"' in page, (term, chapter)
