"""A chapter in JupyterLab renders as on the site: a student's view, in headless Chromium.

JupyterLab (this environment's, with jupyterlab-myst) serves a temporary folder holding a chapter
as the student kit ships it (tools/kit.py's notebook). The test runs all cells, then reads what
the rendered Markdown cells show: numbers of `{eval}` roles filled in by the kernel (compared with
PyTorch, not with the chapter), admonitions and folded answers rendered by jupyterlab-myst, math
typeset by KaTeX, and no raw role, directive or `$` left. CONVLAB_LAB_SHOTS=/some/dir saves two
screenshots there.
"""
import importlib.util
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import torch

from built_site import ROOT
from test_site import CHROMIUM, CHROMIUM_ARGS, _browser_unavailable

CHAPTER = "05_padding_and_stride"
TOKEN = "lab-test"
RAW_MYST = re.compile(r"\{[a-z:-]+\}`|```|^:[a-z-]+:|\$[^$\n]+\$", re.M)

spec = importlib.util.spec_from_file_location("kit", ROOT / "tools" / "kit.py")
kit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kit)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder):
    """JupyterLab user settings: every cell in the page (no windowing), no news pop-up."""
    for plugin, values in {"notebook-extension/tracker": {"windowingMode": "none"},
                           "apputils-extension/notification": {"fetchNews": "false"}}.items():
        path = folder / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory, pytestconfig):
    if not pathlib.Path(CHROMIUM).is_file():
        _browser_unavailable(pytestconfig, f"no chromium at {CHROMIUM}")
    root = tmp_path_factory.mktemp("lab")
    (root / "work").mkdir()
    (root / "work" / f"{CHAPTER}.ipynb").write_text(kit.chapter_notebook(ROOT / "book" / f"{CHAPTER}.md"))
    port = _free_port()
    command = [str(pathlib.Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root / 'work'}",
               "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={_settings(root / 'settings')}",
               f"--LabApp.workspaces_dir={root / 'workspaces'}"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = open(root / "lab.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MPLBACKEND": "agg"})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5)
                break
            except OSError:
                assert process.poll() is None, (root / "lab.log").read_text()
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{lab}/lab/tree/{CHAPTER}.ipynb?token={TOKEN}")
        page.wait_for_function("""() => { const w = window.jupyterapp && jupyterapp.shell.currentWidget;
            const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
            return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle'; }""", timeout=120000)
        page.evaluate("jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function("""() => { const nb = jupyterapp.shell.currentWidget;
            const code = nb.content.widgets.filter(w => w.model.type === 'code');
            return nb.sessionContext.session.kernel.status === 'idle' && code.length > 0
                && code.every(w => w.model.executionCount); }""", timeout=600000, polling=1000)
        page.wait_for_timeout(2000)  # the last Markdown cells' expressions come back after their cells ran
        yield page
        browser.close()


def _markdown(page):
    """What each rendered Markdown cell shows (its text and its HTML)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.jp-MarkdownCell'))
        .map(cell => cell.querySelector('.jp-Cell-inputArea > :not(.jp-InputPrompt):not(.jp-Editor)'))
        .filter(Boolean).map(out => ({text: out.innerText, html: out.innerHTML}))""")


def test_every_code_cell_ran_without_an_error(page):
    errors = page.evaluate("""() => jupyterapp.shell.currentWidget.content.widgets
        .filter(w => w.model.type === 'code')
        .flatMap(w => w.model.toJSON().outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue))""")
    assert not errors, errors


def test_numbers_in_the_text_come_from_the_kernel(page):
    # the oracle: the smallest per-side padding with which PyTorch keeps 6 at 6 (kernel 3, stride 2)
    keep = next(p for p in range(7) if torch.nn.Conv2d(1, 1, 3, stride=2, padding=p)(torch.zeros(1, 1, 6, 6)).shape[-1] == 6)
    texts = "\n".join(cell["text"] for cell in _markdown(page))
    assert f"With input 6, kernel 3 and stride 2, {keep} zeros per side" in texts


def test_no_raw_myst_is_left_and_boxes_math_and_answers_render(page):
    cells = _markdown(page)
    assert len(cells) > 10, "the Markdown cells did not render"
    raw = [m.group(0) for cell in cells for m in RAW_MYST.finditer(cell["text"])]
    assert not raw, f"raw MyST in the rendered cells: {raw[:10]}"
    html = "\n".join(cell["html"] for cell in cells)
    assert 'class="myst-admonition' in html, "the Learning goals box is not rendered"
    assert "katex" in html, "no math typeset"
    folded = page.evaluate("() => [document.querySelectorAll('.jp-MarkdownCell details').length,"
                           " document.querySelectorAll('.jp-MarkdownCell details[open]').length]")
    assert folded[0] >= 5 and folded[1] == 0, f"answers (dropdowns, open): {folded}"


def test_screenshots_for_the_record(page):
    shots = os.environ.get("CONVLAB_LAB_SHOTS")
    if not shots:
        pytest.skip("set CONVLAB_LAB_SHOTS=/some/dir to save screenshots")
    folder = pathlib.Path(shots)
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => document.querySelector('.jp-MarkdownCell').scrollIntoView()")
    page.wait_for_timeout(500)
    page.screenshot(path=str(folder / "jupyterlab-goals-and-math.png"))
    page.evaluate("""() => Array.from(document.querySelectorAll('.jp-MarkdownCell'))
        .find(c => c.innerText.includes('zeros per side')).scrollIntoView()""")
    page.wait_for_timeout(500)
    page.screenshot(path=str(folder / "jupyterlab-number-from-the-kernel.png"))
