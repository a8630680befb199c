"""Make JupyterLab open the book's MyST markdown chapters as notebooks (jupytext), by default.

Written into the virtual environment's JupyterLab settings overrides, so nothing outside
the repository's .venv is touched.
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
