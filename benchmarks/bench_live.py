"""The live explorers in the website: update time in Chromium, and the weight they add to a page.

A page holding each live explorer as its chapter emits it (convlab.explore.live, the chapters'
arguments) with the site's book/_static/convlab-live.js and .css is opened from file:// in
Debian's Chromium. In the page, every control is moved through its values (range: every stop,
then back; number entry: +1 and -1; menu: every option, then back; step buttons: a whole pass),
first on a fresh page (cold), then again in 5 rounds (warm: each change's best round). The timed unit is one change: from setting the
control's value to the end of a forced layout (compute, DOM update, style and layout: what has to
fit in one frame before paint), read with performance.now(). Target: p95 at most 16 ms, cold and
warm. A last row takes the receptive-field explorer's heaviest stack (8 layers of 7x7, dilation
4, every stride), the largest field its controls reach.

The weight: the script and stylesheet (raw and gzip), which only pages with an explorer load,
and per chapter the data its cells emit (from the built site, _build/html/en, when it exists).

    .venv/bin/python benchmarks/bench_live.py [--quick]
"""
import gzip
import os
import pathlib
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "_static"
CHROMIUM = os.environ.get("CONVLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET_P95_MS = 16
WARM_ROUNDS = 5


def _explorers():
    from convlab.explore import live

    # as the chapters emit them (book/02, 03, 04, 05, 07, 08)
    return [("cross_correlation", live.live_cross_correlation(row=1, col=0)),
            ("kernel_on_photo", live.live_kernel_on_photo()),
            ("learn_kernel", live.live_learn_kernel()),
            ("padding_stride", live.live_padding_stride()),
            ("pooling", live.live_pooling()),
            ("receptive_field", live.live_receptive_field())]


# In the page: the plan of changes, each a closure; window.__liveStep(i) runs change i and returns
# its wall time (set, recompute, DOM, forced style and layout).
PLAN = r"""
() => {
  const settle = () => document.body.getBoundingClientRect().height;
  const plan = [];
  const explorers = Array.from(document.querySelectorAll('.convlab-live'));
  const input = (el, v, type = 'input') => () => { el.value = v; el.dispatchEvent(new Event(type)); };
  for (const c of explorers) {
    const kind = c.dataset.kind;
    for (const el of c.querySelectorAll('[data-control]')) {
      if (el.disabled) continue;
      const first = el.value;
      if (el.type === 'range') {
        // every stop, or 12 spread over the range (the photograph's probe has 510)
        const lo = Number(el.min), step = Number(el.step), count = Math.round((Number(el.max) - lo) / step) + 1;
        const stops = new Set(Array.from({ length: Math.min(count, 12) }, (_, i) =>
          String(Number((lo + step * Math.round((i * (count - 1)) / Math.max(1, Math.min(count, 12) - 1))).toFixed(6)))));
        for (const v of stops) if (v !== first) plan.push([kind, input(el, v)]);
        plan.push([kind, input(el, first)]);
      } else if (el.type === 'number') {
        for (const v of [String(Number(first) + 1), String(Number(first) - 1), first]) plan.push([kind, input(el, v)]);
      } else if (el.tagName === 'SELECT') {
        for (const o of el.options) if (o.value !== first) plan.push([kind, input(el, o.value, 'change')]);
        plan.push([kind, input(el, first, 'change')]);
      } else if (el.dataset.control === 'forward' || el.dataset.control === 'back') {
        for (let i = 0; i < 9; i++) plan.push([kind, () => el.click()]);
      }
    }
    for (const cell of Array.from(c.querySelectorAll('.cl-cell')).slice(0, 9)) plan.push([kind, () => cell.focus()]);
  }
  // the receptive field's heaviest stack: 8 layers of 7x7, dilation 4, every stride; then back
  const rf = explorers.find(c => c.dataset.kind === 'receptive_field');
  const heavy = 'receptive_field (8 layers, 7x7, d 4)';
  const set = (name, v) => input(rf.querySelector(`[data-control="${name}"]`), String(v));
  plan.push(['setup', set('layers', 8)], ['setup', set('kernel_size', 7)], ['setup', set('dilation', 4)]);
  for (const s of [2, 3, 1]) plan.push([heavy, set('stride', s)]);
  plan.push(['setup', set('dilation', 1)], ['setup', set('kernel_size', 3)], ['setup', set('layers', 3)]);
  window.__liveStep = (i) => { const t0 = performance.now(); plan[i][1](); settle(); return performance.now() - t0; };
  return plan.map(([kind]) => kind);
}
"""
CPU_METRICS = ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def _cpu(session):
    """Seconds of the page's main thread spent in script, style and layout so far (thread time)."""
    metrics = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
    return sum(metrics[name] for name in CPU_METRICS)


def _sweep(page, session, kinds):
    """One pass of the plan: per explorer, each change's wall and CPU milliseconds."""
    wall, cpu = {}, {}
    for i, kind in enumerate(kinds):
        before = _cpu(session)
        spent = page.evaluate("(i) => window.__liveStep(i)", i)
        used = (_cpu(session) - before) * 1000
        if kind != "setup":
            wall.setdefault(kind, []).append(spent)
            cpu.setdefault(kind, []).append(used)
    return wall, cpu


def _page(folder, explorers):
    body = "\n".join(explorer.to_html() for _, explorer in explorers)
    page = folder / "live.html"
    page.write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>live explorers</title>
<link rel="stylesheet" href="{(STATIC / 'convlab-live.css').as_uri()}">
<script defer src="{(STATIC / 'convlab-live.js').as_uri()}"></script></head>
<body><main style="max-width: 820px">{body}</main></body></html>""", encoding="utf-8")
    return page


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def measure(quick=False):
    """Per explorer: cold wall and CPU ms per change (a fresh page), warm (each change's best of the rounds)."""
    from playwright.sync_api import sync_playwright

    explorers = _explorers()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        page_file = _page(pathlib.Path(tmp), explorers)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_function(f"() => document.querySelectorAll('.convlab-live[data-state]').length === {len(explorers)}")
            session = page.context.new_cdp_session(page)
            # durations in the main thread's own time: other processes' load does not count
            session.send("Performance.enable", {"timeDomain": "threadTicks"})
            kinds = page.evaluate(PLAN)
            cold = _sweep(page, session, kinds)
            # warm: the same changes again, several rounds; each change's best round (other
            # processes on the machine only ever add time)
            rounds = [_sweep(page, session, kinds) for _ in range(1 if quick else WARM_ROUNDS)]
            warm = tuple({kind: [min(r[part][kind][i] for r in rounds) for i in range(len(cold[part][kind]))]
                          for kind in cold[part]} for part in (0, 1))
        finally:
            browser.close()
    return cold, warm


def page_weight():
    """(script, stylesheet) sizes raw and gzip, and per chapter of the built site the bytes its explorers emit."""
    from convlab.explore.live import live_data_of

    assets = {}
    for name in ("convlab-live.js", "convlab-live.css"):
        data = (STATIC / name).read_bytes()
        assets[name] = (len(data), len(gzip.compress(data, 9)))
    chapters = {}
    built = ROOT / "_build" / "html" / "en" / "book"
    if built.is_dir():
        for path in sorted(built.glob("*.html")):
            text = path.read_text(encoding="utf-8")
            found = live_data_of(text)
            if found:
                import re

                emitted = "".join(re.findall(r'<div class="convlab-live".*?</script></div>', text, flags=re.S))
                chapters[path.stem] = ([kind for kind, _ in found], len(emitted.encode()),
                                       len(gzip.compress(emitted.encode(), 9)))
    return assets, chapters


def main(quick=False):
    if not pathlib.Path(CHROMIUM).is_file():
        print(f"bench_live: no chromium at {CHROMIUM}: not measured")
        return 0 if quick else 1
    (cold_wall, cold_cpu), (warm_wall, warm_cpu) = measure(quick)
    print("Live explorers in Chromium (book/_static/convlab-live.js): one change = set a control, "
          "recompute, update the DOM, style and layout")
    met = True
    for title, cold, warm in (("wall clock", cold_wall, warm_wall),
                              ("CPU time of the page's main thread (script, style, layout)", cold_cpu, warm_cpu)):
        print(f"\n{title}:\n")
        print("| live explorer | changes | cold median ms | cold p95 ms | cold max ms | warm median ms | warm p95 ms | warm max ms |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for kind in cold:
            c, w = cold[kind], warm[kind]
            if cold is cold_cpu:  # the target is judged on the CPU time, which the machine's load does not move
                met &= _p95(c) <= TARGET_P95_MS and _p95(w) <= TARGET_P95_MS
            print(f"| {kind} | {len(c)} | {statistics.median(c):.2f} | **{_p95(c):.2f}** | {max(c):.2f} | "
                  f"{statistics.median(w):.2f} | **{_p95(w):.2f}** | {max(w):.2f} |")
    print(f"\nlive explorers' CPU p95 <= {TARGET_P95_MS} ms, cold and warm: {'met' if met else 'NOT met'}")
    assets, chapters = page_weight()
    print("\n| added to a page with an explorer | bytes | gzip bytes |\n|---|---:|---:|")
    for name, (raw, packed) in assets.items():
        print(f"| {name} | {raw:,} | {packed:,} |")
    if chapters:
        print("\n| chapter (en) | live explorers | data emitted, bytes | gzip bytes |\n|---|---|---:|---:|")
        for name, (kinds, raw, packed) in chapters.items():
            print(f"| {name} | {', '.join(kinds)} | {raw:,} | {packed:,} |")
    else:
        print("(no built site in _build/html/en: the per-chapter data is measured after `make book`)")
    return 0 if met or quick else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
