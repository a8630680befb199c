"""`make bench`: every benchmark of the course, one after the other, each printing its table.

Each benchmark module has a `main()` that prints its table and returns 0 when its targets are met.
"""
import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # benchmarks/ is a folder of scripts, not a package

BENCHMARKS = ["bench_conv", "bench_explorers", "bench_grading"]


def main():
    status = 0
    for name in BENCHMARKS:
        if not (HERE / f"{name}.py").exists():
            print(f"(skipping {name}: not present)")
            continue
        print(f"\n== {name} ==", flush=True)
        module = importlib.import_module(name)
        status |= int(module.main() or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
