"""Sphinx extension of the course book: fresh outputs, an offline site, a notebook per page.

Loaded by `_config.yml` (`sphinx.local_extensions`), so that every `jupyter-book build` (also
`--path-output` trial builds) gets it. It does what Jupyter Book's configuration alone
cannot:

0. Fresh outputs: when src/convlab changed since the last build, the execution cache and the
   saved environment are dropped so that every chapter runs again (tools/invalidate_cache.py).
1. MathJax from the site itself: vendors MathJax 3 from the npm registry into the build
   folder (tools/vendor_assets.py), adds it to `html_static_path` and points `mathjax_path`
   at `_static/mathjax/tex-chtml.js`.
2. No widget state in pages: executed notebooks carry the ipywidgets state in their metadata,
   and myst-nb would embed it with a widget manager loaded from public script hosts. The
   widgets cannot work without a kernel, so the state is dropped (the chapters show each
   explorer's static figure instead).
3. A `.ipynb` download on every notebook page: sphinx-book-theme only offers it when a launch
   button (Binder, Colab...) is configured, and those stay off until the repository is public.
   book/_static/downloads.js makes the buttons save the file (a `download` attribute) and, on a
   site opened from disk, where browsers ignore that attribute, says how to get the notebook.
   The download is the executed notebook without saved widgets (see `without_widgets`) and
   without the cells that record `{eval}` values for the site (JupyterLab evaluates them itself).
4. No script twice: Sphinx 7.4 writes an inline script that an extension added after the
   builder started (sphinx-thebe's `const THEBE_JS_URL = ...`) twice, once as filename None and
   once as '' (StandaloneHTMLBuilder.prepare_writing re-adds the registry's scripts), and the
   second `const` is a script error on every page.
5. A short log: `make book` runs Sphinx quietly (-q: warnings and errors only, none of the
   parsers' configuration dumps), so this extension prints one line when a page starts, one when
   it is done (executed, and in how long, or taken from the execution cache) and a summary.
   (The chapters' kernels are told not to log their "running over TCP without encryption"
   warning by the environment's kernel config, written by tools/lab_settings.py.)
6. Chapters executed on every core: before Sphinx reads the pages (one after the other: Jupyter
   Book's sphinx_multitoc_numbering is not declared safe for Sphinx's parallel reading, and -W
   turns that warning into an error), the notebooks among them that the execution cache lacks are
   run in a process pool into the same cache myst-nb reads, in the chapter's folder as myst-nb
   would (jupyter-cache's own parallel executor reads the files itself, without value cells). Reading then finds their outputs cached. A chapter that
   fails is not cached: myst-nb executes it again while reading and fails the build as before.
7. Pages that read well and pass an accessibility audit (axe-core, in tests/test_site.py): the
   book's stylesheet (book/_static/book.css) on every page; short inline code marked `nowrap`, so
   that `K + 2` is never split over two lines; two theme components overridden from
   book/_templates/ (their icons hidden from screen readers, the search button named by what it
   shows); and myst-nb's "Show code cell source" toggles named by their visible text instead of
   a different aria-label.
8. No page of a chapter that no longer exists: Sphinx never deletes its output, so after a chapter
   is renamed or removed its old page (and its downloadable sources) would stay in the site, in
   the search and in the reader's bookmarks. They are deleted when the build finishes.
9. Numbers in prose: `{eval}` roles, with values recorded in the cached run (tools/eval_role.py).
10. Measurements for the build log, not the page: what a cell tagged `build-log` prints (tag it
   `remove-cell` as well) goes into the log line of its page, e.g. how long the capstone's
   network trained. The page stays the same from build to build; the log says whether the
   text comes from this build's run or from the execution cache.
11. Live explorers: a page whose body holds a live explorer's container (a cell output made by
   convlab.explore.live) gets book/_static/convlab-live.js and its stylesheet; other pages get
   neither (html-page-context adds them to that page only).
"""
import json
import os
import pathlib
import re
import time

from concurrent.futures import ProcessPoolExecutor

