"""convgrade.markup and convgrade.csp against the payload lists (markup_payloads.py, the OWASP XSS
filter evasion classics and what notebooks add).

What survives cleaning is judged by parsing it with an HTML parser (Python's html.parser, which
decodes entities in attribute values) against this file's own rules, stricter than the cleaner's:
no element that can run or load script, frame, embed or submit anything; no event handler, style,
class or id attribute; every address an explicit http(s)/mailto URL or a #fragment. Each rule is
shown able to fail on the payloads as nbconvert renders them uncleaned. The browser's own verdict
(Chromium, formgrader and feedback pages) is test_formgrader.py's.
"""
import base64
import hashlib
import html.parser

import nbformat
import pytest

import markup_payloads as payloads
from convgrade import csp
from convgrade.markup import (SanitizeMarkup, clean_bundle, clean_html, clean_markdown, clean_output,
                              render_markdown)

FORBIDDEN = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "input", "button",
             "textarea", "select", "option", "meta", "link", "style", "svg", "template", "noscript", "body", "html",
             "head", "video", "audio", "source", "marquee", "xmp", "param", "portal", "dialog"}
ADDRESSES = {"href", "src", "xlink:href", "action", "formaction", "data", "background", "poster", "srcset", "ping",
             "codebase", "cite", "longdesc", "usemap", "dynsrc", "lowsrc"}


