"""The Content-Security-Policy of formgrader's view of a submission (the feedback page's own is a
fixed meta tag in its template, templates/feedback: no script at all).

with_csp      a Jinja filter (HTMLExporter.filters) for formgrader's page: it puts a CSP meta tag
              first in the page's <head>. Formgrader's grading UI is nbgrader's own script: files
              under /formgrader/static (allowed as 'self'; no other host) and a few inline scripts
              and onclick handlers of its template, one of which carries the submission's ids. Those
              are allowed by their SHA-256, computed here from the page's own head and navigation
              bar as rendered, so any other inline script or handler, a submission's included, is
              refused by the browser.
"""
import base64
import hashlib
import html.parser

# the same-origin scripts, XHRs (formgrader's API) and assets of formgrader's page
FORMGRADE = ("default-src 'none'; script-src 'self' 'unsafe-hashes' {hashes}; connect-src 'self'; "
             "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
             "base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'")
_SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module"}


class _InlineCode(html.parser.HTMLParser):
    """Inline scripts (executable types) and event-handler attributes of trusted template output."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.code, self._script = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.code += [value for name, value in attrs.items() if name.startswith("on") and value]
        if tag == "script" and "src" not in attrs and (attrs.get("type") or "").lower() in _SCRIPT_TYPES:
            self._script = []

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.code.append("".join(self._script))
            self._script = None


def sha256_sources(*fragments):
    """The CSP hash sources of every inline script and event handler in the fragments."""
    found = []
    for fragment in fragments:
        parser = _InlineCode()
        parser.feed(str(fragment))
        parser.close()
        found += parser.code
    digests = {base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() for code in found}
    return " ".join(f"'sha256-{digest}'" for digest in sorted(digests))


def meta(policy):
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


def with_csp(head, *trusted):
    """Jinja filter: `head` (HTML that holds <head>) with formgrader's CSP first in it; the inline
    code of `head` and of the other `trusted` fragments is allowed by hash."""
    head = str(head)
    policy = FORMGRADE.format(hashes=sha256_sources(head, *trusted))
    where = head.find("<head>")
    if where < 0:
        raise ValueError("with_csp: the page's header has no <head> to put the policy in")
    where += len("<head>")
    return head[:where] + "\n" + meta(policy) + head[where:]
