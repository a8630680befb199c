"""Where the built book is, for the tests that check it (the browser test and the build checks).

`make book` (tools/build_book.py) builds two editions side by side: English in _build/html/en,
Chinese in _build/html/zh, and a root page _build/html/index.html that sends the reader to one.
CONVLAB_SITE_DIR points the tests at another such build (its folder holding en/ and zh/).
"""
import contextlib
import functools
import http.server
import os
import pathlib
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EDITIONS = ("en", "zh")
# each edition's <html lang> (Sphinx writes the language tag: zh_CN becomes zh-CN)
HTML_LANG = {"en": "en", "zh": "zh-CN"}


def site_dir():
    """The folder holding the root page and both editions."""
    return pathlib.Path(os.environ.get("CONVLAB_SITE_DIR", ROOT / "_build" / "html")).resolve()


def _require(folder):
    if not (folder / "index.html").is_file():
        pytest.fail(
            f"no built book at {folder}: run `make book` first "
            "(or set CONVLAB_SITE_DIR to a folder built by tools/build_book.py)",
            pytrace=False,
        )
    return folder


def require_site(edition="en"):
    """One edition's folder (the English one unless told), or a failure that says how to build it."""
    return _require(site_dir() / edition)


def require_root():
    """The whole site (root page and every edition), or a failure that says how to build it."""
    for edition in EDITIONS:
        require_site(edition)
    return _require(site_dir())


def edition_of(page):
    """'en' or 'zh' for a page path relative to the root, None for the root page."""
    first = page.split("/", 1)[0]
    return first if first in EDITIONS and "/" in page else None


def html_pages(site):
    """Every HTML page of the site, as paths relative to it, in a stable order.

    `_static/` holds the themes' assets (their webpack template snippets end in .html too),
    `_sources/` the downloadable sources: neither is a page a reader opens. Both are skipped in
    each edition's folder too.
    """
    pages = (p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    skip = ("_static/", "_sources/")
    return sorted(p for p in pages
                  if not p.startswith(skip) and not any(p.startswith(f"{e}/{s}") for e in EDITIONS for s in skip))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def static_server(folder):
    """The built site served from `folder` on 127.0.0.1, as any static host would; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
