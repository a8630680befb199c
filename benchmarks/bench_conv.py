"""convlab's conv2d and corr2d against torch (and scipy), all timed in one run, with the machine's peak.

This machine is shared and noisy, so we report ratios of contenders timed in the same run, and
how close each comes to numpy's own float32 matrix product on a large square matrix, measured in
the same run as the practical peak. Timing: rounds in which each contender of every case runs a
block of calls (about 20 ms) in a row, all contenders of all cases alternating (so each case's
rounds spread over the whole run), best block of `rounds`. Blocks, not single
alternating calls, because torch's OpenMP threads and OpenBLAS's threads each spin for a while
after a call: alternating single calls would make each library pay for the other's spinning.

--one-thread: numpy's BLAS and torch on one thread each, timed by this thread's CPU time. Other
processes' load (on this shared machine it moves wall-clock figures 2-10x) then hardly counts: a
comparison of the algorithms rather than of how each library copes with a busy machine.

    .venv/bin/python benchmarks/bench_conv.py [--quick] [--one-thread]
"""
import os
import statistics
import sys
import time

ONE_THREAD = "--one-thread" in sys.argv[1:]
if ONE_THREAD:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read when numpy loads OpenBLAS: before the import

import numpy as np  # noqa: E402

CLOCK = time.thread_time if ONE_THREAD else time.perf_counter

