"""The explorers live in the website: driven by keyboard in Chromium, checked against convlab.

Every chapter page that shows a live explorer (a container emitted by convlab.explore.live,
brought to life by book/_static/convlab-live.js) is opened in both editions from a local static
server, and one of them once from file://. Using the keyboard only (Tab to reach a control, then
arrows, Home/End, Enter), every control of every explorer is moved through its values; after
each key the test reads what the page shows (its tables' numbers, its text, its state) and
compares it with convlab computing the same settings in this process: corr2d, output_size,
conv2d, max_pool2d/avg_pool2d, receptive_field, and the ipywidgets explorers' own `compute` (what
JupyterLab shows). The PyTorch call the page writes is run with torch. The picture (the tables'
cells, the canvas) must change when the numbers do; no request may leave the local server; no
console error; axe-core finds no violation in the explorers and nothing serious on their pages.

Needs the built site (`make book`) and Debian's chromium (see tests/test_site.py).
"""
import functools
import decimal
import json
import math
import os
import pathlib
import re

import numpy as np
import pytest

import convlab
from built_site import EDITIONS, ROOT, require_root, static_server
from convlab.explore.geometry import nested_taps
from convlab.explore.live import live_data_of
from convlab.explore.pooling import max_winners

CHROMIUM = os.environ.get("CONVLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
LOCAL = re.compile(r"^https?://127\.0\.0\.1[:/]")
# the chapters that show a live explorer, and the kinds they show (a missing one fails the test)
LIVE_PAGES = {
    "book/02_cross_correlation.html": ["cross_correlation"],
    "book/03_edge_detection.html": ["kernel_on_photo"],
    "book/04_learning_a_kernel.html": ["learn_kernel"],
    "book/05_padding_and_stride.html": ["padding_stride"],
    "book/07_pooling.html": ["pooling"],
    "book/08_receptive_field.html": ["receptive_field"],
    "book/09_conv2d_checklist.html": ["padding_stride"],
    "book/11_practice.html": ["cross_correlation"],
}
MINUS = "\u2212"
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- fixtures: the site, a static server, Chromium -------------------------------------------------

@pytest.fixture(scope="module")
def site():
    return require_root()


@pytest.fixture(scope="module")
def server_url(site):
    with static_server(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site):
    if not pathlib.Path(CHROMIUM).is_file():
        if os.environ.get("CONVLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no chromium at {CHROMIUM}", pytrace=False)
        pytest.skip(f"LIVE EXPLORER TESTS NOT RUN: no chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def axe_script(site):
    import importlib.util

    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "tools" / "vendor_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ensure_axe(site.parent / ".vendor").read_text(encoding="utf-8")


class Watched:
    """A page whose requests to other hosts are blocked and recorded, with its console errors."""

    def __init__(self, context, allowed=LOCAL):
        self.page = context.new_page()
        self.external, self.problems = [], []
        self.page.route(re.compile(r"^(?!file:)"), self._route(allowed))
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("console", lambda msg: self.problems.append(f"console error: {msg.text}")
                     if msg.type == "error" else None)

    def _route(self, allowed):
        def handle(route):
            if allowed is not None and allowed.match(route.request.url):
                route.continue_()
            else:
                self.external.append(route.request.url)
                route.abort()
        return handle

    def check(self):
        assert not self.external, f"requests to other hosts: {self.external}"
        assert not self.problems, "\n".join(self.problems)


def _pages():
    return [f"{edition}/{page}" for edition in EDITIONS for page in LIVE_PAGES]


def _open(browser, url, **context_options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    watched = Watched(context, allowed=LOCAL if url.startswith("http") else None)
    watched.page.goto(url, wait_until="load")
    watched.page.wait_for_function("() => document.querySelectorAll('.convlab-live[data-started]').length > 0")
    return context, watched


# --- reading the page ----------------------------------------------------------------------------

READ = """(index) => {
  const c = document.querySelectorAll('.convlab-live')[index];
  const grids = Array.from(c.querySelectorAll('table.cl-grid')).map(t => ({
    caption: t.caption ? t.caption.textContent : '',
    cells: Array.from(t.tBodies[0] ? t.tBodies[0].rows : []).map(r => Array.from(r.cells).map(td => {
      const cell = td.querySelector('.cl-cell') || td;
      return {text: cell.textContent, value: cell.getAttribute('data-value'), cls: cell.className};
    })),
  }));
  const canvases = Array.from(c.querySelectorAll('canvas'));
  return {
    state: JSON.parse(c.dataset.state || 'null'), valid: c.dataset.valid || null,
    grids, readout: c.querySelector('.cl-readout').textContent,
    notes: c.querySelector('.cl-notes').textContent,
    note: (c.querySelector('.cl-note') || {}).textContent || '',
    // the picture: the tables' markup and a checksum of every canvas's pixels
    views: c.querySelector('.cl-views').innerHTML + canvases.map(x => {
      if (!x.width || !x.height) return '';
      const d = x.getContext('2d').getImageData(0, 0, x.width, x.height).data;
      let sum = 0;
      for (let i = 0; i < d.length; i++) sum = (sum * 31 + d[i]) >>> 0;
      return `${x.width}x${x.height}:${sum}`;
    }).join(' '),
    viewsHidden: c.querySelector('.cl-views').hidden,
    labels: Array.from(c.querySelectorAll('label')).map(l => l.textContent),
    rows: Array.from(c.querySelectorAll('table.cl-table tbody tr')).map(r => Array.from(r.cells).map(x => x.textContent)),
  };
}"""


def _read(page, index):
    return page.evaluate(READ, index)


def _values(grid):
    return np.array([[math.nan if cell["value"] is None else float(cell["value"]) for cell in row]
                     for row in grid["cells"]])


def _number(text):
    """A number as the page writes it (real minus sign, ∞)."""
    text = text.replace(MINUS, "-").replace("∞", "inf")
    return float(text)


FIND = """([index, control, row, col]) => {
  const c = document.querySelectorAll('.convlab-live')[index];
  const target = control === null ? c.querySelector(`.cl-cell[data-row="${row}"][data-col="${col}"]`)
                                  : c.querySelector(`[data-control="${control}"]`);
  const here = document.activeElement;
  if (!target) return 'missing';
  if (here === target) return 'here';
  // Tab forward to a control after the focus (or from the page's start), Shift+Tab back to one before it
  return here && here !== document.body && (target.compareDocumentPosition(here) & Node.DOCUMENT_POSITION_FOLLOWING)
    ? 'back' : 'forward';
}"""


def _tab_until(page, index, control=None, row=None, col=None):
    """Press Tab (or Shift+Tab) until the focus is on the control, or the output cell (keyboard only)."""
    for _ in range(600):
        where = page.evaluate(FIND, [index, control, row, col])
        if where == "here":
            return
        assert where != "missing", f"explorer {index} has no control {control!r} / cell ({row}, {col})"
        page.keyboard.press("Tab" if where == "forward" else "Shift+Tab")
    raise AssertionError(f"Tab never reached {control!r} / cell ({row}, {col}) of explorer {index}")


def _tab_to(page, index, control):
    _tab_until(page, index, control=control)


def _tab_to_cell(page, index, row, col):
    _tab_until(page, index, row=row, col=col)


def _focus_is_visible(page):
    return page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }""")


# --- what convlab says, per explorer ---------------------------------------------------------------

def _fmt(v):
    """The page's number format (convlab-live.js fmt: integers plain, else JavaScript's
    toPrecision(4), which rounds half up, then its shortest form), to compare the text it writes."""
    if v == -math.inf:
        return MINUS + "∞"
    if float(v).is_integer():
        return str(int(v)).replace("-", MINUS)
    exact = decimal.Decimal(float(v))
    rounded = exact.quantize(decimal.Decimal(1).scaleb(exact.adjusted() - 3), rounding=decimal.ROUND_HALF_UP)
    text = repr(float(rounded))
    return (text[:-2] if text.endswith(".0") else text).replace("-", MINUS)


def _close_to_4_digits(text, value):
    """A number the page wrote to 4 significant digits is `value`."""
    shown = _number(text)
    if value == 0:
        return shown == 0
    return abs(shown - value) <= 0.5001 * 10 ** (math.floor(math.log10(abs(value))) - 3)


def check_cross_correlation(shown, data):
    X = np.array(data["image"])
    state = shown["state"]
    K = np.array(state["kernel"], dtype=float)
    row, col = state["row"], state["col"]
    out = convlab.corr2d(X, K)
    kh, kw = K.shape
    input_grid, kernel_grid, product_grid, output_grid = shown["grids"]
    np.testing.assert_array_equal(_values(input_grid), X)
    np.testing.assert_array_equal(_values(kernel_grid), K)
    window = X[row:row + kh, col:col + kw]
    np.testing.assert_allclose(_values(product_grid), window * K, rtol=0, atol=1e-12)
    marked = [(i, j) for i, r in enumerate(input_grid["cells"]) for j, cell in enumerate(r) if "cl-window" in cell["cls"]]
    assert marked == [(row + a, col + b) for a in range(kh) for b in range(kw)], "the window highlighted is not the window"
    # the output fills in reading order up to the window's position, with convlab's values
    filled = _values(output_grid)
    upto = row * out.shape[1] + col
    np.testing.assert_allclose(filled.ravel()[: upto + 1], out.ravel()[: upto + 1], rtol=0, atol=1e-12)
    assert np.isnan(filled.ravel()[upto + 1:]).all()
    # the product and sum, term by term
    terms = " + ".join(f"{_fmt(x) if x >= 0 else '(' + _fmt(x) + ')'}·{_fmt(k) if k >= 0 else '(' + _fmt(k) + ')'}"
                       for x, k in zip(window.ravel(), K.ravel()))
    assert shown["readout"] == f"Y[{row}, {col}] = {terms} = {_fmt(out[row, col])}", shown["readout"]
    assert state["value"] == pytest.approx(out[row, col], abs=1e-12)


@functools.lru_cache(maxsize=None)
def _oracle_explorers():
    from convlab.explore import padding_stride_explorer, pooling_explorer, receptive_field_explorer

    return padding_stride_explorer(), pooling_explorer(), receptive_field_explorer()


def check_padding_stride(shown, data):
    state = shown["state"]
    n, k, p, s, d = (state[key] for key in "nkpsd")
    try:
        expected = convlab.output_size(n, k, stride=s, padding=p, dilation=d)
    except ValueError:
        expected = None
    assert state["output_size"] == expected
    call = shown["notes"]
    match = re.search(r"nn\.Conv2d\(1, 1, (kernel_size=\d+(?:, (?:stride|padding|dilation)=\d+)*)\)", call)
    assert match, f"no PyTorch call in {call!r}"
    kwargs = {key: int(value) for key, value in (part.split("=") for part in match.group(1).split(", "))}
    assert kwargs == {"kernel_size": k, **({"stride": s} if s != 1 else {}), **({"padding": p} if p else {}),
                      **({"dilation": d} if d != 1 else {})}
    torch_shape = _torch_shape(n, kwargs)
    if expected is None:
        assert shown["valid"] == "false" and shown["viewsHidden"]
        assert torch_shape is None, f"torch computes {torch_shape} where the page says the kernel does not fit"
        return
    assert torch_shape == (1, 1, expected, expected)
    assert f"(1, 1, {n}, {n}) → " in call and f"(1, 1, {expected}, {expected})" in call
    oracle = _oracle_explorers()[0].compute(input_size=n, kernel_size=k, padding=p, stride=s, dilation=d)
    input_grid, output_grid = shown["grids"]
    np.testing.assert_array_equal(_values(input_grid), oracle["coverage"])
    np.testing.assert_array_equal(_values(output_grid), oracle["pixels_read"])
    assert state["unread"] == oracle["unread"]
    unread = len(oracle["unread"])
    assert bool(shown["note"]) == bool(unread) and (not unread or f"{unread} " in shown["note"]), shown["note"]


@functools.lru_cache(maxsize=None)
def _torch_output_shape(n, kwargs_items):
    import torch

    kwargs = dict(kwargs_items)
    try:
        with torch.no_grad():
            return tuple(torch.nn.Conv2d(1, 1, **kwargs)(torch.zeros(1, 1, n, n)).shape)
    except RuntimeError:
        return None


def _torch_shape(n, kwargs):
    return _torch_output_shape(n, tuple(sorted(kwargs.items())))


def check_pooling(shown, data):
    X = np.array(data["image"])
    state = shown["state"]
    mode, k, s, p = state["mode"], state["k"], state["s"], state["p"]
    pool = convlab.max_pool2d if mode == "max" else convlab.avg_pool2d
    try:
        expected = pool(X[None], k, stride=s, padding=p)[0]
    except ValueError:
        expected = None
    if expected is None:
        assert shown["valid"] == "false" and shown["viewsHidden"] and state["output"] is None
        return
    input_grid, output_grid = shown["grids"]
    np.testing.assert_allclose(_values(output_grid), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.array(state["output"]), expected, rtol=0, atol=1e-12)
    shown_input = _values(input_grid)
    np.testing.assert_array_equal(shown_input[p:p + X.shape[0], p:p + X.shape[1]], X)
    pad = "-∞" if mode == "max" else "0"
    for i, r in enumerate(input_grid["cells"]):
        for j, cell in enumerate(r):
            if "cl-pad" in cell["cls"]:
                assert cell["text"].replace(MINUS, "-") == pad
    if mode == "max":
        winners = {tuple(w) for w in max_winners(X, k, s, p).reshape(-1, 2)}
        circled = {(i - p, j - p) for i, r in enumerate(input_grid["cells"]) for j, cell in enumerate(r)
                   if "cl-winner" in cell["cls"]}
        assert circled == winners
    # the picked output's expression: its window's values, and convlab's result
    i, j = state["picked"]
    readout = shown["readout"]
    assert readout.startswith(f"out[{i}, {j}] = ") and _close_to_4_digits(readout.rsplit("= ", 1)[1], expected[i, j]), readout
    padded = np.pad(X, p, constant_values=-np.inf if mode == "max" else 0)
    window = padded[i * s:i * s + k, j * s:j * s + k].ravel()
    terms = [_number(t) for t in re.split(r", | \+ ", readout.split("(", 1)[1].split(")", 1)[0])]
    np.testing.assert_array_equal(terms, window)


def check_receptive_field(shown, data):
    state = shown["state"]
    layers = [tuple(layer) for layer in state["layers"]]
    fields = convlab.receptive_field(layers)
    assert state["sizes"] == [f.size for f in fields]
    assert state["jumps"] == [f.stride for f in fields]
    assert state["taps"] == [len(t) for t in nested_taps(layers)]
    table = [[int(x) for x in row] for row in shown["rows"]]
    assert table == [[i + 1, k, s, p, d, f.size, f.stride, len(t)]
                     for i, ((k, s, p, d), f, t) in enumerate(zip(layers, fields, nested_taps(layers)))]
    assert f"{fields[-1].size}×{fields[-1].size}" in shown["readout"]


@functools.lru_cache(maxsize=None)
def _photograph(size):
    return convlab.photograph(size)


def check_kernel_on_photo(shown, data):
    state = shown["state"]
    K = np.array(state["K"], dtype=float)
    if state["kernel"] != "custom":
        np.testing.assert_array_equal(K, convlab.kernel(state["kernel"]))
    X = _photograph(512)
    out = convlab.corr2d(X, K)
    r, c = state["row"], state["col"]
    assert state["shape"] == list(out.shape)
    assert state["value"] == pytest.approx(out[r, c], rel=1e-12, abs=1e-12)
    assert state["min"] == pytest.approx(out.min(), rel=1e-12, abs=1e-12)
    assert state["max"] == pytest.approx(out.max(), rel=1e-12, abs=1e-12)
    assert state["mean"] == pytest.approx(out.mean(), rel=1e-9, abs=1e-12)
    kernel_grid, window_grid = shown["grids"]
    np.testing.assert_array_equal(_values(kernel_grid), K)
    kh, kw = K.shape
    np.testing.assert_allclose(_values(window_grid), X[r:r + kh, c:c + kw], rtol=0, atol=1e-12)
    assert _close_to_4_digits(shown["readout"].rsplit("= ", 1)[1], out[r, c]), shown["readout"]
    assert shown["readout"].startswith(f"Y[{r}, {c}] = ")


@functools.lru_cache(maxsize=None)
def _learn_oracle():
    from convlab.explore import learn_kernel_explorer

    return learn_kernel_explorer()


def _floats(values):
    """JSON's null (the page's NaN or infinity) as NaN."""
    return np.array([[math.nan if v is None else v for v in row] for row in values] if values and isinstance(values[0], list)
                    else [math.nan if v is None else v for v in values], dtype=float)


def check_learn_kernel(shown, data):
    state = shown["state"]
    lr = float(state["lr"])
    oracle = _learn_oracle().compute(lr=lr, epochs=state["epochs"], seed=state["seed"])
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_allclose(_floats(state["K"]), oracle["kernel"], rtol=1e-9, atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(_floats(state["losses"]), oracle["losses"], rtol=1e-9, atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(_floats(state["output"]), oracle["output"], rtol=1e-9, atol=1e-12, equal_nan=True)
    assert state["diverging"] == oracle["diverging"]
    kernel_grid, output_grid = shown["grids"]
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_allclose(_values(kernel_grid), oracle["kernel"], rtol=1e-9, atol=1e-12, equal_nan=True)
    assert (str(state["epochs"]) in kernel_grid["caption"])
    assert bool(shown["note"]) == oracle["diverging"]


CHECKS = {"cross_correlation": check_cross_correlation, "learn_kernel": check_learn_kernel, "padding_stride": check_padding_stride,
          "pooling": check_pooling, "receptive_field": check_receptive_field,
          "kernel_on_photo": check_kernel_on_photo}


# --- driving each explorer by keyboard ---------------------------------------------------------------

def _press_and_check(page, index, kind, data, key, seen, expect_change=True):
    before = _read(page, index)
    page.keyboard.press(key)
    after = _read(page, index)
    CHECKS[kind](after, data)
    if after["state"] != before["state"]:
        assert after["views"] != before["views"] or after["readout"] != before["readout"], \
            f"{kind}: {key} changed the numbers but not the picture"
        seen.add(json.dumps(after["state"], sort_keys=True))
    elif expect_change:
        raise AssertionError(f"{kind}: {key} on {page.evaluate('document.activeElement.dataset.control')} changed nothing")
    return after


def _sweep_range(page, index, kind, data, control, seen):
    """Every value of a range control: End, then ArrowLeft down to the minimum, then Home."""
    _tab_to(page, index, control)
    assert _focus_is_visible(page), f"{control}: focused without a visible indicator"
    lo, hi, step, value = page.evaluate("""([index, control]) => { const el = document.querySelectorAll('.convlab-live')[index]
        .querySelector(`[data-control="${control}"]`); return [el.min, el.max, el.step, el.value].map(Number); }""",
                                        [index, control])
    if value != hi:
        _press_and_check(page, index, kind, data, "End", seen)
    for _ in range(round((hi - lo) / step)):
        _press_and_check(page, index, kind, data, "ArrowLeft", seen)
    _press_and_check(page, index, kind, data, "ArrowRight", seen)


def drive_cross_correlation(page, index, data, seen):
    kind = "cross_correlation"
    X, K = np.array(data["image"]), np.array(data["kernel"])
    positions = (X.shape[0] - K.shape[0] + 1) * (X.shape[1] - K.shape[1] + 1)
    _tab_to(page, index, "forward")
    for _ in range(positions):  # a whole pass of the window, and back to where it started
        _press_and_check(page, index, kind, data, "Enter", seen)
    _tab_to(page, index, "back")
    _press_and_check(page, index, kind, data, "Enter", seen)
    _press_and_check(page, index, kind, data, "Space", seen)
    for control in ("row", "col"):
        _sweep_range(page, index, kind, data, control, seen)
    for i in range(K.shape[0]):
        for j in range(K.shape[1]):
            _tab_to(page, index, f"k{i}{j}")
            for key in ["ArrowUp"] * 2 + ["ArrowDown"] * 5:
                _press_and_check(page, index, kind, data, key, seen)
    # the output cells: focusing one moves the window there and writes its product and sum
    for i in range(X.shape[0] - K.shape[0] + 1):
        for j in range(X.shape[1] - K.shape[1] + 1):
            _tab_to_cell(page, index, i, j)
            shown = _read(page, index)
            assert (shown["state"]["row"], shown["state"]["col"]) == (i, j)
            check_cross_correlation(shown, data)
            assert _focus_is_visible(page)
    # Play steps the window on its own; Enter again pauses it
    _tab_to(page, index, "play")
    start = _read(page, index)["state"]
    page.keyboard.press("Enter")
    page.wait_for_function("""([index, start]) => document.querySelectorAll('.convlab-live')[index].dataset.state !== start""",
                           arg=[index, json.dumps(start, separators=(",", ":"))], timeout=5000)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "false"
    paused = _read(page, index)["state"]
    page.wait_for_timeout(2000)
    assert _read(page, index)["state"] == paused, "the animation did not stop when paused"


def drive_padding_stride(page, index, data, seen):
    for control in ("input_size", "kernel_size", "padding", "stride", "dilation"):
        _sweep_range(page, index, "padding_stride", data, control, seen)
    # each setting of one control with the largest kernel and dilation (invalid ones included)
    for control in ("kernel_size", "dilation"):
        _tab_to(page, index, control)
        page.keyboard.press("End")
    _sweep_range(page, index, "padding_stride", data, "input_size", seen)
    _sweep_range(page, index, "padding_stride", data, "padding", seen)
    # focusing an output cell highlights its window
    shown = _read(page, index)
    if shown["valid"] == "true":
        out = shown["state"]["output_size"]
        _tab_to_cell(page, index, out - 1, out - 1)
        shown = _read(page, index)
        assert shown["state"]["picked"] == [out - 1, out - 1]
        check_padding_stride(shown, data)


def drive_pooling(page, index, data, seen):
    kind = "pooling"
    for mode_key in ("ArrowDown", "ArrowUp"):
        _tab_to(page, index, "mode")
        for control in ("kernel_size", "stride", "padding"):
            _sweep_range(page, index, kind, data, control, seen)
        _tab_to(page, index, "mode")
        _press_and_check(page, index, kind, data, mode_key, seen)
    _tab_to(page, index, "padding")
    page.keyboard.press("Home")
    shown = _read(page, index)
    oh, ow = np.array(shown["state"]["output"]).shape
    for i, j in [(0, ow - 1), (oh - 1, 0), (oh - 1, ow - 1)]:
        _tab_to_cell(page, index, i, j)
        shown = _read(page, index)
        assert shown["state"]["picked"] == [i, j]
        check_pooling(shown, data)


def drive_receptive_field(page, index, data, seen):
    kind = "receptive_field"
    for control in ("layers", "kernel_size", "stride", "dilation"):
        _sweep_range(page, index, kind, data, control, seen)
    _tab_to(page, index, "preset")
    for _ in data["presets"]:
        _press_and_check(page, index, kind, data, "ArrowDown", seen)
    disabled = page.evaluate("""(index) => Array.from(document.querySelectorAll('.convlab-live')[index]
        .querySelectorAll('input[type=range]')).every(el => el.disabled)""", index)
    assert disabled, "a preset is shown but the custom stack's controls still move"
    for _ in data["presets"]:
        _press_and_check(page, index, kind, data, "ArrowUp", seen)


def drive_kernel_on_photo(page, index, data, seen):
    kind = "kernel_on_photo"
    _tab_to(page, index, "kernel")
    for key in ["Home"] + ["ArrowDown"] * len(data["kernels"]):  # every named kernel, then custom
        before = _read(page, index)["state"]
        page.keyboard.press(key)
        shown = _read(page, index)
        check_kernel_on_photo(shown, data)
        if shown["state"] != before:
            seen.add(json.dumps(shown["state"], sort_keys=True))
    _tab_to(page, index, "k11")
    for key in ["ArrowUp"] * 2 + ["ArrowDown"] * 3:
        _press_and_check(page, index, kind, data, key, seen)
    assert _read(page, index)["state"]["kernel"] == "custom"
    for control in ("probe_row", "probe_col"):
        _tab_to(page, index, control)
        for key in ["End", "Home", "PageUp", "PageUp", "ArrowRight", "ArrowLeft", "ArrowLeft"]:
            _press_and_check(page, index, kind, data, key, seen)
    # a 1 x 2 kernel's map is wider: the probe's range follows it
    _tab_to(page, index, "kernel")
    page.keyboard.press("End")  # custom
    page.keyboard.press("ArrowUp")  # the [1, -1] edge
    shown = _read(page, index)
    check_kernel_on_photo(shown, data)
    assert shown["state"]["shape"] == [512, 511]


def drive_learn_kernel(page, index, data, seen):
    for control in ("lr", "epochs", "seed"):
        _sweep_range(page, index, "learn_kernel", data, control, seen)
    # the largest step size with the most epochs: the loss grows, and the page says so
    for control in ("lr", "epochs"):
        _tab_to(page, index, control)
        page.keyboard.press("End")
    shown = _read(page, index)
    check_learn_kernel(shown, data)
    assert shown["state"]["diverging"]


DRIVERS = {"cross_correlation": drive_cross_correlation, "learn_kernel": drive_learn_kernel, "padding_stride": drive_padding_stride,
           "pooling": drive_pooling, "receptive_field": drive_receptive_field,
           "kernel_on_photo": drive_kernel_on_photo}


# --- the tests ------------------------------------------------------------------------------------

def test_every_live_page_holds_its_explorers(site):
    for edition in EDITIONS:
        for page, kinds in LIVE_PAGES.items():
            text = (site / edition / page).read_text(encoding="utf-8")
            assert [kind for kind, _ in live_data_of(text)] == kinds, f"{edition}/{page}"
            assert "convlab-live.js" in text, f"{edition}/{page}: the live script is not on the page"
        # and no other page carries the script (it would do nothing there, but costs a request)
        for path in (site / edition).rglob("*.html"):
            relative = path.relative_to(site / edition).as_posix()
            if relative not in LIVE_PAGES and not relative.startswith(("_static/", "_sources/")):
                assert "convlab-live.js" not in path.read_text(encoding="utf-8"), f"{edition}/{relative}"


SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
      '.convlab-live button, .convlab-live input, .convlab-live select'))
    .map(el => [el.dataset.control || el.textContent, el.getBoundingClientRect()])
    .filter(([, r]) => r.width < 24 || r.height < 24).map(([name, r]) => `${name}: ${r.width}x${r.height}`)"""


