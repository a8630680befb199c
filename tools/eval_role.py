"""The book's `{eval}` role for Sphinx: values recorded in the cached run (see eval_values.py).

- Every MyST notebook is read with value cells added (`read_with_value_cells`): myst-nb's parser
  and the book's parallel pre-execution (book_extension.execute_in_parallel) both read through
  `create_nb_reader`, so both hash and execute the same notebook and share the cache entry.
- The role replaces myst-nb's `{eval}` (which needs a live kernel). It takes the values from the
  executed notebook of the page being read, keeps them per page in the environment (a translated
  paragraph is parsed as a document of its own, without the notebook), and writes them to
  `_build/jupyter_execute/<page>.eval.json` for the tests of the book's claims.
"""
import json
import pathlib

import myst_nb.sphinx_
from docutils import nodes
from myst_nb.core.read import create_nb_reader
from myst_nb.ext.utils import RoleBase

from eval_values import EvalValueError, add_value_cells, recorded_values, shown_text

MYST_NOTEBOOK = {"type": "plugin", "name": "myst_nb_md"}  # create_nb_reader's read_fmt for MyST notebooks
EXECUTED_FOLDER = "jupyter_execute"


def read_with_value_cells(path, md_config, nb_config, content):
    """create_nb_reader, whose MyST notebooks come with value cells."""
    reader = create_nb_reader(path, md_config, nb_config, content)
    if reader is not None and reader.read_fmt == MYST_NOTEBOOK:
        read = reader.read
        reader.read = lambda text: add_value_cells(read(text))
    return reader


def _values(env, document):
    store = env.__dict__.setdefault("book_eval_values", {})
    renderer = document.get("nb_renderer")
    if renderer is not None:  # the chapter's own document, while its executed notebook is open
        client = renderer.renderer.nb_client
        store[env.docname] = recorded_values(client.notebook)
    return store.get(env.docname, {})


class EvalRole(RoleBase):
    """{eval}`name`: the text JupyterLab shows for `name`, from the chapter's cached run."""

    def run(self):
        env = self.document.settings.env
        try:
            values = _values(env, self.document)
            if self.text not in values:
                raise EvalValueError(f"{{eval}}`{self.text}` has no recorded value (is this page a notebook?)")
            text = shown_text(self.text, values[self.text])
        except EvalValueError as error:
            message = self.inliner.reporter.warning(str(error), line=self.line)
            return [nodes.problematic(self.rawtext, self.rawtext)], [message]
        node = nodes.inline(text, text, classes=["output", "text_plain"])
        self.set_source_info(node)
        return [node], []


def write_values(app, doctree):
    values = getattr(app.env, "book_eval_values", {}).get(app.env.docname)
    if values:
        path = pathlib.Path(app.outdir).parent / EXECUTED_FOLDER / f"{app.env.docname}.eval.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")


def purge_values(app, env, docname):
    getattr(env, "book_eval_values", {}).pop(docname, None)


def merge_values(app, env, docnames, other):
    env.__dict__.setdefault("book_eval_values", {}).update(
        {name: values for name, values in getattr(other, "book_eval_values", {}).items() if name in docnames})


def setup(app):
    # myst-nb offers no hook for its notebook reader; its parser calls this module-level name.
    myst_nb.sphinx_.create_nb_reader = read_with_value_cells
    app.add_role("eval", EvalRole(), override=True)  # after myst-nb's own, which needs inline mode
    app.connect("doctree-read", write_values)
    app.connect("env-purge-doc", purge_values)
    app.connect("env-merge-info", merge_values)