# (name, input shape, weight shape, conv2d keyword arguments): the shape classes of the target
# (issue 12), the first six being the issue's own measurements.
CONV2D_CASES = [
    ("1 channel, 512x512, k3", (1, 1, 512, 512), (1, 1, 3, 3), {}),
    ("1 channel, 512x512, k5, pad 2", (1, 1, 512, 512), (1, 1, 5, 5), dict(padding=2)),
    ("few channels: N8, 3->16, 64x64, k3, pad 1", (8, 3, 64, 64), (16, 3, 3, 3), dict(padding=1)),
    ("N16, 16->32, 32x32, k3, pad 1", (16, 16, 32, 32), (32, 16, 3, 3), dict(padding=1)),
    ("stride 2: N4, 32->64, 28x28, k3", (4, 32, 28, 28), (64, 32, 3, 3), dict(stride=2)),
    ("stem: N2, 3->8, 224x224, k7, stride 2, pad 3", (2, 3, 224, 224), (8, 3, 7, 7), dict(stride=2, padding=3)),
    ("stem: N1, 3->64, 224x224, k7, stride 2, pad 3", (1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
    ("many channels: N8, 128->128, 14x14, k3, pad 1", (8, 128, 14, 14), (128, 128, 3, 3), dict(padding=1)),
    ("many channels: N1, 256->256, 7x7, k3, pad 1", (1, 256, 7, 7), (256, 256, 3, 3), dict(padding=1)),
    ("groups 4: N4, 32->32, 28x28, k3, pad 1", (4, 32, 28, 28), (32, 8, 3, 3), dict(padding=1, groups=4)),
    ("depthwise: N4, 32->32, 28x28, k3, pad 1, groups 32", (4, 32, 28, 28), (32, 1, 3, 3), dict(padding=1, groups=32)),
    ("dilation 2: N4, 16->16, 64x64, k3, pad 2", (4, 16, 64, 64), (16, 16, 3, 3), dict(padding=2, dilation=2)),
]
CORR2D_CASES = [(512, 3), (512, 5), (256, 3)]
TARGET_MEDIAN, TARGET_WORST = 1.5, 3.0


def best_seconds(contenders, rounds, block_seconds=0.02):
    """Seconds per call of each contender: the best of `rounds` interleaved blocks of calls."""
    calls = {}
    for name, fn in contenders.items():
        fn()  # warm up: allocations, torch's first-call dispatch, oneDNN's primitive cache
        start = CLOCK()
        fn()
        calls[name] = max(1, min(100, int(block_seconds / max(CLOCK() - start, 1e-7))))
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(rounds):
        for name, fn in contenders.items():
            fn()  # the other library's threads may still be spinning: not part of the block
            start = CLOCK()
            for _ in range(calls[name]):
                fn()
            best[name] = min(best[name], (CLOCK() - start) / calls[name])
    return best


def matmul_peak(size, rounds):
    """GFLOP/s of numpy's float32 matrix product on two (size, size) matrices: the practical peak."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    out = np.empty_like(a)
    seconds = best_seconds({"matmul": lambda: np.matmul(a, b, out=out)}, rounds, block_seconds=0)["matmul"]
    return 2 * size**3 / seconds / 1e9


def conv2d_flops(x_shape, w_shape, out_shape):
    """Multiply-adds of a direct convolution, times 2: the work any algorithm must do."""
    c_out, c_per_group, kh, kw = w_shape
    return 2 * out_shape[0] * c_out * out_shape[2] * out_shape[3] * c_per_group * kh * kw


def run(quick=False):
    """{peak_gflops, conv2d: rows, corr2d: rows}; quick: one short round (a smoke test of the code)."""
    import scipy.signal
    import torch
    import torch.nn.functional as F

    import convlab

    torch.set_num_threads(1 if ONE_THREAD else os.cpu_count() or 1)
    rounds, block = (1, 0) if quick else (15, 0.02)
    rng = np.random.default_rng(0)
    peak_size = 512 if quick else 2048
    peak = matmul_peak(peak_size, rounds)
    # Every contender of every case in one interleaved timing, so that each case's rounds are
    # spread over the whole run: a burst of load from another process cannot hit all of them.
    contenders, flops = {}, {}
    with torch.no_grad():
        for name, x_shape, w_shape, kwargs in CONV2D_CASES:
            x = rng.standard_normal(x_shape, dtype=np.float32)
            w = rng.standard_normal(w_shape, dtype=np.float32)
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            contenders[name, "convlab"] = lambda x=x, w=w, kwargs=kwargs: convlab.conv2d(x, w, **kwargs)
            contenders[name, "torch"] = lambda tx=tx, tw=tw, kwargs=kwargs: F.conv2d(tx, tw, **kwargs)
            flops[name] = conv2d_flops(x_shape, w_shape, F.conv2d(tx, tw, **kwargs).shape)
        for size, k in CORR2D_CASES:
            X = rng.standard_normal((size, size), dtype=np.float32)
            K = rng.standard_normal((k, k), dtype=np.float32)
            tx, tk = torch.from_numpy(X)[None, None], torch.from_numpy(K)[None, None]
            name = f"corr2d {size}x{size}, k{k}"
            contenders[name, "convlab"] = lambda X=X, K=K: convlab.corr2d(X, K)
            contenders[name, "torch"] = lambda tx=tx, tk=tk: F.conv2d(tx, tk)
            contenders[name, "scipy"] = lambda X=X, K=K: scipy.signal.correlate2d(X, K, mode="valid")
        t = best_seconds(contenders, rounds, block)
    conv_rows = [{"case": name, "convlab_ms": t[name, "convlab"] * 1e3, "torch_ms": t[name, "torch"] * 1e3,
                  "ratio": t[name, "convlab"] / t[name, "torch"],
                  "convlab_gflops": flops[name] / t[name, "convlab"] / 1e9,
                  "torch_gflops": flops[name] / t[name, "torch"] / 1e9} for name, *_ in CONV2D_CASES]
    corr_rows = [{"case": name, "convlab_ms": t[name, "convlab"] * 1e3, "torch_ms": t[name, "torch"] * 1e3,
                  "scipy_ms": t[name, "scipy"] * 1e3, "ratio": t[name, "convlab"] / t[name, "torch"]}
                 for name in (f"corr2d {size}x{size}, k{k}" for size, k in CORR2D_CASES)]
    return {"peak_gflops": peak, "peak_size": peak_size, "conv2d": conv_rows, "corr2d": corr_rows}


def report(result):
    """The tables as Markdown lines, and whether the targets are met."""
    peak = result["peak_gflops"]
    size = result["peak_size"]
    lines = [f"numpy float32 matmul peak ({size}x{size}, this run): {peak:.1f} GFLOP/s", "",
             "| conv2d case (float32) | convlab ms | torch ms | convlab / torch | convlab GFLOP/s | of peak | torch GFLOP/s | of peak |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["conv2d"]:
        lines.append(f"| {r['case']} | {r['convlab_ms']:.3f} | {r['torch_ms']:.3f} | {r['ratio']:.2f} "
                     f"| {r['convlab_gflops']:.1f} | {r['convlab_gflops'] / peak:.0%} "
                     f"| {r['torch_gflops']:.1f} | {r['torch_gflops'] / peak:.0%} |")
    ratios = [r["ratio"] for r in result["conv2d"]]
    median, worst = statistics.median(ratios), max(ratios)
    conv_ok = median <= TARGET_MEDIAN and worst <= TARGET_WORST
    lines += ["", f"conv2d / torch: median {median:.2f} (target <= {TARGET_MEDIAN}), worst {worst:.2f} "
                  f"(target <= {TARGET_WORST}): {'met' if conv_ok else 'NOT met'}", "",
              "| corr2d case (float32) | convlab ms | torch ms | scipy ms | convlab / torch |",
              "|---|---:|---:|---:|---:|"]
    for r in result["corr2d"]:
        lines.append(f"| {r['case']} | {r['convlab_ms']:.3f} | {r['torch_ms']:.3f} | {r['scipy_ms']:.3f} | {r['ratio']:.2f} |")
    corr_ok = all(r["convlab_ms"] <= min(r["torch_ms"], r["scipy_ms"]) for r in result["corr2d"])
    lines.append(f"\ncorr2d at or ahead of torch and scipy: {'met' if corr_ok else 'NOT met'}")
    return lines, conv_ok and corr_ok


def main(quick=False):
    """Print the tables; 0 when the targets are met (quick runs only check that everything runs)."""
    import torch

    mode = "one thread each, CPU time" if ONE_THREAD else f"{os.cpu_count()} threads each, wall clock"
    print(f"conv benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {mode}, load average "
          f"{os.getloadavg()[0]:.1f}, numpy {np.__version__}, torch {torch.__version__}"
          f"{', QUICK: one short round, figures meaningless' if quick else ''})")
    lines, ok = report(run(quick))
    print("\n".join(lines), flush=True)
    return 0 if ok or quick else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
