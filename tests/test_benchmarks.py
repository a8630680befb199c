"""`make bench` must run to the end: its smoke mode runs every benchmark's code on a few calls.

Speed targets live in the benchmarks, not here (a timed test would fail on a busy machine);
this only proves that each benchmark still runs and prints its tables.
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_bench_quick_runs_every_benchmark_and_prints_its_tables():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for heading in ("== bench_conv ==", "== bench_explorers ==", "== bench_live ==", "== bench_grading: skipped in the quick mode (it has a main()) =="):
        assert heading in out
    # the conv2d table: every case with convlab/torch and the fraction of peak; corr2d with scipy
    assert "| conv2d case (float32) | convlab ms | torch ms | convlab / torch | convlab GFLOP/s | of peak |" in out
    assert "numpy float32 matmul peak" in out
    assert "| corr2d 512x512, k3 |" in out
    # the explorers' cold and warm p95, one row per explorer
    assert "| explorer | figure px | changes | cold median ms | cold p95 ms | warm median ms | warm p95 ms |" in out
    for explorer in ("kernel_explorer", "channel_explorer", "pooling_explorer", "learn_kernel_explorer"):
        assert f"| {explorer}" in out
    # the live explorers in Chromium, one row per explorer (when Debian's chromium is there)
    if "bench_live: no chromium" not in out:
        assert "| live explorer | changes | cold median ms | cold p95 ms |" in out
        for kind in ("cross_correlation", "kernel_on_photo", "learn_kernel", "padding_stride", "pooling", "receptive_field"):
            assert f"| {kind} |" in out
        assert "| convlab-live.js |" in out
    assert out.rstrip().splitlines()[-1].startswith("bench --quick: 4 benchmarks in ")
