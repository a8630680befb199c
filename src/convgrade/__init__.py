"""convgrade: an nbgrader grading engine that a submission cannot fool; it holds no course content.

The nbgrader steps named in nbgrader_config.py (each a preprocessor, an exporter or a plugin):
  sanitize, scan         intake: drop a submission's own records, restore edited test cells, flag
                         answers that reach around the rules
  execution, kernel      the notebook's kernel in a bubblewrap sandbox, seeded per cell
  verify, judge, replay  every test re-run by the grader against a fresh sandboxed replay
  feedback, exporter, export   feedback pages, tolerant reading, grades.csv with a status column
The sandbox: isolation (bubblewrap boxes), kernel_launch, replay_server, wire, codec.
`make grade`: driver and tasks (a Dask cluster or one machine), report, gradebook, audit.
An assignment's own rules live beside it, in source/<assignment>/checks.py (content.py reads them).

Importing this package imports nothing else.
"""
