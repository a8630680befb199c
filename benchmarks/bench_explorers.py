"""Latency of the explorers as a learner meets it: cold (first visit of each option), then warm.

For each explorer, as a chapter builds it (same arguments), shown as in JupyterLab: `.widget` is
built first, so every change recomputes the state, redraws the Agg canvas and encodes the PNG
that the notebook sends to the browser, at the explorer's own figure size and dpi (what
JupyterLab shows). The timed unit is one `control.value = ...`, the whole update.

Cold: a freshly built explorer visits every option of every control once (sliders: up to
`MAX_OPTIONS` values spread over their range; number entries: one edit), returning each control
to its first value before the next. Warm: the same visits again. Wall-clock p95 per explorer; target p95 <= 50 ms for both.
A second table gives the same changes' CPU time: on a machine shared with other work, the
wall-clock figure also holds the waits for a core, which the code does not cost.

    .venv/bin/python benchmarks/bench_explorers.py [--quick]
"""
import os
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402

TARGET_P95_MS = 50
MAX_OPTIONS = 8

# explorer name -> how the chapters build it (book/*.md)
BUILDS = {
    "cross_correlation_explorer": lambda explore: explore.cross_correlation_explorer(row=1, col=0),
    "kernel_explorer (512x512 photo)": lambda explore: explore.kernel_explorer(),
    "padding_stride_explorer": lambda explore: explore.padding_stride_explorer(),
    "channel_explorer": lambda explore: explore.channel_explorer(),
    "receptive_field_explorer": lambda explore: explore.receptive_field_explorer(),
    "pooling_explorer": lambda explore: explore.pooling_explorer(),
    "learn_kernel_explorer": lambda explore: explore.learn_kernel_explorer(),
}


def options(widget, limit):
    """The values a learner can pick on `widget`: every choice, up to `limit` slider stops, or
    for a number entry (a kernel entry the learner types) that number plus one."""
    if hasattr(widget, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in widget.options]
    if isinstance(widget.value, bool):
        return [False, True]
    if hasattr(widget, "min") and hasattr(widget, "max"):
        step = getattr(widget, "step", 1) or 1
        stops = np.arange(widget.min, widget.max + step / 2, step)
        picked = stops[np.unique(np.linspace(0, len(stops) - 1, min(limit, len(stops))).round().astype(int))]
        return [type(widget.value)(v) for v in picked]
    if isinstance(widget.value, (int, float)):
        return [widget.value + 1]
    return []


def visits(explorer, limit):
    """(control, value) in visiting order: each other option once, then back to the first value."""
    plan = []
    for name, widget in explorer.controls.items():
        first = widget.value
        plan += [(name, v) for v in options(widget, limit) if v != first] + [(name, first)]
    return plan


def timed_pass(explorer, plan, cpu=None):
    """Wall-clock milliseconds of each change in `plan` (value set -> state, artists, canvas, PNG);
    the CPU milliseconds of this process for each change are appended to the list `cpu` if given."""
    times = []
    for name, value in plan:
        start, start_cpu = time.perf_counter(), time.process_time()
        explorer.controls[name].value = value
        times.append((time.perf_counter() - start) * 1e3)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1e3)
    return np.array(times)


def run(quick=False):
    """One row per explorer: changes, cold and warm median and p95 (ms), figure size in pixels."""
    from convlab import explore

    rows = []
    for name, build in BUILDS.items():
        explorer = build(explore)
        explorer.widget  # shown: from now on every change also renders the PNG
        plan = visits(explorer, MAX_OPTIONS)[: 1 if quick else None]
        cold_cpu, warm_cpu = [], []
        cold, warm = timed_pass(explorer, plan, cold_cpu), timed_pass(explorer, plan, warm_cpu)
        width, height = (explorer.figure.get_size_inches() * explorer.figure.dpi).round().astype(int)
        rows.append({"explorer": name, "changes": len(plan), "pixels": f"{width}x{height}",
                     "cold_median_ms": float(np.median(cold)), "cold_p95_ms": float(np.percentile(cold, 95)),
                     "warm_median_ms": float(np.median(warm)), "warm_p95_ms": float(np.percentile(warm, 95)),
                     "cold_cpu_p95_ms": float(np.percentile(cold_cpu, 95)),
                     "warm_cpu_p95_ms": float(np.percentile(warm_cpu, 95))})
    return rows


def table(rows):
    """The rows as a Markdown table (the README's latency table)."""
    lines = ["| explorer | figure px | changes | cold median ms | cold p95 ms | warm median ms | warm p95 ms |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['explorer']} | {r['pixels']} | {r['changes']} | {r['cold_median_ms']:.1f} "
                     f"| **{r['cold_p95_ms']:.1f}** | {r['warm_median_ms']:.1f} | {r['warm_p95_ms']:.1f} |")
    return "\n".join(lines)


def cpu_table(rows):
    """The CPU time of the same changes: what the code costs, without the waits for a busy core."""
    lines = ["| explorer | cold p95 CPU ms | warm p95 CPU ms |", "|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['explorer']} | {r['cold_cpu_p95_ms']:.1f} | {r['warm_cpu_p95_ms']:.1f} |")
    return "\n".join(lines)


def main(quick=False):
    """Print the table; 0 when every p95 (cold and warm) meets the target (quick: always 0)."""
    rows = run(quick)
    print(f"explorer latency ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores"
          f"{', QUICK: a few changes each, figures meaningless' if quick else ''})")
    print(table(rows))
    print(f"\nthe same changes in CPU time of this process (load average {os.getloadavg()[0]:.1f} at the end):")
    print(cpu_table(rows))
    worst = max(max(r["cold_p95_ms"], r["warm_p95_ms"]) for r in rows)
    met = worst <= TARGET_P95_MS
    print(f"\nworst p95 {worst:.1f} ms (target <= {TARGET_P95_MS} ms, cold and warm): {'met' if met else 'NOT met'}",
          flush=True)
    return 0 if met or quick else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
