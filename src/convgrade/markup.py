"""What a submission shows in a browser: markup the grader has cleaned, never markup as written.

A notebook reaches two pages, formgrader's view of the autograded notebook (served in the Jupyter
server's origin, in the instructor's session) and the feedback page. nbconvert's templates do not
escape: a Markdown cell's raw HTML, a `text/html` or `application/javascript` output, an SVG, an
image's width in its metadata all go into the page as they are. So the notebook itself is cleaned,
with ammonia (nh3), an allow-list HTML sanitizer built on a browser-grade HTML5 parser:

- Markdown cells: a cell with no HTML of its own (no `<` in it) whose links and images all point
  to http(s) or mailto addresses or to a #fragment, and without attachments, is kept as written (what
  nbconvert renders from it is its own escaped markup). Any other cell is replaced by its
  rendering (nbconvert's own Markdown renderer) cleaned by ammonia, on one line, so that
  rendering it again as Markdown gives back exactly that HTML. Attachments are dropped.
- raw cells: their text cleaned by ammonia (nbconvert's HTML templates emit raw cells as HTML).
- outputs: an allow-list. text/plain, text/latex (escaped by the templates); text/html cleaned by
  ammonia; text/markdown rendered and cleaned into text/html; image/png and image/jpeg only when
  they are valid base64 of a PNG or JPEG, their metadata reduced to integer width and height.
  Everything else (application/javascript, widget views, SVG, PDFs, unknown types) is dropped,
  and the output says so in text/plain. Streams keep their text under the name stdout or stderr;
  errors keep their strings.

What ammonia keeps: text-level and table markup, lists, headings, code, images and links to
http(s)/mailto addresses and #fragments (a relative address would be a request to the Jupyter
server in the instructor's session, so it goes), MathML (the feedback's math). Not kept: any script, event
handler, style (element or attribute), class or id (formgrader's own script looks elements up by
class and id), iframe, object, embed, form and inputs, base, meta, link, SVG.

SanitizeMarkup is the one nbgrader preprocessor for every step: autograde's intake (the
student's Markdown and raw cells), after execution (the kernel's outputs), feedback, and
formgrader's own rendering.
"""
import base64
import binascii
import html
import html.parser
import re

import nh3
from nbgrader.preprocessors import NbGraderPreprocessor

_TEXT = {"a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
         "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
         "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp",
         "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
         "u", "ul", "var", "wbr"}
_MATHML = {"math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot", "msub", "msup",
           "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
           "menclose", "merror", "semantics", "annotation"}
TAGS = _TEXT | _MATHML
ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start", "reversed"}, "details": {"open"},
    "math": {"display", "xmlns"}, "annotation": {"encoding"},
    "mi": {"mathvariant"}, "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "largeop", "movablelimits"},
    "mfrac": {"linethickness"}, "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mover": {"accent"}, "munder": {"accentunder"}, "munderover": {"accent", "accentunder"},
    "mspace": {"width", "height", "depth"}, "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mtable": {"columnalign", "rowalign", "columnspacing", "rowspacing"}, "mtd": {"columnalign", "rowalign"},
    "mtr": {"columnalign", "rowalign"}, "menclose": {"notation"},
}
SCHEMES = {"http", "https", "mailto"}
# their content goes too, not only the tag (nh3 keeps the text of a removed tag)
DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "textarea",
                     "select", "title", "xmp", "noembed", "noframes", "plaintext"}

KEPT_MIME = ("text/plain", "text/latex", "text/html", "image/png", "image/jpeg")
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}
# a cleaned Markdown cell is one <div> whose title says so (classes and ids are not kept)
WRAPPER = '<div title="cleaned by the grader">'


def _fragment_only(url):
    return url if url.startswith("#") else None


def clean_html(text):
    """HTML reduced to the allow-list above (a string; whatever came in)."""
    return nh3.clean(str(text), tags=TAGS, clean_content_tags=DROP_WITH_CONTENT, attributes=ATTRIBUTES,
                     url_schemes=SCHEMES, url_relative=_fragment_only, link_rel="noopener noreferrer nofollow",
                     strip_comments=True)


def render_markdown(source, attachments=None):
    """What nbconvert's HTML templates make of a Markdown cell (its markdown2html filter)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
    return MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=attachments or {})).render(source)


def allowed_url(url):
    """True for http(s) and mailto addresses and #fragments, as a browser reads them (entities
    decoded, tabs and newlines removed, leading controls and spaces stripped)."""
    url = "".join(ch for ch in html.unescape(url) if ch not in "\t\n\r").lstrip("".join(map(chr, range(33))))
    if url.startswith("#"):
        return True
    head = re.split(r"[/?#]", url, maxsplit=1)[0]
    return ":" in head and head.split(":", 1)[0].lower() in SCHEMES


class _Urls(html.parser.HTMLParser):
    """The href and src values of markup nbconvert's renderer wrote itself (well formed, quoted)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value or "" for name, value in attrs if name in ("href", "src")]


