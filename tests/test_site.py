"""Open every page of the built book in headless Chromium, as a reader on an intranet would.

Each page must load without a request to another host (blocked and recorded), without a failed
request, console error or script error; every image must load, every formula must be typeset by
the site's own MathJax (no raw TeX left), every internal link must reach an existing page and
anchor, and no ipywidgets control may appear (widgets need a kernel; the pages show figures, and
the live explorers' own controls, tested in tests/test_live_explorers.py).

Each page must also pass an accessibility audit by axe-core (fetched from the npm registry by
tools/vendor_assets.py, pinned and integrity-checked) with no serious or critical violation, be
usable by keyboard, show every figure sharp (2x) and readable (no label under 8 points at the size
it is displayed, nothing cut off or overlapping), and keep short inline code and formulas on one
line.

Both editions are checked the same way, page by page: the English one in en/ and the Chinese one
in zh/ (tools/build_book.py). Each of their pages must carry its edition's <html lang> and a
language switch to the same page in the other edition, and Chinese text must be drawn with a
real CJK font (screenshots of single characters differ; missing glyphs are identical boxes).

Needs the built site (`make book`; CONVLAB_SITE_DIR points at another build) and Debian's
chromium. Without chromium the tests are skipped loudly, or fail when CONVLAB_REQUIRE_BROWSER=1
(CI). Set CONVLAB_SITE_SHOTS=/some/dir to also save a full-page screenshot of every page.
"""
import functools
import html.parser
import importlib.util
import json
import os
import pathlib
import re
import sys
import urllib.parse

import pytest

from built_site import EDITIONS, HTML_LANG, ROOT, edition_of, html_pages, require_root, site_dir, static_server

