"""`make bench`: every benchmark of the course, one after the other, each printing its table.

Each benchmark module has `main(quick=False)`: it prints its table and returns 0 when its
targets are met. `--quick` is the smoke mode that the test suite runs (tests/test_benchmarks.py):
every benchmark's code runs end to end on a few calls, so that none of them can break silently;
its figures mean nothing. The grading benchmark grades a whole generated class, so the smoke
mode skips it (its driver is tested end to end by the grading tests).

    .venv/bin/python benchmarks/run.py [--quick]
"""
import importlib
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # benchmarks/ is a folder of scripts, not a package

BENCHMARKS = ["bench_conv", "bench_explorers", "bench_live", "bench_grading"]
SKIPPED_WHEN_QUICK = {"bench_grading"}


def main(quick=False):
    status = 0
    start = time.perf_counter()
    for name in BENCHMARKS:
        if quick and name in SKIPPED_WHEN_QUICK:
            assert callable(importlib.import_module(name).main), f"{name} has no main()"
            print(f"\n== {name}: skipped in the quick mode (it has a main()) ==")
            continue
        print(f"\n== {name} ==", flush=True)
        module = importlib.import_module(name)
        status |= int(module.main(quick=quick) or 0)
    verdict = "every target met" if status == 0 else "some target NOT met (see above)"
    print(f"\nbench{' --quick' if quick else ''}: {len(BENCHMARKS)} benchmarks in "
          f"{time.perf_counter() - start:.0f} s, {verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
