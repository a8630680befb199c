"""Glued numbers in translated paragraphs: the Chinese edition's `{glue:text}` roles read the same
executed notebook as the English paragraph they replace.

Sphinx translates a page by parsing each translated message (msgstr) as a small document of its
own (sphinx.transforms.i18n.Locale, publish_msgstr). myst-nb's glue roles look their values up in
the notebook renderer that myst-nb attaches to the page's document while parsing it, and removes
afterwards, so in every translated paragraph they fail with "No key ... found in glue data for
this document". myst-nb has also written the page's glue data beside its executed notebook
(jupyter_execute/<page>.glue.json): here that data is read just before Locale runs, and each
message's document gets a stand-in renderer holding it. The roles then find the page's values,
and the numbers come from the same executed code as in English.
"""
import json
import pathlib
import types

from sphinx.io import SphinxI18nReader
from sphinx.transforms import SphinxTransform
from sphinx.transforms.i18n import Locale

RENDERER = "nb_renderer"  # the attribute myst-nb's glue roles read on a document
KEY = "book_glue_data"  # where the page's glue data waits in env.temp_data (cleared per page)


def _stand_in_renderer(glue_data):
    # what myst_nb.ext.glue.utils.retrieve_glue_data reads: renderer.nb_client.glue_data
    client = types.SimpleNamespace(glue_data=glue_data)
    return types.SimpleNamespace(renderer=types.SimpleNamespace(nb_client=client))


class NoteGlueData(SphinxTransform):
    default_priority = Locale.default_priority - 1  # just before the translation replaces paragraphs

    def apply(self):
        if not self.config.language or self.config.language == "en":
            return
        path = pathlib.Path(self.app.outdir).parent / "jupyter_execute" / f"{self.env.docname}.glue.json"
        if path.is_file():
            self.env.temp_data[KEY] = json.loads(path.read_text(encoding="utf-8"))


_new_document = SphinxI18nReader.new_document


def _new_document_with_glue(self):
    document = _new_document(self)
    glue_data = self.settings.env.temp_data.get(KEY)
    if glue_data is not None:
        document[RENDERER] = _stand_in_renderer(glue_data)
    return document


def setup(app):
    SphinxI18nReader.new_document = _new_document_with_glue
    app.add_transform(NoteGlueData)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
