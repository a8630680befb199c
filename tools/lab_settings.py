"""Settings of the course environment, written into .venv only (nothing outside it is touched).

- JupyterLab opens the book's MyST markdown chapters as notebooks (jupytext), by default.
- Kernels do not log "Kernel is running over TCP without encryption" at start: every kernel here
  (a chapter executed by the book build, JupyterLab's) serves a client on the same machine over
  localhost, and the book build printed it once per chapter. Choosing IPC transport instead
  cannot be done from here: myst-nb's kernel manager takes no configuration file, and
  jupyter_client 8.10 puts IPC sockets relative to the *client's* working directory, which
  differs from the chapter kernel's (measured: kernels that never answer). The kernel's own
  log level is the setting that reaches every kernel; errors are still logged.
"""
import json
import pathlib
import sys

overrides = pathlib.Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
overrides.parent.mkdir(parents=True, exist_ok=True)
settings = json.loads(overrides.read_text()) if overrides.exists() else {}
viewers = settings.setdefault("@jupyterlab/docmanager-extension:plugin", {}).setdefault("defaultViewers", {})
viewers.update({"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"})
overrides.write_text(json.dumps(settings, indent=2))

# IPython reads {sys.prefix}/etc/ipython/ipython_kernel_config.py in every kernel it starts.
kernel_config = pathlib.Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.py"
kernel_config.parent.mkdir(parents=True, exist_ok=True)
kernel_config.write_text("# Written by tools/lab_settings.py (make setup); see there why.\n"
                         'c.IPKernelApp.log_level = "ERROR"\n')