from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.sphinx_ import NbMetadataCollector

from sphinx.util import logging

# Sibling modules: local_extensions puts tools/ on sys.path.
import eval_role
import eval_values
import invalidate_cache
import vendor_assets
from docutils import nodes

# myst-nb registers the widget state and the widget manager scripts under these keys.
WIDGET_JS_PREFIX = "ipywidgets_"
WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
EXECUTED_FOLDER = "jupyter_execute"  # myst-nb writes executed notebooks here, beside html/
BUILD_LOG_TAG = "build-log"  # a cell whose printed text goes to the build log

logger = logging.getLogger(__name__)

BOOK_CSS = "book.css"  # in book/_static/
DOWNLOADS_JS = "downloads.js"  # in book/_static/: download buttons that save, a note on file:// pages
LIVE_JS, LIVE_CSS = "convlab-live.js", "convlab-live.css"  # in book/_static/: the explorers, live in the page
LIVE_MARKER = '<div class="convlab-live" data-kind='  # written by convlab.explore.live.LiveExplorer.to_html
NOWRAP_MAX_CHARS = 40  # inline code up to this length never wraps; longer code may, to fit the column
# myst-nb's hide-input toggle: its aria-label differs from the text it shows (axe: label-content-name-mismatch)
TOGGLE_LABEL = re.compile(r'<summary aria-label="Toggle hidden content">')


def build_root(app):
    """The build's _build folder: where the execution cache, the doctrees and vendored assets live.

    `jupyter-book build` writes html to _build/html, but tools/build_book.py writes each edition to
    _build/html/<lang>: the execution cache's folder is the same for both.
    """
    cache = app.config.nb_execution_cache_path
    return pathlib.Path(cache).resolve().parent if cache else pathlib.Path(app.outdir).parent


def rerun_chapters_if_convlab_changed(app, config):
    # config-inited comes before Sphinx loads its saved environment and before any execution.
    package = pathlib.Path(app.srcdir) / "src" / "convlab"
    build_dir = build_root(app)
    if invalidate_cache.invalidate_if_changed(package, build_dir):
        logger.info(f"[book] {package} changed since the last build: every chapter runs again")


def serve_mathjax_locally(app, config):
    cache_dir = build_root(app) / ".vendor"
    static = vendor_assets.ensure_mathjax(cache_dir)
    config.html_static_path = [*config.html_static_path, str(static)]
    config.mathjax_path = vendor_assets.MATHJAX_PATH


def book_templates_and_style(app, config):
    book = pathlib.Path(app.srcdir) / "book"
    config.templates_path = [str(book / "_templates"), *config.templates_path]
    config.html_static_path = [*config.html_static_path, str(book / "_static")]


def keep_short_code_together(app, doctree):
    for literal in doctree.findall(nodes.literal):
        if len(literal.astext()) <= NOWRAP_MAX_CHARS:
            literal["classes"].append("nowrap")


def name_toggles_by_their_text(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = TOGGLE_LABEL.sub("<summary>", context["body"])


def drop_widget_scripts(app, doctree):
    metadata = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {})
    js_files = metadata.get("js_files", {})
    for key in [k for k in js_files if k.startswith(WIDGET_JS_PREFIX)]:
        del js_files[key]


def without_widgets(notebook):
    """The notebook without saved widget state and widget views.

    Saved views of a finished kernel's widgets show as "model not found" errors in JupyterLab;
    without them the reader sees an empty output and runs the cell to get the live explorer.
    """
    notebook.get("metadata", {}).pop("widgets", None)
    for cell in notebook.get("cells", []):
        if "outputs" in cell:
            cell["outputs"] = [
                output for output in cell["outputs"]
                if WIDGET_VIEW_MIMETYPE not in output.get("data", {})
            ]
    return notebook


