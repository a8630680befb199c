"""Where the built book is, for the tests that check it (the browser test and the build checks).

`make test` builds the book into _build/html first; CONVLAB_SITE_DIR points the tests at
another build (e.g. a `jupyter-book build --path-output /tmp/x` trial: /tmp/x/_build/html).
"""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def site_dir():
    return pathlib.Path(os.environ.get("CONVLAB_SITE_DIR", ROOT / "_build" / "html")).resolve()


def require_site():
    """The built site's folder, or a failure that says how to build it."""
    site = site_dir()
    if not (site / "index.html").is_file():
        pytest.fail(
            f"no built book at {site}: run `make book` first "
            "(or set CONVLAB_SITE_DIR to a built _build/html folder)",
            pytrace=False,
        )
    return site


def html_pages(site):
    """Every HTML page of the site, as paths relative to it, in a stable order.

    `_static/` holds the themes' assets (their webpack template snippets end in .html too),
    `_sources/` the downloadable sources: neither is a page a reader opens.
    """
    pages = (p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    return sorted(p for p in pages if not p.startswith(("_static/", "_sources/")))