class Audit(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name in ("style", "class", "id", "name", "srcdoc", "formaction", "http-equiv"):
                self.problems.append(f"{tag} {name}")
            elif name in ADDRESSES and not value.startswith(("http://", "https://", "mailto:", "#")):
                self.problems.append(f"{tag} {name}={value[:30]}")

    handle_startendtag = handle_starttag


def problems(markup):
    audit = Audit()
    audit.feed(markup)
    audit.close()
    return audit.problems


@pytest.mark.parametrize("payload", payloads.HTML_PAYLOADS, ids=range(len(payloads.HTML_PAYLOADS)))
def test_no_script_capable_html_survives_cleaning(payload):
    cleaned = clean_html(payload)
    assert problems(cleaned) == [], cleaned
    assert "PWNED" not in cleaned or "<" not in cleaned.split("PWNED")[0][-200:].split(">")[-1]
    assert clean_html(cleaned) == cleaned, "cleaning is stable"


@pytest.mark.parametrize("payload", payloads.MARKDOWN_PAYLOADS, ids=range(len(payloads.MARKDOWN_PAYLOADS)))
def test_no_script_capable_markdown_survives_cleaning(payload):
    assert problems(render_markdown(payload)), "the control: nbconvert renders this payload dangerous"
    cleaned, changed = clean_markdown(payload)
    assert changed
    shown = render_markdown(cleaned)  # what formgrader's and feedback's templates make of the cell
    assert problems(shown) == [], shown
    assert clean_markdown(cleaned) == (cleaned, False), "cleaning again changes nothing"


def test_every_html_payload_is_dangerous_uncleaned():
    harmless = [p for p in payloads.HTML_PAYLOADS if not problems(p) and "<!--" not in p and "<math" not in p]
    assert harmless == [], "each payload trips the audit before cleaning"


@pytest.mark.parametrize("source", [
    "# A heading\n\nSome *text*, `code`, $x^2 + y$ and $$\\sum_i a_i$$.",
    "- a list\n- [a link](https://pytorch.org/docs) and [an anchor](#a-heading)\n\n1. one\n2. two",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('x')\n```",
    "My answer: the output has shape (2, 3) because 6 - 3 + 1 = 4... no, 4 > 3.",
])
def test_honest_markdown_is_kept_as_written(source):
    assert clean_markdown(source) == (source, False)


def test_cleaned_markdown_keeps_what_is_safe():
    cleaned, _ = clean_markdown("**bold** <b>html</b> [a](https://x.org) <math><mi>x</mi></math>\n\n<pre>a\n\nb</pre>")
    shown = render_markdown(cleaned)
    for kept in ("<strong>bold</strong>", "<b>html</b>", 'href="https://x.org"', "<math><mi>x</mi></math>",
                 "<pre>a&#10;&#10;b</pre>"):
        assert kept in shown


def test_a_missing_attachment_is_shown_as_text_not_an_error():
    cleaned, changed = clean_markdown("![x](attachment:gone.png) <b>", attachments={})
    assert changed and problems(render_markdown(cleaned)) == []


def test_output_bundles_keep_only_the_allowed_types():
    data = {"text/plain": "1.0", "text/html": payloads.HTML_PAYLOADS[2], "application/javascript": payloads.RUN,
            "image/svg+xml": "<svg onload='x()'/>", "image/png": payloads.PNG,
            "application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/latex": "$x$"}
    metadata = {"image/png": {"width": "1 onerror=alert(1)", "height": 7, "unconfined": True},
                "text/html": {"isolated": True}}
    kept, meta, removed = clean_bundle(data, metadata)
    assert set(kept) == {"text/plain", "text/html", "image/png", "text/latex"}
    assert kept["text/plain"] == "1.0", "the text a partial-credit test returns stays"
    assert problems(kept["text/html"]) == []
    assert meta == {"image/png": {"height": 7}}, "sizes only as integers; no isolated iframe"
    assert sorted(removed) == ["application/javascript", "application/vnd.jupyter.widget-view+json", "image/svg+xml"]


def test_an_image_must_be_valid_base64_of_its_type():
    for value in ('x" onerror="alert(1)', base64.b64encode(b"<svg/onload=alert(1)>").decode(), ["not", 1]):
        kept, _, removed = clean_bundle({"image/png": value}, {})
        assert "image/png" not in kept and removed == ["image/png"]
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(20)).decode()
    assert clean_bundle({"image/jpeg": jpeg[:10] + "\n" + jpeg[10:]}, {})[0]["image/jpeg"] == jpeg


def test_markdown_output_becomes_cleaned_html_and_a_note_replaces_what_went():
    kept, _, _ = clean_bundle({"text/markdown": payloads.MARKDOWN_PAYLOADS[0]}, {})
    assert set(kept) == {"text/html"} and problems(kept["text/html"]) == []
    kept, _, _ = clean_bundle({"application/javascript": "alert(1)"}, {})
    assert kept == {"text/plain": "[output removed by the grader: application/javascript]"}


def test_streams_and_errors_keep_their_text_under_valid_names():
    stream = clean_output(nbformat.v4.new_output("stream", name='stdout"><script>', text="<b>x</b>"))
    assert stream.name == "stdout" and stream.text == "<b>x</b>"  # the templates escape stream text
    assert clean_output(nbformat.v4.new_output("stream", name="stderr", text="e")).name == "stderr"
    error = clean_output(nbformat.from_dict({"output_type": "error", "ename": 1, "evalue": None, "traceback": "t"}))
    assert (error.ename, error.evalue, error.traceback) == ("1", "None", ["t"])
    assert clean_output(nbformat.from_dict({"output_type": "update_display_data", "data": {}})) is None


def test_the_preprocessor_cleans_cells_attachments_raw_cells_and_widget_state():
    nb = payloads.attacker_notebook(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Honest")]))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [nbformat.v4.new_output("display_data", data={"text/html": payloads.HTML_PAYLOADS[0],
                                                                 "application/javascript": payloads.RUN})]
    nb.cells.append(code)
    nb, _ = SanitizeMarkup().preprocess(nb, {})
    assert "widgets" not in nb.metadata
    assert nb.cells[0].source == "# Honest"  # kept as written: the renderer's own markup (a heading id)
    for cell in nb.cells[1:]:
        assert "attachments" not in cell
        if cell.cell_type == "markdown":
            assert problems(render_markdown(cell.source)) == [], cell.source
        elif cell.cell_type == "raw":
            assert problems(cell.source) == []
    assert code.outputs[0].data == {"text/html": "", "text/plain": "[output removed by the grader: application/javascript]"}


# ---------------------------------------------------------------- formgrader's policy

def _sha(code):
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def test_with_csp_allows_exactly_the_pages_own_inline_code():
    head = ('<!DOCTYPE html><html><head><script src="/static/a.js"></script><script>var id = "S1";</script>'
            '<script type="text/x-mathjax-config">not run</script></head>')
    nav = '<span onclick="toggle(true);">x</span><script>\nnav();\n</script>'
    page = csp.with_csp(head, nav)
    assert page.startswith('<!DOCTYPE html><html><head>\n<meta http-equiv="Content-Security-Policy"')
    policy = page.split('content="')[1].split('"')[0]
    script_src = policy.split("script-src ")[1].split(";")[0].split()
    assert sorted(s for s in script_src if s.startswith("'sha256-")) == sorted(
        [_sha('var id = "S1";'), _sha("toggle(true);"), _sha("\nnav();\n")])
    assert "'unsafe-inline'" not in script_src and "default-src 'none'" in policy


def test_with_csp_refuses_a_page_without_head():
    with pytest.raises(ValueError, match="with_csp"):
        csp.with_csp("<html><body></body></html>")


# What templates/formgrade_csp was written against (nbgrader 0.9.6): it repeats the header block of
# nbgrader's formgrade page (without MathJax), calls its `header` and `nav` macros, and stands in for
# the MathJax start-up signal formgrade.js waits for. A new nbgrader must be read again.
NBGRADER_FORMGRADE = {
    "formgrade/index.html.j2": "7a7a2c7539d2327c381f44cd7b37aa8965716d5c5bee5e98b38abaaccb65564f",
    "formgrade/formgrade_macros.html.j2": "5eed6cc257f4aa3ba233812d878f47b1435da3528c7dbcfb4dbf2da5b40ce30e",
    "../static/js/formgrade.js": "53db14a9ea4a17ffbeb11ebc5e5ccd392fec01f78b6290d26fc1f86a47d96cbb",
}


def test_nbgrader_formgrade_page_is_the_one_formgrade_csp_was_written_for():
    import pathlib

    from convgrade.feedback import FORMGRADER_TEMPLATES
    changed = [name for name, digest in NBGRADER_FORMGRADE.items()
               if hashlib.sha256((pathlib.Path(FORMGRADER_TEMPLATES) / name).read_bytes()).hexdigest() != digest]
    assert changed == [], (f"nbgrader's formgrader changed ({', '.join(changed)}): check that "
                           "src/convgrade/templates/formgrade_csp still matches its header block, macros and "
                           "MathJax use, run tests/test_formgrader.py, then update NBGRADER_FORMGRADE")
