"""Checks of the book's build: its tools (cache invalidation, MathJax vendoring) on temporary
trees, and the built site as files (what `make book` wrote to _build/html, or CONVLAB_SITE_DIR).

The browser test (test_site.py) opens the pages; these checks read the files, so they also run
where no browser is installed.
"""
import base64
import hashlib
import html
import importlib.util
import io
import json
import pathlib
import re
import tarfile

import pytest

from built_site import ROOT, html_pages, require_site



def _tool(name):
    """Import tools/<name>.py (tools/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


invalidate_cache = _tool("invalidate_cache")
vendor_assets = _tool("vendor_assets")

NBGRADER_FOLDERS = ("source", "exercises", "autograded", "submitted", "feedback", "release")
# The practice chapter offers both released student notebooks for download on purpose (no
# solutions or hidden tests in them).
PUBLISHED_ON_PURPOSE = {"exercises/conv-basics/practice.ipynb", "exercises/conv-layers/layers.ipynb"}
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# The instructors' pages teach nbgrader's markers (with an example assignment of their own), so
# the markers may appear there; the course's solution lines may not, there or anywhere.
INSTRUCTOR_PAGES = ("book/instructors", "book/new_assignment")
TEXT_SUFFIXES = {".html", ".js", ".txt", ".md", ".ipynb", ".json", ".py", ".css"}


# --- tools/invalidate_cache.py -------------------------------------------------------------

def _package(tmp_path, files):
    package = tmp_path / "pkg"
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def _saved_outputs(build_dir):
    for name in (".jupyter_cache", ".doctrees"):
        (build_dir / name).mkdir(parents=True, exist_ok=True)
        (build_dir / name / "saved").write_text("output of an earlier run")


def test_convlab_hash_follows_content_and_names_but_not_bytecode(tmp_path):
    package = _package(tmp_path, {"__init__.py": "A = 1\n", "sub/mod.py": "B = 2\n"})
    first = invalidate_cache.convlab_hash(package)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\x00bytecode")
    assert invalidate_cache.convlab_hash(package) == first

    (package / "sub" / "mod.py").write_text("B = 3\n")
    changed = invalidate_cache.convlab_hash(package)
    assert changed != first

    (package / "sub" / "mod.py").rename(package / "sub" / "other.py")
    assert invalidate_cache.convlab_hash(package) not in (first, changed)

    (package / "data.json").write_text("{}")  # package data counts too, not only .py
    assert invalidate_cache.convlab_hash(package) not in (first, changed)


def test_saved_outputs_are_dropped_exactly_when_the_package_changed(tmp_path):
    package = _package(tmp_path, {"__init__.py": "MARKER = 'alpha'\n"})
    build = tmp_path / "_build"
    _saved_outputs(build)

    # No stamp yet: nothing says which module made the outputs, so they go.
    assert invalidate_cache.invalidate_if_changed(package, build) is True
    assert not (build / ".jupyter_cache").exists() and not (build / ".doctrees").exists()

    _saved_outputs(build)
    assert invalidate_cache.invalidate_if_changed(package, build) is False
    assert (build / ".jupyter_cache" / "saved").is_file()
    assert (build / ".doctrees" / "saved").is_file()

    (package / "__init__.py").write_text("MARKER = 'beta'\n")
    assert invalidate_cache.invalidate_if_changed(package, build) is True
    assert not (build / ".jupyter_cache").exists() and not (build / ".doctrees").exists()

    _saved_outputs(build)
    assert invalidate_cache.invalidate_if_changed(package, build) is False


# --- tools/vendor_assets.py ----------------------------------------------------------------

def _fake_mathjax_tarball(path):
    """A tarball laid out like npm's mathjax package: package/es5/... plus package files."""
    files = {
        "package/package.json": b'{"name": "mathjax"}',
        "package/es5/tex-chtml.js": b"/* entry */",
        "package/es5/tex-svg.js": b"/* another bundle the pages do not load */",
        "package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": b"wOFF",
        "package/es5/input/tex/extensions/ams.js": b"/* ams */",
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _sri(path):
    # Independent of vendor_assets.integrity_of: the subresource-integrity format by hand.
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


class _FakePack:
    def __init__(self, tarball):
        self.tarball = tarball
        self.calls = []

    def __call__(self, spec, dest):
        self.calls.append(spec)
        target = pathlib.Path(dest) / "mathjax-9.9.9.tgz"
        target.write_bytes(self.tarball.read_bytes())
        return target


def test_mathjax_is_unpacked_once_with_only_the_entry_script_and_its_folders(tmp_path):
    tarball = _fake_mathjax_tarball(tmp_path / "fake.tgz")
    pack = _FakePack(tarball)
    cache = tmp_path / "cache"
    static = vendor_assets.ensure_mathjax(cache, "9.9.9", _sri(tarball), pack=pack)

    assert pack.calls == ["mathjax@9.9.9"]
    files = sorted(p.relative_to(static).as_posix() for p in static.rglob("*") if p.is_file())
    assert files == [
        "mathjax/input/tex/extensions/ams.js",
        "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
        "mathjax/tex-chtml.js",
    ]
    assert vendor_assets.MATHJAX_PATH == "mathjax/tex-chtml.js"

    again = vendor_assets.ensure_mathjax(cache, "9.9.9", _sri(tarball), pack=pack)
    assert again == static and pack.calls == ["mathjax@9.9.9"]  # served from the cache


def test_mathjax_with_a_wrong_integrity_is_refused_and_nothing_is_left(tmp_path):
    tarball = _fake_mathjax_tarball(tmp_path / "fake.tgz")
    cache = tmp_path / "cache"
    wrong = "sha512-" + base64.b64encode(hashlib.sha512(b"something else").digest()).decode()
    with pytest.raises(vendor_assets.VendorError, match="integrity"):
        vendor_assets.ensure_mathjax(cache, "9.9.9", wrong, pack=_FakePack(tarball))
    assert list(cache.iterdir()) == []


def test_pinned_mathjax_integrity_is_a_sha512():
    assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", vendor_assets.MATHJAX_INTEGRITY)


# --- the built site --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site():
    return require_site()


def _site_files(site):
    return [p for p in site.rglob("*") if p.is_file()]


def _text(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        # Highlighted code is split into <span>s: compare what a reader sees.
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def _nbgrader_files():
    files = []
    for folder in NBGRADER_FOLDERS:
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    return files


def test_no_page_of_the_site_comes_from_an_nbgrader_folder(site):
    published = [
        path.relative_to(site).as_posix()
        for path in _site_files(site)
        if path.relative_to(site).parts[0] in NBGRADER_FOLDERS
        or path.relative_to(site).parts[:2] in {("_sources", f) for f in NBGRADER_FOLDERS}
    ]
    assert not published, f"pages built from nbgrader's folders: {published}"


def test_no_file_of_an_nbgrader_folder_is_published(site):
    def digest(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    protected = {
        digest(path): path.relative_to(ROOT).as_posix()
        for path in _nbgrader_files()
        # tiny files (empty .gitkeep, a one-line README) could match a theme asset by chance
        if path.relative_to(ROOT).as_posix() not in PUBLISHED_ON_PURPOSE
        and path.stat().st_size >= 64
    }
    leaked = [
        f"{path.relative_to(site)} is {protected[digest(path)]}"
        for path in _site_files(site)
        if digest(path) in protected
    ]
    assert not leaked, f"nbgrader files copied into the site: {leaked}"


def _solution_lines():
    """Distinctive lines of the instructors' solutions and hidden tests (source notebooks)."""
    released = " ".join(
        path.read_text(errors="replace") for path in (ROOT / "exercises").rglob("*.ipynb")
    )
    lines = set()
    for path in (ROOT / "source").rglob("*.ipynb"):
        for cell in json.loads(path.read_text()).get("cells", []):
            source = "".join(cell.get("source", []))
            regions = re.findall(
                r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", source, flags=re.S
            )
            for _, body in regions:
                lines.update(
                    line.strip() for line in body.splitlines()
                    if len(line.strip()) >= 25 and line.strip() not in released
                )
    return lines


def test_no_solution_text_is_published(site):
    solution_lines = _solution_lines()
    leaks = []
    for path in _site_files(site):
        if path.suffix not in TEXT_SUFFIXES:
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        text = _text(path)
        relative = path.relative_to(site).with_suffix("").as_posix()
        teaches_markers = any(relative.endswith(page) for page in INSTRUCTOR_PAGES)
        leaks += [f"{path.relative_to(site)}: '{m}'" for m in SOLUTION_MARKERS
                  if not teaches_markers and (m in raw or m in text)]
        leaks += [f"{path.relative_to(site)}: solution line {line!r}"
                  for line in solution_lines if line in text]
    assert not leaks, "solution text in the site:\n" + "\n".join(leaks)


def _book_pages(site):
    return [p for p in html_pages(site) if p.startswith("book/")]


def test_every_chapter_page_offers_its_notebook_for_download(site):
    missing = []
    for page in _book_pages(site):
        text = (site / page).read_text()
        match = re.search(r'<a href="([^"]+\.ipynb)"[^>]*btn-download-notebook-button', text)
        if match is None:
            missing.append(f"{page}: no .ipynb download button")
            continue
        notebook = (site / page).parent / match.group(1)
        if not notebook.is_file():
            missing.append(f"{page}: {match.group(1)} is not in the site")
            continue
        content = json.loads(notebook.read_text())
        views = [o for c in content.get("cells", []) for o in c.get("outputs", [])
                 if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        if not content.get("cells") or "widgets" in content.get("metadata", {}) or views:
            missing.append(f"{page}: {match.group(1)} has no cells, or carries saved widgets")
        # it must run without the book's tools: no myst_nb, no cells recording {eval} values
        plumbing = [c for c in content.get("cells", []) if "myst_nb" in "".join(c.get("source", ""))
                    or "eval-values" in c.get("metadata", {}).get("tags", [])]
        if plumbing:
            missing.append(f"{page}: {match.group(1)} holds {len(plumbing)} cell(s) of the book's build")
    assert _book_pages(site), "no chapter pages under book/ in the site"
    assert not missing, "\n".join(missing)


EXTERNAL_ATTRIBUTE = re.compile(
    r"<(script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc=[\"'](?:https?:)?//"
    r"|<link\b(?=[^>]*\brel=[\"'](?:stylesheet|preload|modulepreload|icon|manifest)[\"'])"
    r"[^>]*\bhref=[\"'](?:https?:)?//",
    re.I,
)
EXTERNAL_CSS = re.compile(r"url\(\s*[\"']?(?:https?:)?//|@import\s+[\"']?(?:url\()?\s*[\"']?(?:https?:)?//", re.I)


def test_no_page_or_stylesheet_loads_from_another_host(site):
    found = []
    for path in _site_files(site):
        if path.suffix == ".html":
            found += [f"{path.relative_to(site)}: {m.group(0)}"
                      for m in EXTERNAL_ATTRIBUTE.finditer(path.read_text(errors="replace"))]
        elif path.suffix == ".css":
            found += [f"{path.relative_to(site)}: {m.group(0)}"
                      for m in EXTERNAL_CSS.finditer(path.read_text(errors="replace"))]
    assert not found, "\n".join(found)


def test_no_widget_state_view_or_manager_in_any_page(site):
    signs = ("application/vnd.jupyter.widget-state+json", "application/vnd.jupyter.widget-view+json",
             "@jupyter-widgets/html-manager", "require.min.js")
    found = [f"{page}: {sign}" for page in html_pages(site)
             for sign in signs if sign in (site / page).read_text()]
    assert not found, "\n".join(found)


def test_mathjax_is_served_by_the_site_with_its_fonts(site):
    math_pages = [p for p in html_pages(site) if 'class="math' in (site / p).read_text()]
    assert math_pages, "no page has a formula"
    for page in math_pages:
        scripts = re.findall(r'<script[^>]*src="([^"]*tex-chtml[^"]*)"', (site / page).read_text())
        assert len(scripts) == 1, f"{page}: MathJax scripts {scripts}"
        local = ((site / page).parent / scripts[0].split("?")[0]).resolve()
        assert local == (site / "_static" / vendor_assets.MATHJAX_PATH).resolve() and local.is_file()
    fonts = list((site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10, "MathJax's CHTML fonts are missing from the site"
