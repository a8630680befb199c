"""Grade the practice: autograde every submission in parallel, then feedback and grades.csv.

    make grade                                  # the repository's submitted/ folder
    make grade COURSE=/path/to/course ASSIGNMENT=conv-basics
    .venv/bin/python tools/grade.py --student bob   # re-grade one student

See book/instructors.md for the whole workflow; the work is done by convgrade.driver.
"""
import sys

from convgrade.driver import main

if __name__ == "__main__":
    sys.exit(main())
