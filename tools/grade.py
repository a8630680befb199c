"""Grade the course: autograde every submission on Dask, each in its sandboxes, then feedback and grades.csv.

    make grade                                  # the repository's submitted/ folder, every assignment
    make grade COURSE=/path/to/course ASSIGNMENT=conv-basics
    make grade ARGS="--student bob"             # re-grade one student
    .venv/bin/python tools/grade.py --help      # every option (--scheduler, --no-isolation, ...)

See book/instructors.md for the whole workflow; the work is done by convgrade.driver.
"""
import sys

from convgrade.driver import main

if __name__ == "__main__":
    sys.exit(main())
