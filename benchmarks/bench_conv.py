"""convlab's conv2d/corr2d against torch, scipy and the textbook loops, all timed in one run.

Ratios, not absolute times, are what we report: this machine is shared and noisy, so every
contender of a case is timed interleaved, in the same process, and we take medians.
"""
import os
import statistics
import sys
import time

import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F

import convlab

torch.set_num_threads(os.cpu_count() or 1)


def _median_seconds(fn, repeats):
    fn()  # warm up (allocations, torch's first-call dispatch)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _interleaved(contenders, repeats):
    """Median seconds of each contender, timed in alternation so load spikes hit all of them."""
    for fn in contenders.values():
        fn()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def single_channel_cases(rng):
    for k in (3, 5):
        X = rng.standard_normal((512, 512)).astype(np.float32)
        K = rng.standard_normal((k, k)).astype(np.float32)
        tx, tk = torch.from_numpy(X)[None, None], torch.from_numpy(K)[None, None]
        yield f"corr2d 512x512, k={k}", {
            "convlab": lambda X=X, K=K: convlab.corr2d(X, K),
            "torch": lambda tx=tx, tk=tk: F.conv2d(tx, tk),
            "scipy": lambda X=X, K=K: scipy.signal.correlate2d(X, K, mode="valid"),
        }


def batched_cases(rng):
    specs = [
        ("N=8, 3->16, 64x64, k=3, pad 1", (8, 3, 64, 64), (16, 3, 3, 3), dict(padding=1)),
        ("N=16, 16->32, 32x32, k=3, pad 1", (16, 16, 32, 32), (32, 16, 3, 3), dict(padding=1)),
        ("N=1, 3->64, 224x224, k=7, stride 2, pad 3", (1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
        ("N=4, 32->32, 28x28, k=3, groups 4", (4, 32, 28, 28), (32, 8, 3, 3), dict(padding=1, groups=4)),
    ]
    for name, xs, ws, kw in specs:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        yield f"conv2d {name}", {
            "convlab": lambda x=x, w=w, kw=kw: convlab.conv2d(x, w, **kw),
            "torch": lambda tx=tx, tw=tw, kw=kw: F.conv2d(tx, tw, **kw),
        }


def run(repeats=15):
    """Rows of {case, convlab_ms, torch_ms, ratio, scipy_ms}; plus the loops comparison."""
    rng = np.random.default_rng(0)
    rows = []
    with torch.no_grad():
        for case, contenders in list(single_channel_cases(rng)) + list(batched_cases(rng)):
            t = _interleaved(contenders, repeats)
            rows.append(
                {
                    "case": case,
                    "convlab ms": t["convlab"] * 1e3,
                    "torch ms": t["torch"] * 1e3,
                    "convlab/torch": t["convlab"] / t["torch"],
                    "scipy ms": t["scipy"] * 1e3 if "scipy" in t else None,
                }
            )
    X = rng.standard_normal((512, 512))
    K = rng.standard_normal((3, 3))
    loops = _median_seconds(lambda: convlab.corr2d_loops(X, K), 1)
    vec = _median_seconds(lambda: convlab.corr2d(X, K), repeats)
    speedup = {"case": "corr2d vs corr2d_loops, 512x512, k=3", "loops s": loops, "corr2d ms": vec * 1e3, "speedup": loops / vec}
    return rows, speedup


def main():
    rows, speedup = run()
    print(f"conv benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, numpy {np.__version__}, torch {torch.__version__})")
    print(f"| case | convlab ms | torch ms | convlab/torch | scipy ms |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        scipy_ms = f"{r['scipy ms']:.2f}" if r["scipy ms"] is not None else "-"
        print(f"| {r['case']} | {r['convlab ms']:.2f} | {r['torch ms']:.2f} | {r['convlab/torch']:.2f} | {scipy_ms} |")
    median_ratio = statistics.median(r["convlab/torch"] for r in rows)
    print(f"median convlab/torch ratio: {median_ratio:.2f} (target <= 1.5)")
    print(
        f"{speedup['case']}: loops {speedup['loops s']:.2f} s, corr2d {speedup['corr2d ms']:.2f} ms, "
        f"speedup {speedup['speedup']:.0f}x (target >= 1000x)"
    )
    return 0 if median_ratio <= 1.5 and speedup["speedup"] >= 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