def _axe(page, axe_script):
    """axe-core's violations on the page: any inside an explorer, and the serious ones anywhere."""
    page.add_script_tag(content=axe_script)
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')),
            inside: v.nodes.filter(n => { try { return !!document.querySelector(n.target.join(' '))?.closest('.convlab-live'); }
                                          catch (e) { return false; } }).length}))""")
    return ([v for v in violations if v["inside"]],
            [v for v in violations if v["impact"] in ("serious", "critical")])


@pytest.mark.parametrize("page_path", _pages())
def test_every_control_moves_by_keyboard_and_the_numbers_are_convlabs(page_path, site, server_url, browser, axe_script):
    context, watched = _open(browser, server_url + page_path)
    page = watched.page
    try:
        explorers = live_data_of((site / page_path).read_text(encoding="utf-8"))
        assert explorers
        edition = page_path.split("/", 1)[0]
        small = page.evaluate(SMALL_TARGETS)
        assert not small, f"targets under 24 x 24 CSS px: {small}"
        for index, (kind, data) in enumerate(explorers):
            page.wait_for_function("(i) => document.querySelectorAll('.convlab-live')[i].dataset.state", arg=index)
            shown = _read(page, index)
            CHECKS[kind](shown, data)  # the first state, before any key
            # labels in the page's language
            assert all(bool(CJK.search(label)) == (edition == "zh") for label in shown["labels"]
                       if not label.startswith("K[")), shown["labels"]
            seen = set()
            DRIVERS[kind](page, index, data, seen)
            assert len(seen) >= 8, f"{kind}: only {len(seen)} different states reached"
        # the audit after the keys: the explorers as a reader left them
        inside, serious = _axe(page, axe_script)
        assert not inside, f"axe violations in the explorers: {inside}"
        assert not serious, f"serious axe violations on the page: {serious}"
        watched.check()
    finally:
        context.close()


def test_an_explorer_works_from_a_file(site, browser):
    page_path = "en/book/02_cross_correlation.html"
    context, watched = _open(browser, (site / page_path).as_uri())
    page = watched.page
    try:
        data = live_data_of((site / page_path).read_text(encoding="utf-8"))[0][1]
        seen = set()
        _tab_to(page, 0, "forward")
        for _ in range(3):
            _press_and_check(page, 0, "cross_correlation", data, "Enter", seen)
        _tab_to(page, 0, "k00")
        _press_and_check(page, 0, "cross_correlation", data, "ArrowUp", seen)
        requested = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        assert all(url.startswith("file://") for url in requested), [u for u in requested if not u.startswith("file://")]
        watched.check()
    finally:
        context.close()


def test_reduced_motion_turns_the_transitions_off(server_url, browser):
    context, watched = _open(browser, server_url + "en/book/07_pooling.html", reduced_motion="reduce")
    try:
        transitions = watched.page.evaluate("""() => Array.from(document.querySelectorAll('.convlab-live .cl-cell, .convlab-live td'))
            .map(el => getComputedStyle(el).transitionDuration).filter(d => d !== '0s')""")
        assert not transitions
    finally:
        context.close()
    context, watched = _open(browser, server_url + "en/book/07_pooling.html", reduced_motion="no-preference")
    try:
        assert watched.page.evaluate("getComputedStyle(document.querySelector('.convlab-live td')).transitionDuration") != "0s"
    finally:
        context.close()


def test_print_shows_the_static_figure_not_the_explorer(server_url, browser):
    context, watched = _open(browser, server_url + "en/book/05_padding_and_stride.html")
    try:
        page = watched.page
        assert page.evaluate("getComputedStyle(document.querySelector('.convlab-live')).display") != "none"
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('.convlab-live')).display") == "none"
    finally:
        context.close()


def test_without_javascript_the_explorer_stays_hidden(site, server_url, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.route(re.compile(r"^(?!http://127\.0\.0\.1)"), lambda route: route.abort())
        page.goto(server_url + "en/book/02_cross_correlation.html", wait_until="load")
        assert page.locator(".convlab-live").count() == 1
        assert not page.locator(".convlab-live").is_visible()
        assert page.locator(".cell_output img").first.is_visible()
    finally:
        context.close()