CHROMIUM = os.environ.get("CONVLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# Every URL that is not on the test server (which listens on 127.0.0.1 only).
OTHER_HOSTS = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")

# Runs in the page once it has loaded: waits for MathJax, fonts and images, then reports.
INSPECT_PAGE = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));

  const mathNodes = Array.from(document.querySelectorAll('.math'));
  // Text a reader sees, outside code, code outputs and typeset math: raw TeX must not be there.
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .cell_output';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawTex = [];
  const texPattern = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$]*[\\^_{}][^$]*\$/;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent && !parent.closest(skip) && texPattern.test(node.textContent)) {
      rawTex.push(node.textContent.trim().slice(0, 120));
    }
  }
  const widgetSelector = [
    '.jupyter-widgets', '.widget-area', '.widget-slider', '.widget-hslider', '.widget-box',
    '.widget-output', '.lm-Widget', 'input[type="range"]',
    'script[type^="application/vnd.jupyter.widget"]',
  ].join(', ');
  // A widget whose view was not rendered shows its text repr in the cell output instead.
  const widgetRepr = /\b(Int|Float|IntRange|FloatRange|Selection)?Slider\(|interactive\(children=|[VH]Box\(children=|Dropdown\(/;
  const outputs = Array.from(document.querySelectorAll('.cell_output'));
  return {
    brokenImages: images.filter(img => !img.complete || img.naturalWidth === 0)
                        .map(img => img.getAttribute('src')),
    mathNodes: mathNodes.length,
    untypesetMath: mathNodes.filter(n => !n.querySelector('mjx-container'))
                            .map(n => n.textContent.trim().slice(0, 120)),
    mathErrors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
                     .map(n => n.getAttribute('data-mjx-error') || n.textContent),
    rawTex: rawTex,
    // the live explorers' own controls (book/_static/convlab-live.js) are not ipywidgets
    widgets: Array.from(document.querySelectorAll(widgetSelector))
                  .filter(n => !n.closest('.convlab-live'))
                  .map(n => n.outerHTML.slice(0, 120)),
    widgetReprs: outputs.filter(n => widgetRepr.test(n.textContent))
                        .map(n => n.textContent.trim().slice(0, 120)),
    // <link href> too: stylesheets, the favicon, next/prev (a missing favicon is a 404 per page)
    hasIcon: document.querySelector('link[rel~="icon"]') !== null,
    links: Array.from(document.querySelectorAll('a[href], link[href]')).map(a => a.href),
    lang: document.documentElement.getAttribute('lang'),
    languageSwitch: Array.from(document.querySelectorAll('a.book-language-switch')).map(a => a.href),
  };
}
"""


class _Anchors(html.parser.HTMLParser):
    """Collects the ids (and legacy <a name>) a page offers as link targets."""

    def __init__(self):
        super().__init__()
        self.anchors = set()
        self.refresh = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.anchors.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.anchors.add(attrs["name"])
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.refresh = attrs.get("content", "")


@functools.lru_cache(maxsize=None)
def _parse(path):
    parser = _Anchors()
    parser.feed(pathlib.Path(path).read_text(encoding="utf-8", errors="replace"))
    return parser


def _redirect_target(site, page):
    """The URL a meta-refresh page sends readers to, or None for a normal page."""
    content = _parse(site / page).refresh
    if content is None:
        return None
    match = re.search(r"url=(.+)$", content, flags=re.IGNORECASE)
    return match.group(1).strip("'\" ") if match else ""


def _dead_link(site, base_url, href):
    """Why an internal link is dead, or None if it is fine (external links are not followed)."""
    url = urllib.parse.urlsplit(href)
    if url.scheme not in ("http", "https"):
        return None  # mailto:, javascript: and the like
    if urllib.parse.urlsplit(base_url).netloc != url.netloc:
        return None  # another host: a link the reader may follow, not a request the page makes
    target = site / urllib.parse.unquote(url.path).lstrip("/")
    if url.path.endswith("/"):
        target = target / "index.html"
    if not target.is_file():
        return f"{href}: no such file in the site"
    if url.fragment and target.suffix == ".html":
        fragment = urllib.parse.unquote(url.fragment)
        if fragment not in _parse(target).anchors:
            return f"{href}: no element with id {fragment!r} in {target.relative_to(site)}"
    return None


def _browser_unavailable(config, reason):
    message = (
        f"BROWSER TESTS OF THE WEBSITE NOT RUN: {reason}. Install Debian's chromium "
        "(apt-get install chromium; `make test` does it when run as root)."
    )
    if os.environ.get("CONVLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " CONVLAB_REQUIRE_BROWSER=1 makes this an error.", pytrace=False)
    banner = "!" * 100
    # Straight to the terminal, past pytest's capture: a skipped browser test must be noticed.
    with config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(f"\n{banner}\n!!! {message}\n{banner}", file=sys.stderr, flush=True)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site():
    return require_root()


@pytest.fixture(scope="module")
def server_url(site):
    with static_server(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context(site, pytestconfig):
    if not pathlib.Path(CHROMIUM).is_file():
        _browser_unavailable(pytestconfig, f"no chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _browser_unavailable(pytestconfig, f"Playwright for Python is not installed ({error})")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context
        context.close()
        browser.close()


def _pages_to_visit():
    site = site_dir()
    # Without a built site, one placeholder case reports how to build it (see require_site).
    return html_pages(site) if (site / "index.html").is_file() else ["index.html"]


@pytest.mark.parametrize("page_path", _pages_to_visit())
def test_page_works_offline(page_path, site, server_url, browser_context):
    redirect = _redirect_target(site, page_path)
    if redirect is not None:
        # A meta-refresh stub: its only content is where it sends the reader.
        target = urllib.parse.urljoin(server_url + page_path, redirect)
        assert redirect and _dead_link(site, server_url, target) is None, (
            f"{page_path} redirects to a missing page: {redirect!r}"
        )
        return

    problems = []
    external = []

    def block(route):
        external.append(route.request.url)
        route.abort()

    page = browser_context.new_page()
    # A regex is matched inside Playwright's driver: local requests never wait on Python.
    page.route(OTHER_HOSTS, block)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda msg: problems.append(f"console error: {msg.text}")
            if msg.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(
        f"request failed: {request.url} ({request.failure})")
        if request.url not in external else None)
    page.on("response", lambda response: problems.append(
        f"HTTP {response.status}: {response.url}") if response.status >= 400 else None)
    try:
        # ?stay: the root page itself, not the edition its script sends a reader to (tested below)
        page.goto(server_url + page_path + ("?stay" if edition_of(page_path) is None else ""), wait_until="load")
        page.wait_for_load_state("networkidle")
        report = page.evaluate(INSPECT_PAGE)
        shots = os.environ.get("CONVLAB_SITE_SHOTS")
        if shots:
            name = page_path.replace("/", "__").removesuffix(".html") + ".png"
            pathlib.Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(pathlib.Path(shots) / name), full_page=True)
    finally:
        page.close()

    problems += [f"request to another host: {url}" for url in external]
    problems += [f"image did not load: {src}" for src in report["brokenImages"]]
    problems += [f"formula not typeset: {text}" for text in report["untypesetMath"]]
    problems += [f"MathJax error: {text}" for text in report["mathErrors"]]
    problems += [f"raw TeX in the text: {text}" for text in report["rawTex"]]
    problems += [f"widget control in the page: {tag}" for tag in report["widgets"]]
    problems += [f"widget shown as text: {text}" for text in report["widgetReprs"]]
    edition = edition_of(page_path)
    if edition is not None:
        if report["lang"] != HTML_LANG[edition]:
            problems.append(f"<html lang={report['lang']!r}>, expected {HTML_LANG[edition]!r}")
        other = next(e for e in EDITIONS if e != edition)
        twin = f"{server_url}{other}/{page_path.split('/', 1)[1]}"
        if report["languageSwitch"] != [twin]:
            problems.append(f"language switch {report['languageSwitch']}, expected one link to {twin}")
    if not report["hasIcon"]:
        problems.append("no <link rel=icon>: browsers then request /favicon.ico, a 404 per page")
    base = server_url + page_path
    problems += [
        f"dead link: {why}"
        for why in sorted({_dead_link(site, base, href) for href in report["links"]} - {None})
    ]
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def test_some_page_has_math_for_mathjax_to_render(site):
    """Keeps the formula checks above from passing vacuously: both editions have formulas."""
    for edition in EDITIONS:
        with_math = [p for p in html_pages(site / edition) if 'class="math' in (site / edition / p).read_text()]
        assert with_math, f"no page of the {edition} edition has a formula; the MathJax checks test nothing"


def test_every_page_has_its_twin_in_the_other_edition(site):
    """Keeps the language-switch check from passing on a missing edition: same pages in both."""
    pages = {edition: set(html_pages(site / edition)) for edition in EDITIONS}
    assert pages["en"] and pages["en"] == pages["zh"], (
        f"only in en: {sorted(pages['en'] - pages['zh'])}; only in zh: {sorted(pages['zh'] - pages['en'])}")


# --- what every reader sees: accessibility, keyboard, figures, line breaks -------------------------

def _vendor_assets():
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "tools" / "vendor_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def axe_script(site):
    """axe-core's script, fetched once (npm registry, pinned version and integrity) into the build folder."""
    return _vendor_assets().ensure_axe(site.parent / ".vendor").read_text(encoding="utf-8")  # _build/.vendor


def _open(browser_context, url):
    page = browser_context.new_page()
    page.route(OTHER_HOSTS, lambda route: route.abort())
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.evaluate("""async () => {
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
      await document.fonts.ready;
      await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
    }""")
    return page


def _content_pages():
    def name(p):
        return p.rsplit("/", 1)[-1]
    return [p for p in _pages_to_visit() if not name(p).startswith("genindex") and name(p) != "search.html"
            and (site_dir() / p).is_file() and _redirect_target(site_dir(), p) is None] or ["index.html"]


def _chapter_pages():
    """Pages of book/ in both editions (en/book/..., zh/book/...)."""
    return [p for p in _content_pages() if re.match(r"(en|zh)/book/", p)]


SERIOUS = ("serious", "critical")


@pytest.mark.parametrize("page_path", _content_pages())
def test_page_passes_an_axe_audit(page_path, site, server_url, browser_context, axe_script):
    page = _open(browser_context, server_url + page_path)
    try:
        page.add_script_tag(content=axe_script)
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                   nodes: v.nodes.map(n => n.target.join(' '))}))""")
    finally:
        page.close()
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"{page_path}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {v['nodes'][:3]}" for v in serious)


def test_the_axe_audit_finds_what_it_should(browser_context, axe_script):
    """Keeps the audit above from passing vacuously: an image without alt text is a critical violation."""
    page = browser_context.new_page()
    try:
        page.set_content("<html lang='en'><head><title>t</title></head><body><main>"
                         "<img src='data:image/png;base64,iVBORw0KGgo='></main></body></html>")
        page.add_script_tag(content=axe_script)
        ids = page.evaluate("async () => (await axe.run(document)).violations.map(v => v.id + ':' + v.impact)")
    finally:
        page.close()
    assert "image-alt:critical" in ids


def _png_report(site, src):
    from PIL import Image

    path = site / urllib.parse.unquote(urllib.parse.urlsplit(src).path).lstrip("/")
    with Image.open(path) as image:
        text = image.text.get("convlab-report")
        return image.size, (json.loads(text) if text else None)


FIGURE_MIN_PT = 8


@pytest.mark.parametrize("page_path", [p for p in _content_pages() if edition_of(p) is not None
                                       and (p.startswith(("en/book/", "zh/book/")) or p.endswith("/index.html"))])
def test_figures_are_sharp_readable_and_described(page_path, site, server_url, browser_context):
    """Every figure: a 2x PNG made by convlab's NotebookFigure, nothing outside or overlapping,
    labels of 8 points or more at the size the page shows it, and alt text of its own."""
    page = _open(browser_context, server_url + page_path)
    try:
        images = page.evaluate("""() => Array.from(document.querySelectorAll('.cell_output img, figure img'))
            .map(img => ({src: img.src, alt: img.getAttribute('alt') || '', shown: img.getBoundingClientRect().width,
                          natural: img.naturalWidth}))""")
    finally:
        page.close()
    problems = []
    for image in images:
        name = image["src"].rsplit("/", 1)[-1]
        if len(image["alt"].split()) < 8:
            problems.append(f"{name}: no real alt text ({image['alt']!r})")
        size, report = _png_report(site, image["src"])
        if report is None:
            problems.append(f"{name}: not drawn by convlab's NotebookFigure (no figure report)")
            continue
        problems += [f"{name}: {what}" for what in report["outside"] + report.get("overlapping", [])]
        if image["natural"] < 1.9 * image["shown"]:
            problems.append(f"{name}: {image['natural']} pixels shown {image['shown']:.0f} wide: not sharp on 2x screens")
        if report["min_font_pt"] is not None:
            # the figure is width_in inches, 96 CSS pixels each, at its natural size
            shown_pt = report["min_font_pt"] * image["shown"] / (report["width_in"] * 96)
            if shown_pt < FIGURE_MIN_PT - 0.05:
                problems.append(f"{name}: smallest label {shown_pt:.1f} pt as displayed")
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def test_every_chapter_page_has_figures_to_check(site):
    """Keeps the figure test from passing vacuously (in both editions)."""
    pages = [p for p in html_pages(site) if re.match(r"(en|zh)/book/0", p)]
    assert {edition_of(p) for p in pages} == set(EDITIONS) and all('class="cell_output' in (site / p).read_text() and "<img" in (site / p).read_text()
                         for p in pages)


@pytest.mark.parametrize("page_path", _chapter_pages())
def test_short_code_and_inline_math_stay_on_one_line(page_path, server_url, browser_context):
    page = _open(browser_context, server_url + page_path)
    try:
        broken = page.evaluate("""() => Array.from(document.querySelectorAll(
              'article code.nowrap, article mjx-container[jax="CHTML"]:not([display="true"])'))
            .filter(el => el.getClientRects().length > 1)
            .map(el => el.textContent.trim().slice(0, 60))""")
        marked = page.evaluate("() => document.querySelectorAll('article code.nowrap').length")
    finally:
        page.close()
    assert marked, f"{page_path}: no inline code marked nowrap: the book extension's transform did not run"
    assert not broken, f"{page_path}: split over two lines: {broken}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_chapter_works_by_keyboard(edition, site, server_url, browser_context):
    """Tab reaches the code toggles and answer dropdowns, each shows where the focus is, and Enter opens it."""
    page = _open(browser_context, server_url + f"{edition}/book/03_edge_detection.html")
    try:
        targets = page.evaluate("() => document.querySelectorAll('article summary').length")
        assert targets, "no toggles or dropdowns on the page"
        reached = set()
        for _ in range(400):
            page.keyboard.press("Tab")
            info = page.evaluate("""() => { const el = document.activeElement;
                if (!el || !el.closest('article') || el.tagName !== 'SUMMARY') return null;
                const style = getComputedStyle(el);
                const visible = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                                || style.boxShadow !== 'none';
                return {index: Array.from(document.querySelectorAll('article summary')).indexOf(el), visible}; }""")
            if info is not None:
                assert info["visible"], f"summary {info['index']} has focus but no visible focus indicator"
                reached.add(info["index"])
                if len(reached) == targets:
                    break
        assert len(reached) == targets, f"Tab reached {len(reached)} of {targets} toggles"
        page.keyboard.press("Enter")   # on the last one reached
        opened = page.evaluate("() => document.activeElement.parentElement.open")
        assert opened, "Enter did not open the focused toggle"
    finally:
        page.close()


# --- the two editions: the root page's choice, Chinese glyphs -------------------------------------

@pytest.mark.parametrize("locale, edition", [("zh-CN", "zh"), ("en-US", "en"), ("de-DE", "en")])
def test_the_root_page_sends_the_reader_to_an_edition(locale, edition, site, server_url, browser_context):
    browser = browser_context.browser
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.route(OTHER_HOSTS, lambda route: route.abort())
        page.goto(server_url + "index.html")
        # the edition's index.html forwards in turn to its first page (Jupyter Book's root page)
        page.wait_for_url(re.compile(re.escape(f"{server_url}{edition}/") + r"book/index\.html$"))
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.lang") == HTML_LANG[edition]
    finally:
        context.close()


# Screenshots of single characters, each in the font the page gives a heading. Real glyphs differ
# from one another; a missing font draws every one of them as the same .notdef box ("tofu").
CHARACTER_SHOTS = """
(chars) => {
  const h = document.querySelector('article h1');
  const box = document.createElement('div');
  box.id = 'glyph-check';
  box.style.cssText = 'position:fixed;top:0;left:0;width:100vw;height:120px;background:#fff;z-index:99999';
  chars.forEach((c, i) => {
    // one fixed, whole-pixel cell per character: equal glyphs give equal pixels
    const cell = document.createElement('div');
    cell.textContent = c;
    cell.style.cssText = `position:absolute;top:0;left:${i * 110}px;width:100px;height:100px;` +
      `line-height:100px;text-align:center;color:#000;font-family:${getComputedStyle(h).fontFamily};` +
      'font-size:64px;font-weight:400;font-style:normal';
    box.appendChild(cell);
  });
  document.body.appendChild(box);
}
"""


def _character_shots(page, chars):
    page.evaluate(CHARACTER_SHOTS, chars)
    shots = [cell.screenshot() for cell in page.query_selector_all("#glyph-check div")]
    page.evaluate("document.getElementById('glyph-check').remove()")
    return shots


def _distinct_images(shots):
    from PIL import Image, ImageChops
    import io

    # ink or paper, so that anti-aliasing cannot make two equal glyphs differ
    images = [Image.open(io.BytesIO(shot)).convert("L").point(lambda v: 255 if v > 128 else 0) for shot in shots]
    distinct = []
    for image in images:
        if all(ImageChops.difference(image, other).getbbox() is not None for other in distinct):
            distinct.append(image)
    return len(distinct)


def test_chinese_text_renders_with_a_real_font(site, server_url, browser_context):
    page = _open(browser_context, server_url + "zh/book/08_receptive_field.html")
    try:
        title = page.evaluate("document.querySelector('article h1').textContent")
        chars = sorted({c for c in title if "\u4e00" <= c <= "\u9fff"})[:6]
        assert len(chars) >= 3, f"the zh chapter's title {title!r} has too few Chinese characters: untranslated?"
        # Private-use code points that no font draws: the same box each time, which the check must see.
        control = ["\ue000", "\ue001", "\ue002", "\ue003"]
        assert _distinct_images(_character_shots(page, control)) == 1, "the tofu control did not render as boxes"
        distinct = _distinct_images(_character_shots(page, chars))
        shots = os.environ.get("CONVLAB_ZH_SHOTS")
        if shots:
            pathlib.Path(shots).mkdir(parents=True, exist_ok=True)
            page.query_selector("article h1").screenshot(path=str(pathlib.Path(shots) / "zh-heading.png"))
    finally:
        page.close()
    assert distinct == len(chars), (
        f"{len(chars)} different characters of {title!r} drew only {distinct} different glyphs: "
        "no CJK font (install fonts-noto-cjk: `make browser`)")


DOWNLOAD_PAGE = "en/book/05_padding_and_stride.html"


def test_the_notebook_button_downloads_the_notebook_over_http(site, server_url, browser_context):
    """Over HTTP the .ipynb button saves the notebook (book/_static/downloads.js), not a JSON tab."""
    page = _open(browser_context, server_url + DOWNLOAD_PAGE)
    try:
        button = page.locator("a.btn-download-notebook-button")
        # a server that sends notebooks as JSON would open them in a tab without these
        assert button.get_attribute("download") == "05_padding_and_stride.ipynb"
        assert button.get_attribute("target") is None
        page.click("button[aria-label='Download this page']")
        with page.expect_download(timeout=15000) as info:
            page.click("a.btn-download-notebook-button")
        download = info.value
        assert download.suggested_filename == "05_padding_and_stride.ipynb"
        notebook = json.loads(pathlib.Path(download.path()).read_text())
        assert notebook["cells"] and "kernelspec" in notebook["metadata"]
        assert len(browser_context.pages) == 1, "the button opened a tab as well"
        assert page.locator(".download-file-note").count() == 0, "the file:// note shows over HTTP"
    finally:
        page.close()


def test_a_page_opened_from_a_file_says_how_to_get_its_notebook(site, browser_context):
    page = browser_context.new_page()
    page.route(re.compile(r"^https?://"), lambda route: route.abort())  # the page's own files are file:// URLs
    try:
        page.goto((site / DOWNLOAD_PAGE).as_uri(), wait_until="load")
        page.click("button[aria-label='Download this page']")
        note = page.locator(".download-file-note")
        assert note.is_visible(), "no note on how to get the notebook from a file:// page"
        assert "_sources/book/05_padding_and_stride.ipynb" in note.inner_text()
    finally:
        page.close()
