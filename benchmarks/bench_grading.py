"""Grading speed: a generated class of 100 submissions, graded by `make grade` and one by one.

The class is generated with the demo class's makers (tests/demo_class/make_demo_class.py): mostly
honest work (51 full marks, 20 partial, 10 wrong, 5 untouched) and one of each troublesome kind
(endless loop, corrupt file, missing notebook, edited/deleted/stripped tests, copied cells, two
cheats, a kernel that exits, stderr warnings, huge output, a slow loop). Both runs use the driver
(tools/grade.py: autograde, independent re-check, feedback, grades.csv); "parallel" with one
worker per core, "one by one" with a single worker.

Targets: the parallel run under 4 minutes on the course's 2-core machine, and at least 1.6x faster
than one by one.

    .venv/bin/python benchmarks/bench_grading.py [class size]
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from demo_class import make_demo_class  # noqa: E402

TARGET_SECONDS = 240
TARGET_SPEEDUP = 1.6
HONEST = {"full_marks": 51, "partial": 20, "wrong": 10, "untouched_stub": 5}


def class_mix(size=100):
    """Student kinds for a class of `size` (the honest share shrinks first for smaller classes)."""
    rare = [kind for kind in make_demo_class.EXPECTED if kind not in HONEST]
    kinds = [kind for kind, count in HONEST.items() for _ in range(count)] + rare
    return sorted(kinds[:max(0, size - len(rare))] + rare[:size])


def make_course(folder, size):
    folder.mkdir(parents=True)
    for name in ("source", "exercises"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for number, kind in enumerate(class_mix(size)):
        make_demo_class.write_submission(folder / "submitted" / f"s{number:03d}_{kind}", kind)
    return folder


def grade(course, jobs):
    """Seconds `tools/grade.py` takes for the course (the command `make grade` runs)."""
    env = {**os.environ, "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), "--course", str(course), "--jobs", str(jobs),
                    "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run(size=100):
    """Table rows: (what, seconds, seconds per student, target)."""
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as folder:
        parallel_jobs = os.cpu_count() or 2
        parallel = grade(make_course(pathlib.Path(folder) / "parallel", size), parallel_jobs)
        serial = grade(make_course(pathlib.Path(folder) / "serial", size), 1)
    return [
        (f"{size} submissions, {parallel_jobs} workers (make grade)", parallel, parallel / size,
         f"< {TARGET_SECONDS} s"),
        (f"{size} submissions, one by one", serial, serial / size, ""),
        ("speed-up", serial / parallel, None, f">= {TARGET_SPEEDUP}x"),
    ]


def main(size=100):
    rows = run(size)
    print(f"{'grading':<44} {'value':>10} {'per student':>12}  target")
    for what, value, per_student, target in rows:
        shown = f"{value:.2f}x" if what == "speed-up" else f"{value:.1f} s"
        per = "" if per_student is None else f"{per_student:.2f} s"
        print(f"{what:<44} {shown:>10} {per:>12}  {target}")
    parallel, speedup = rows[0][1], rows[2][1]
    return 0 if parallel < TARGET_SECONDS and speedup >= TARGET_SPEEDUP else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
