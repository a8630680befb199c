"""convgrade: grading the course's nbgrader practice so that a submission cannot fool it.

guards       stdlib-only call helpers shared by the notebook and the sandbox
checks       one function per graded behaviour (grade_id), run in the kernel and in the sandbox
codec        JSON encoding of arrays and tensors between the sandbox and the grader
sandbox      a forking server that reruns a student's cells in a fresh process
preprocessors, exporter   nbgrader extensions named in nbgrader_config.py
driver, report            `make grade`: parallel autograde, feedback and grades.csv

Importing this package imports nothing else; only preprocessors, exporter and driver import nbgrader.
"""