def offer_notebook_download(app, pagename, templatename, context, doctree):
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    outdir = pathlib.Path(app.outdir)
    executed = outdir.parent / EXECUTED_FOLDER / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = outdir / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    notebook = eval_values.without_value_cells(without_widgets(json.loads(executed.read_text())))
    target.write_text(json.dumps(notebook, indent=1) + "\n")
    # Read by sphinx-book-theme's download button (its handler runs at priority 501).
    context["ipynb_source"] = f"{pagename}.ipynb"


def add_live_explorers(app, pagename, templatename, context, doctree):
    if LIVE_MARKER in context.get("body", ""):
        app.add_js_file(LIVE_JS, loading_method="defer")
        app.add_css_file(LIVE_CSS)


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # In place: it is the builder's own list, which Sphinx restores after each page.
    scripts[:] = unique


def say(text):
    # print, not Sphinx's logger: the build runs with -q, which silences every info message
    print(f"[book] {text}", flush=True)


def start_timer(app, config):
    app.book_started = time.time()


def announce_pages(app, env, docnames):
    app.book_pages = {name: number for number, name in enumerate(sorted(docnames), 1)}
    if docnames:
        say(f"reading {len(docnames)} page(s); a chapter that changed (or whose convlab changed) is executed")


def _excluded(config, path):
    return any(pathlib.PurePath(path).match(pattern) for pattern in config.execution_excludepatterns)


def _execute(notebook, cwd, timeout, allow_errors):
    # In a worker process: run one notebook as myst-nb's cache client would, return it with outputs.
    result = single_nb_execution(notebook, cwd=cwd, timeout=timeout, allow_errors=allow_errors,
                                 meta_override=True)
    return notebook, result.time, None if result.err is None else f"{type(result.err).__name__}"


