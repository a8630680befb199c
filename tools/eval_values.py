"""Numbers in prose with `{eval}` roles, under myst-nb's execution cache.

A chapter writes {eval}`name` in its prose, where `name` is a variable of its code. JupyterLab
(jupyterlab-myst) evaluates that name in the kernel as a "user expression" when the Markdown cell
runs. myst-nb's own `{eval}` role asks a live kernel too, which exists only in its `inline`
execution mode; the book executes through jupyter-cache (`cache` mode), whose kernel is gone when
the page is read. So the values are recorded while the chapter runs and cached with it:

- `add_value_cells`: after every Markdown cell with `{eval}` roles the notebook gets a code cell
  (tag `remove-cell`, so the page does not show it) that asks the kernel for the same user
  expressions JupyterLab asks for and publishes the answers as one output. The cell is part of
  the notebook that jupyter-cache hashes and executes, so the values come from the build's run.
- `recorded_values`: the values of a chapter, read from those cells' outputs.
- `shown_text`: what JupyterLab shows for a value (jupyterlab-myst 2.x shows text/plain with one
  pair of enclosing quotes removed), so that the page shows the same text.
- `without_value_cells`: the notebook without them, for downloads and the student kit, where
  JupyterLab evaluates the roles itself.
"""
import json
import re

import nbformat

ROLE = re.compile(r"\{eval\}`([^`]+)`")
MIME = "application/vnd.convlab-book.eval+json"
TAG = "eval-values"
# jupyterlab-myst's inline renderer: e.replace(/^(["'])(.*)\1$/, "$2")
_QUOTED = re.compile(r"([\"'])(.*)\1")  # used with fullmatch; `.` stops at newlines as in JS


class EvalValueError(ValueError):
    """An `{eval}` expression whose value the book cannot show."""


def expressions(markdown):
    """The distinct `{eval}` expressions of a Markdown text, in order."""
    return list(dict.fromkeys(ROLE.findall(markdown)))


def _value_cell(names):
    request = json.dumps({name: name for name in names})
    source = ("# {eval} values of the Markdown cell above, for the site (tools/eval_values.py)\n"
              f"__import__('IPython').display.publish_display_data("
              f"{{{MIME!r}: get_ipython().user_expressions({request})}})")
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-cell", TAG]})


def add_value_cells(notebook):
    """The notebook, with a value-recording cell after each Markdown cell that has `{eval}` roles."""
    lines = notebook.metadata.get("source_map")  # myst-nb's first line of each cell, for messages
    cells, starts = [], []
    for index, cell in enumerate(notebook.cells):
        cells.append(cell)
        starts.append(lines[index] if lines else None)
        if cell.cell_type == "markdown" and (names := expressions(cell.source)):
            cells.append(_value_cell(names))
            starts.append(starts[-1])  # errors in it point at the paragraph
    notebook.cells = cells
    if lines:
        notebook.metadata["source_map"] = starts
    return notebook


def is_value_cell(cell):
    return TAG in cell.get("metadata", {}).get("tags", [])


def without_value_cells(notebook):
    """The notebook (a dict, as read from JSON) without the value-recording cells."""
    notebook["cells"] = [cell for cell in notebook.get("cells", []) if not is_value_cell(cell)]
    return notebook


def recorded_values(notebook):
    """{expression: user-expression reply} from an executed notebook's value cells.

    An expression shown in two paragraphs must have one value: a translated paragraph is matched
    to its chapter, not to its place in it, so it could not tell two values apart.
    """
    values = {}
    for cell in notebook.get("cells", []):
        if not is_value_cell(cell):
            continue
        for output in cell.get("outputs", []):
            for name, reply in output.get("data", {}).get(MIME, {}).items():
                if name in values and values[name].get("status") != "ok":
                    continue  # the first failure is the one to report
                if name in values and reply.get("status") == "ok" and values[name] != reply:
                    raise EvalValueError(
                        f"{{eval}}`{name}` has different values in two paragraphs "
                        f"({shown_text(name, values[name])!r} and {shown_text(name, reply)!r}); "
                        "give each value its own variable")
                values[name] = reply
    return values


def shown_text(name, reply):
    """The text JupyterLab shows for the reply; EvalValueError if the site cannot show it alike."""
    if reply.get("status") != "ok":
        raise EvalValueError(
            f"{{eval}}`{name}` failed when the chapter ran: {reply.get('ename')}: {reply.get('evalue')} "
            "(is it defined in a code cell above the paragraph?)")
    data = reply.get("data", {})
    if set(data) != {"text/plain"}:
        raise EvalValueError(f"{{eval}}`{name}` has rich output {sorted(data)}; prose shows text: "
                             "make it a str or an int")
    text = data["text/plain"]
    if text.startswith(("np.", "array(", "tensor(")):
        raise EvalValueError(f"{{eval}}`{name}` shows as {text!r}; format it as a str or a Python int")
    quoted = _QUOTED.fullmatch(text)
    return quoted.group(2) if quoted else text