def _urls(markup):
    parser = _Urls()
    parser.feed(markup)
    parser.close()
    return parser.urls


def one_line(markup):
    """Cleaned HTML as one Markdown HTML block: a line of its own that starts with <div> and holds
    no newline (newlines become &#10;, the same character to the browser), so Markdown passes it
    through untouched."""
    return WRAPPER + markup.replace("\r", "").replace("\n", "&#10;") + "</div>"


def clean_markdown(source, attachments=None):
    """(source, changed): the Markdown as written when it is safe as written, else its cleaned rendering."""
    if "<" not in source and not attachments and "attachment:" not in source:
        if all(allowed_url(url) for url in _urls(render_markdown(source))):
            return source, False
    if source.startswith(WRAPPER) and source.endswith("</div>") and "\n" not in source:
        # cleaned before (at intake, and now for feedback or formgrader): clean what it holds again
        cleaned = one_line(clean_html(source[len(WRAPPER):-len("</div>")]))
        return cleaned, cleaned != source
    try:
        rendered = render_markdown(source, attachments)
    except Exception:  # nbconvert raises on an attachment that is not there, among others
        rendered = "<pre>" + html.escape(source) + "</pre>"
    cleaned = one_line(clean_html(rendered))
    return cleaned, cleaned != source


def _base64_image(value, mime):
    if not isinstance(value, str):
        return None
    compact = "".join(value.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return compact if raw.startswith(_MAGIC[mime]) else None


def _size(metadata):
    """An image's width and height, only when they are plain integers."""
    found = {}
    for key in ("width", "height"):
        value = metadata.get(key) if isinstance(metadata, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 100_000:
            found[key] = value
    return found


def clean_bundle(data, metadata):
    """(data, metadata, removed mime types) of a display_data or execute_result output."""
    data = data if isinstance(data, dict) else {}
    metadata = metadata if isinstance(metadata, dict) else {}
    kept, meta, removed = {}, {}, []
    for mime, value in data.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "".join(value)
        if mime in ("text/plain", "text/latex") and isinstance(value, str):
            kept[mime] = value
        elif mime == "text/html" and isinstance(value, str):
            kept[mime] = clean_html(value)
        elif mime == "text/markdown" and isinstance(value, str) and "text/html" not in data:
            try:
                kept["text/html"] = clean_html(render_markdown(value))
            except Exception:
                kept["text/html"] = "<pre>" + html.escape(value) + "</pre>"
        elif mime in _MAGIC and _base64_image(value, mime) is not None:
            kept[mime] = _base64_image(value, mime)
            size = _size(metadata.get(mime))
            if size:
                meta[mime] = size
        else:
            removed.append(str(mime))
    if removed and "text/plain" not in kept:
        kept["text/plain"] = f"[output removed by the grader: {', '.join(sorted(removed))[:200]}]"
    return kept, meta, removed


def clean_output(output):
    """The output made safe to show, or None to drop it."""
    kind = output.get("output_type")
    if kind == "stream":
        output["name"] = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        text = output.get("text", "")
        output["text"] = "".join(map(str, text)) if isinstance(text, list) else str(text)
        return output
    if kind == "error":
        output["ename"], output["evalue"] = str(output.get("ename", "")), str(output.get("evalue", ""))
        traceback = output.get("traceback", [])
        output["traceback"] = [str(line) for line in traceback] if isinstance(traceback, list) else [str(traceback)]
        return output
    if kind in ("display_data", "execute_result"):
        output["data"], output["metadata"], _ = clean_bundle(output.get("data"), output.get("metadata"))
        if kind == "execute_result" and not isinstance(output.get("execution_count"), int):
            output["execution_count"] = None
        output.pop("transient", None)
        return output
    return None


class SanitizeMarkup(NbGraderPreprocessor):
    """Clean every Markdown and raw cell and every output (see the module's docstring)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)  # widget state: script for nbconvert's widget manager
        changed = 0
        for cell in nb.cells:
            changed += self._clean_cell(cell)
        if changed:
            self.log.info("Cleaned the markup of %d cell(s)", changed)
        return nb, resources

    def _clean_cell(self, cell):
        if isinstance(cell.get("source"), list):  # a notebook read without nbformat's rejoining
            cell.source = "".join(map(str, cell.source))
        if cell.cell_type == "markdown":
            attachments = cell.pop("attachments", None)
            cell.source, changed = clean_markdown(cell.source, attachments)
            return int(changed or bool(attachments))
        if cell.cell_type == "raw":
            cleaned = clean_html(cell.source)
            cell.pop("attachments", None)
            changed = cleaned != cell.source
            cell.source = cleaned
            return int(changed)
        if cell.cell_type == "code":
            before = [dict(o) for o in cell.get("outputs", [])]
            cell.outputs = [o for o in (clean_output(o) for o in cell.get("outputs", [])) if o is not None]
            return int(before != [dict(o) for o in cell.outputs])
        return 0
