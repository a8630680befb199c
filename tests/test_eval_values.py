"""The `{eval}` values of the book (tools/eval_values.py): recorded by a real kernel, shown as
JupyterLab shows them.

The oracle for "as JupyterLab shows them" is jupyterlab-myst's own inline renderer, whose rule
is copied here from its bundle (`e.replace(/^(["'])(.*)\\1$/, "$2")` on text/plain), and the
oracle for the values is a kernel asked directly, the way jupyterlab-myst asks it.
"""
import importlib.util
import re

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

from built_site import ROOT

spec = importlib.util.spec_from_file_location("eval_values", ROOT / "tools" / "eval_values.py")
eval_values = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eval_values)


def jupyterlab_myst_text(text_plain):
    """jupyterlab-myst 2.x's inline rendering of a text/plain result, in Python."""
    return re.sub(r"^([\"'])(.*)\1$", r"\2", text_plain)


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c[5:]) if c.startswith("code:") else nbformat.v4.new_markdown_cell(c)
                for c in cells]
    return nb


def run(nb):
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    return nb


def test_value_cells_follow_the_paragraphs_that_need_them():
    nb = notebook("# Title", "code:n = 3", "Has {eval}`n` and {eval}`n` and {eval}`s`.", "No roles.")
    nb.metadata["source_map"] = [1, 3, 7, 9]
    eval_values.add_value_cells(nb)
    kinds = [("value" if eval_values.is_value_cell(c) else c.cell_type) for c in nb.cells]
    assert kinds == ["markdown", "code", "markdown", "value", "markdown"]
    assert nb.metadata["source_map"] == [1, 3, 7, 7, 9]
    assert "remove-cell" in nb.cells[3].metadata["tags"]
    assert eval_values.without_value_cells(nbformat.from_dict(nb))["cells"][3].source == "No roles."


def test_recorded_values_are_the_kernels_and_show_as_in_jupyterlab():
    nb = run(eval_values.add_value_cells(notebook(
        "code:count = 1024\ntext = f'{count:,}'\nquoted = \"it's\"\nshape = (4, 6)",
        "{eval}`count`, {eval}`text`, {eval}`quoted`, {eval}`shape`.")))
    values = eval_values.recorded_values(nb)
    manager, client = start_new_kernel(kernel_name="python3")
    try:  # the oracle: the same expressions asked of a kernel directly, as jupyterlab-myst asks
        client.execute("count = 1024\ntext = f'{count:,}'\nquoted = \"it's\"\nshape = (4, 6)", reply=True)
        reply = client.execute("", user_expressions={k: k for k in values}, reply=True)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    direct = reply["content"]["user_expressions"]
    for name in values:
        assert values[name]["data"] == direct[name]["data"]
        assert eval_values.shown_text(name, values[name]) == jupyterlab_myst_text(direct[name]["data"]["text/plain"])
    assert [eval_values.shown_text(n, values[n]) for n in ("count", "text", "quoted", "shape")] == \
        ["1024", "1,024", "it's", "(4, 6)"]


def test_a_value_defined_after_its_paragraph_is_an_error_naming_it():
    nb = run(eval_values.add_value_cells(notebook("Too early: {eval}`later`.", "code:later = 1")))
    with pytest.raises(eval_values.EvalValueError, match=r"`later` failed .*NameError.*above the paragraph"):
        eval_values.shown_text("later", eval_values.recorded_values(nb)["later"])


def test_values_the_site_cannot_show_like_jupyterlab_are_errors():
    nb = run(eval_values.add_value_cells(notebook(
        "code:import numpy as np\nx = np.float64(0.5)\nv = 1", "{eval}`x` {eval}`v`",
        "code:v = 2", "{eval}`v`")))
    with pytest.raises(eval_values.EvalValueError, match="different values in two paragraphs"):
        eval_values.recorded_values(nb)
    nb.cells = nb.cells[:3]
    with pytest.raises(eval_values.EvalValueError, match=r"np\.float64\(0\.5\).*str or a Python int"):
        eval_values.shown_text("x", eval_values.recorded_values(nb)["x"])
