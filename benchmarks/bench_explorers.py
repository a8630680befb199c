"""Latency of the explorers: a control's value change -> state recomputed -> figure redrawn.

Measured as the reader feels it in JupyterLab, minus the browser: setting `control.value`
(which recomputes `state` and updates the artists) plus `figure.canvas.draw()` on Agg.
The PNG column adds the encoding that the notebook view sends to the browser. Times are wall
clock; the CPU column (this thread's CPU time) tells how much of it is ours when other
processes share the two cores. Targets: kernel_explorer on a 512x512 image p95 <= 50 ms;
every explorer < 100 ms.
"""
import os
import time

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402

from convlab import explore, photograph  # noqa: E402

REPEATS = 30

# explorer name -> (builder, {control: values cycled through})
CASES = {
    "cross_correlation_explorer": (explore.cross_correlation_explorer, {"row": [1, 2, 0], "k00": [2.0, -1.0, 1.0]}),
    "kernel_explorer (512x512)": (
        lambda: explore.kernel_explorer(photograph(512)),
        {"kernel": ["gaussian", "sobel_y", "laplacian", "sobel_x"], "k11": [2.0, 5.0, 1.0]},
    ),
    "padding_stride_explorer": (
        explore.padding_stride_explorer,
        {"padding": [2, 3, 0, 1], "stride": [1, 3, 2], "input_size": [10, 4, 6]},
    ),
    "channel_explorer": (explore.channel_explorer, {"kernel_size": [5, 7, 3], "out_channels": [4, 1, 2, 64, 16]}),
    "receptive_field_explorer": (
        explore.receptive_field_explorer,
        {"layers": [6, 8, 3], "dilation": [2, 3, 1], "preset": ["VGG-16 blocks 1-2", "AlexNet conv1-pool2", "custom"]},
    ),
    "pooling_explorer": (explore.pooling_explorer, {"mode": ["avg", "max"], "kernel_size": [3, 4, 2]}),
    "learn_kernel_explorer": (explore.learn_kernel_explorer, {"epochs": [30, 60, 10], "lr": [0.01, 0.02, 0.03]}),
}


def _time_changes(explorer, control, values, with_png):
    """Wall and CPU milliseconds of REPEATS value changes (after three warm-up changes)."""
    times, cpu = [], []
    widget = explorer.controls[control]
    for index in range(REPEATS + 3):  # three warm-up changes
        value = values[index % len(values)]
        if widget.value == value:
            value = values[(index + 1) % len(values)]
        start, start_cpu = time.perf_counter(), time.thread_time()
        widget.value = value
        if with_png:
            explorer.render_png()
        else:
            explorer.figure.canvas.draw()
        if index >= 3:
            times.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - start_cpu)
        if explorer.state["error"]:
            raise RuntimeError(f"{control}={value!r} made an invalid combination: {explorer.state['error']}")
    return np.array(times) * 1000, np.array(cpu) * 1000


def run():
    """One row per (explorer, control): median and p95 ms (state + Agg draw), p95 with PNG encoding, CPU ms."""
    rows = []
    for name, (build, controls) in CASES.items():
        explorer = build()
        explorer.figure.canvas.draw()
        for control, values in controls.items():
            draw, cpu = _time_changes(explorer, control, values, with_png=False)
            png, _ = _time_changes(explorer, control, values, with_png=True)
            rows.append({
                "explorer": name,
                "control": control,
                "median_ms": float(np.median(draw)),
                "p95_ms": float(np.percentile(draw, 95)),
                "p95_with_png_ms": float(np.percentile(png, 95)),
                "cpu_median_ms": float(np.median(cpu)),
            })
    return rows


def table(rows):
    """The rows as a Markdown table (the README's latency table)."""
    lines = ["| explorer | control changed | median (ms) | p95 (ms) | p95 incl. PNG (ms) | CPU median (ms) |",
             "|---|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['explorer']} | {row['control']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} "
                     f"| {row['p95_with_png_ms']:.1f} | {row['cpu_median_ms']:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