def execute_in_parallel(app, env, docnames):
    config = env.mystnb_config
    if config.execution_mode != "cache":
        return
    cache = get_cache(config.execution_cache_path)
    stale = {}
    for docname in sorted(docnames):
        path = str(env.doc2path(docname))
        if not path.endswith(".md") or _excluded(config, path):
            continue
        text = pathlib.Path(path).read_text(encoding="utf-8")
        # The reader myst-nb's parser uses (value cells included, see eval_role.py): same notebook, same hash.
        reader = eval_role.read_with_value_cells(path, env.myst_config, config, text)
        if reader is None or reader.read_fmt != eval_role.MYST_NOTEBOOK:
            continue
        notebook = reader.read(text)
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            stale[path] = notebook
    if len(stale) < 2:
        return  # nothing to share out: myst-nb executes it while reading
    start = time.time()
    say(f"executing {len(stale)} chapter(s) on {os.cpu_count()} processes ...")
    failed = []
    with ProcessPoolExecutor(max_workers=min(len(stale), os.cpu_count() or 1)) as pool:
        runs = {path: pool.submit(_execute, notebook, str(pathlib.Path(path).parent),
                                  config.execution_timeout, config.execution_allow_errors)
                for path, notebook in stale.items()}
        for path, run in runs.items():
            notebook, seconds, error = run.result()
            if error:
                failed.append(f"{path} ({error})")
                continue
            cache.cache_notebook_bundle(CacheBundleIn(notebook, path, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
    say(f"{len(stale) - len(failed)} chapter(s) executed in {time.time() - start:.1f} s"
        + (f"; {len(failed)} failed and run again while reading: {', '.join(failed)}" if failed else ""))


def announce_page(app, docname, source):
    app.book_page_started = time.time()
    say(f"{_page(app, docname)}: reading ...")


def _page(app, docname):
    pages = getattr(app, "book_pages", {})
    return f"{pages.get(docname, '?')}/{len(pages)} {docname}"


def _executed_now(app, docname):
    """The notebook's run time if this build executed it, else None (cached, or not a notebook)."""
    data = NbMetadataCollector.get_doc_data(app.env).get(docname, {}).get("exec_data")
    if data and data.get("mtime", 0) >= app.book_started and data.get("runtime") is not None:
        return data["runtime"]
    return None


def build_log_lines(notebook):
    """The lines that cells tagged `build-log` printed (stdout or stderr), in order."""
    lines = []
    for cell in notebook.get("cells", []):
        if BUILD_LOG_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                lines += ("".join(text) if isinstance(text, list) else text).splitlines()
    return lines


def report_page(app, doctree):
    docname = app.env.docname
    seconds = time.time() - getattr(app, "book_page_started", time.time())
    executed = _executed_now(app, docname)
    how = f"executed in {executed:.1f} s" if executed is not None else "outputs from the execution cache"
    if "kernelspec" not in app.env.metadata.get(docname, {}):
        how = "not a notebook"
    say(f"{_page(app, docname)}: {how} (page read in {seconds:.1f} s)")
    notebook = _cached_notebook(app.env, docname) if how != "not a notebook" else None
    when = "" if executed is not None else " (in the cached run)"
    for line in build_log_lines(notebook or {}):
        say(f"{_page(app, docname)}: {line}{when}")


def _cached_notebook(env, docname):
    """The page's executed notebook from the execution cache, or None (not cached, not a notebook,
    or no `build-log` cell in it).

    Not the copy myst-nb writes to jupyter_execute/: for a page whose outputs come from the
    cache, that copy has no outputs.
    """
    config = env.mystnb_config
    path = str(env.doc2path(docname))
    if config.execution_mode != "cache" or not path.endswith(".md"):
        return None
    text = pathlib.Path(path).read_text(encoding="utf-8")
    if BUILD_LOG_TAG not in text:
        return None  # (a page without such cells: no need to hash it and load its outputs)
    reader = eval_role.read_with_value_cells(path, env.myst_config, config, text)
    if reader is None or reader.read_fmt != eval_role.MYST_NOTEBOOK:
        return None
    cache = get_cache(config.execution_cache_path)
    try:
        record = cache.match_cache_notebook(reader.read(text))
    except KeyError:
        return None
    return cache.get_cache_bundle(record.pk).nb


def report_build(app, exception):
    if exception is not None:
        return
    read, total = getattr(app, "book_pages", {}), len(app.env.found_docs)
    elapsed = time.time() - app.book_started
    if not read:
        say(f"nothing changed: all {total} pages up to date; built in {elapsed:.1f} s")
        return
    runs = [t for t in (_executed_now(app, d) for d in read) if t is not None]
    say(f"{len(read)} of {total} pages read, {len(runs)} of them executed ({sum(runs):.1f} s in kernels); "
        f"built in {elapsed:.1f} s")


def drop_pages_of_removed_chapters(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = pathlib.Path(app.outdir)
    for folder, suffixes in [(outdir / "book", (".html",)), (outdir / "_sources" / "book", (".md", ".ipynb", ".txt"))]:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            name = path.name
            for suffix in suffixes:
                name = name.removesuffix(suffix)
            if path.suffix in suffixes and f"book/{name.removesuffix('.md')}" not in app.env.all_docs:
                logger.info(f"[book] {path.relative_to(outdir)}: no such chapter any more, removed")
                path.unlink()


def setup(app):
    eval_role.setup(app)
    app.connect("config-inited", start_timer)
    app.connect("env-before-read-docs", announce_pages)
    app.connect("env-before-read-docs", execute_in_parallel)
    app.connect("source-read", announce_page)
    app.connect("doctree-read", report_page)
    app.connect("build-finished", report_build)
    app.connect("config-inited", rerun_chapters_if_convlab_changed)
    app.connect("config-inited", serve_mathjax_locally)
    app.connect("config-inited", book_templates_and_style)
    app.add_css_file(BOOK_CSS)
    app.add_js_file(DOWNLOADS_JS)
    app.connect("doctree-read", drop_widget_scripts)
    app.connect("doctree-read", keep_short_code_together)
    app.connect("html-page-context", name_toggles_by_their_text)
    app.connect("html-page-context", offer_notebook_download, priority=500)
    app.connect("html-page-context", add_live_explorers)
    # Late, after every extension has added its per-page scripts (MathJax, myst-nb...).
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("build-finished", drop_pages_of_removed_chapters)
    # env_version: saved doctrees made by an older version of this extension are read again
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 3}
