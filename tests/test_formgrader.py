"""Formgrader and the feedback page, in Chromium, for an honest submission and an attacker's.

A small course copy (the honest `full_marks` and `mallory`, whose notebook is full_marks' with every
payload of markup_payloads.py added) is graded for real by plain nbgrader with this repository's
nbgrader_config.py (generate_assignment, autograde, generate_feedback). Then a real Jupyter server
(formgrader enabled, token auth, 127.0.0.1, root_dir the course's parent) serves formgrader, and
Debian's Chromium opens each submission in it, enters a manual score and a comment through
formgrader's own UI, and opens each feedback page from file://.

Judged from outside the page: the server answered 200; the score and the comment are in the
gradebook (nbgrader's API); no payload ran: no dialog, no PWNED on the console, no marker global,
no request to the server's contents or kernels API, no request to any other host, no file written
in the course and no kernel started (the server's /api/kernels and the file system, after every
visit). The control: the same script, run in the same page by the test itself, does write the file
and start the kernel, so the outside checks can see it when it happens.
"""
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest

import grading_support
import markup_payloads
from test_site import CHROMIUM, CHROMIUM_ARGS, _browser_unavailable

BIN = pathlib.Path(sys.executable).parent
TOKEN = "formgrader-markup-test"
ASSIGNMENT, NOTEBOOK = "conv-basics", "practice"
STUDENTS = ("full_marks", "mallory")
# a grade cell (its score can be set by hand) and an answer cell (it takes a comment)
GRADE_CELL, ANSWER_CELL = "corr2d_manual_lab", "corr2d_answer"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _files(root):
    """Every file under root (relative names), what a payload's PUT would add to."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    grading_support.require_sandbox()
    root = tmp_path_factory.mktemp("formgrader")
    course = grading_support.course_copy(root / "course", students={"full_marks"}, assignments={ASSIGNMENT})
    honest = nbformat.read(course / "submitted" / "full_marks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    (course / "submitted" / "mallory" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(markup_payloads.attacker_notebook(honest),
                   course / "submitted" / "mallory" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    nbgrader = str(BIN / "nbgrader")
    run = subprocess.run(f"{nbgrader} generate_assignment {ASSIGNMENT} --force && {nbgrader} autograde {ASSIGNMENT} && "
                         f"{nbgrader} generate_feedback {ASSIGNMENT}", shell=True, cwd=course, env=grading_support.ENV,
                         capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    return {"root": root, "course": course, "log": run.stdout + run.stderr}


@pytest.fixture(scope="module")
def server(graded):
    port = _free_port()
    command = [str(BIN / "jupyter"), "server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={graded['root']}"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = open(graded["root"] / "server.log", "w")
    process = subprocess.Popen(command, cwd=graded["course"], env=grading_support.ENV, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _api(url, "/api/status")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (graded["root"] / "server.log").read_text()
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _api(url, path, method="GET"):
    request = urllib.request.Request(f"{url}{path}", method=method, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def _kernels(url):
    """The server's running kernels ([] while it cannot list them yet: jupyter_server answers 500 for
    a kernel that is still starting)."""
    try:
        return _api(url, "/api/kernels")
    except urllib.error.HTTPError:
        return []


@pytest.fixture(scope="module")
def chromium(pytestconfig):
    if not pathlib.Path(CHROMIUM).is_file():
        _browser_unavailable(pytestconfig, f"no chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# What the page shows of the notebook, as Chromium parsed it: script-capable markup left anywhere in
# the notebook's part of the page (formgrader's own navigation bar and head are outside it).
DOM_AUDIT = r"""(selector) => {
  const area = document.querySelector(selector);
  const found = [];
  if (!area) return ['no ' + selector];
  for (const el of area.querySelectorAll('*')) {
    if (el.closest('.nbgrader_cell > .panel-heading, .nbgrader_cell > .panel-footer')) continue;  // formgrader's own controls
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'frame', 'object', 'embed', 'base', 'form', 'meta', 'link', 'style', 'svg',
         'input', 'button', 'textarea', 'select', 'template'].includes(tag))
      found.push('element ' + tag);
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith('on')) found.push(tag + ' handler ' + attr);
      if (attr === 'style' || attr === 'srcdoc' || attr === 'formaction') found.push(tag + ' ' + attr);
      if (['href', 'src', 'xlink:href', 'action', 'data', 'background', 'poster'].includes(attr)) {
        let protocol;
        try { protocol = new URL(el.getAttribute(attr), document.baseURI).protocol; } catch (e) { continue; }
        const image = tag === 'img' && attr === 'src' && /^data:image\/(png|jpeg);base64,/.test(el.getAttribute(attr));
        if (!['http:', 'https:', 'mailto:', 'file:'].includes(protocol) && !image) found.push(tag + ' ' + attr + ' ' + protocol);
      }
    }
  }
  return found;
}"""

CSP_EVENTS = """window.__csp = []; document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def _log_in(context, server):
    """The instructor's session: the server's login form, its cookie and XSRF cookie (formgrader's
    script, and a payload, send the XSRF token from that cookie)."""
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#password_input", TOKEN)
    page.click("#login_submit")
    page.wait_for_load_state()
    page.close()
    assert any(c["name"] == "_xsrf" for c in context.cookies()), "logged in"


def _watch(page, seen):
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: seen["console"].append(message.text))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("requestfinished", lambda request: seen["requests"].append(request.url))


def _new_seen():
    return {"dialogs": [], "console": [], "errors": [], "requests": []}


@pytest.fixture(scope="module")
def formgrader_visits(graded, server, chromium):
    """Open every submission in formgrader, grade it by hand through the page, then look from outside."""
    submissions = {s["student"]: s["id"] for s in _api(server, f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{NOTEBOOK}")}
    files_before = _files(graded["root"])
    kernels_before = _api(server, "/api/kernels")
    context = chromium.new_context()
    context.add_init_script(CSP_EVENTS)
    _log_in(context, server)
    visits = {}
    for number, student in enumerate(STUDENTS):
        seen = _new_seen()
        page = context.new_page()
        _watch(page, seen)
        response = page.goto(f"{server}/formgrader/submissions/{submissions[student]}/", wait_until="load")
        seen["status"] = response.status
        page.wait_for_timeout(1500)  # an onerror or a late script would have run by now
        seen["dom"] = page.evaluate(DOM_AUDIT, "#notebook-container")
        seen["marker"] = page.evaluate("() => window.__pwned || 0")
        seen["csp_meta"] = page.evaluate("""() => { const m = document.head.querySelector(
            'meta[http-equiv="Content-Security-Policy"]'); return m ? m.content : null; }""")
        seen["first_in_head"] = page.evaluate("() => document.head.firstElementChild.getAttribute('http-equiv')")
        # manual grading through formgrader's own page: a score on a test cell, a comment on an answer
        score, comment = 0.25 + number * 0.5, f"Checked by hand ({student})"
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
            page.fill(f"input.score#{GRADE_CELL}", str(score))
            page.press(f"input.score#{GRADE_CELL}", "Tab")
        seen["score_saved"] = saved.value.status
        with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
            page.fill(f"textarea#{ANSWER_CELL}-comment", comment)
            page.press(f"textarea#{ANSWER_CELL}-comment", "Tab")
        seen["comment_saved"] = saved.value.status
        seen["entered"] = (score, comment)
        seen["csp_events"] = page.evaluate("() => window.__csp || []")
        visits[student] = seen
        page.close()
    after = {"files": _files(graded["root"]) - files_before, "kernels": _api(server, "/api/kernels"),
             "kernels_before": kernels_before}
    # The control: RUN, evaluated by the test in the same page (Playwright's evaluate is not subject
    # to the page's CSP), writes the file and starts the kernel that the checks above look for.
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.goto(f"{server}/formgrader/submissions/{submissions['mallory']}/", wait_until="load")
    page.evaluate(markup_payloads.RUN)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (_kernels(server) and _files(graded["root"]) - files_before):
        time.sleep(0.5)
    time.sleep(2)  # the kernel's start-up done: the server lists a starting kernel with an error
    control = {"files": _files(graded["root"]) - files_before, "kernels": _kernels(server)}
    for kernel in control["kernels"]:
        _api(server, f"/api/kernels/{kernel['id']}", method="DELETE")
    page.close()
    context.close()
    return {"visits": visits, "after": after, "control": control, "submissions": submissions}


def test_both_submissions_are_graded_by_plain_nbgrader(graded):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        graded_students = {s.student.id for s in gb.assignment_submissions(ASSIGNMENT)}
    assert graded_students == set(STUDENTS)
    for student in STUDENTS:
        assert (graded["course"] / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").is_file()


def test_formgrader_opens_every_submission(formgrader_visits):
    for student, seen in formgrader_visits["visits"].items():
        assert seen["status"] == 200, student
        assert seen["errors"] == [], f"{student}: script errors in formgrader's page: {seen['errors'][:3]}"


def test_formgrader_view_carries_a_policy_that_forbids_other_script(formgrader_visits):
    for student, seen in formgrader_visits["visits"].items():
        policy = seen["csp_meta"]
        assert policy, f"{student}: no Content-Security-Policy meta tag"
        assert seen["first_in_head"] == "Content-Security-Policy", "the policy comes before any script"
        directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
        assert directives["default-src"] == ["'none'"]
        assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
        assert [s for s in directives["script-src"] if "://" in s or s == "*"] == [], "no other host's script"
        assert directives["base-uri"] == ["'none'"] and directives["form-action"] == ["'none'"]


def test_manual_grading_and_comments_are_saved(formgrader_visits, graded):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        for student, seen in formgrader_visits["visits"].items():
            assert seen["score_saved"] == 200 and seen["comment_saved"] == 200, student
            score, comment = seen["entered"]
            assert gb.find_grade(GRADE_CELL, NOTEBOOK, ASSIGNMENT, student).manual_score == score
            assert gb.find_comment(ANSWER_CELL, NOTEBOOK, ASSIGNMENT, student).manual_comment == comment


def _no_payload_ran(seen, where):
    assert seen["dialogs"] == [], f"{where}: a dialog opened: {seen['dialogs'][:3]}"
    assert not [m for m in seen["console"] if "PWNED" in m], f"{where}: a payload logged"
    assert seen["marker"] == 0, f"{where}: a payload ran {seen['marker']} time(s)"
    assert seen["dom"] == [], f"{where}: script-capable markup in the page: {seen['dom'][:10]}"


def test_no_payload_runs_in_formgrader(formgrader_visits, server):
    origin = server + "/"
    for student, seen in formgrader_visits["visits"].items():
        _no_payload_ran(seen, f"formgrader, {student}")
        assert [u for u in seen["requests"] if not u.startswith((origin, "data:"))] == [], "no request to another host"
        api = [u for u in seen["requests"] if u.startswith((f"{server}/api/contents", f"{server}/api/kernels"))]
        assert api == [], f"{student}: the page called the server's API: {api}"


def test_no_file_written_and_no_kernel_started(formgrader_visits):
    after, control = formgrader_visits["after"], formgrader_visits["control"]
    assert after["kernels_before"] == [] and after["kernels"] == [], "a kernel was started"
    # only nbgrader's own gradebook may change (the manual grades), and it is not a new file
    assert after["files"] == set(), f"files appeared in the course: {sorted(after['files'])[:5]}"
    # the control: the payload's script, when it does run in formgrader's page, is seen from outside
    assert any("PWNED" in name for name in control["files"]), control
    assert control["kernels"], "the control started no kernel: the outside check could not see one"


def test_no_payload_runs_in_the_feedback_pages(graded, chromium):
    for student in STUDENTS:
        path = graded["course"] / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
        text = path.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        seen = _new_seen()
        context = chromium.new_context()
        context.add_init_script(CSP_EVENTS)
        page = context.new_page()
        _watch(page, seen)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(1500)
        seen["dom"] = page.evaluate(DOM_AUDIT, "#notebook-container")
        seen["marker"] = page.evaluate("() => window.__pwned || 0")
        assert "Score:" in page.inner_text("body")
        context.close()
        _no_payload_ran(seen, f"feedback, {student}")
        assert [u for u in seen["requests"] if not u.startswith(("file://", "data:"))] == []


def test_the_payloads_run_in_chromium_when_nothing_cleans_them(graded, chromium, tmp_path):
    """The control for the checks above: the payloads as the templates would emit them uncleaned."""
    from convgrade.markup import render_markdown
    page_html = ("<html><body>" + "".join(render_markdown(p) for p in markup_payloads.MARKDOWN_PAYLOADS[:2])
                 + "<script>" + markup_payloads.RUN + "</script></body></html>")
    path = tmp_path / "raw.html"
    path.write_text(page_html)
    seen = _new_seen()
    page = chromium.new_page()
    _watch(page, seen)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(1000)
    marker = page.evaluate("() => window.__pwned || 0")
    page.close()
    assert marker >= 2 and seen["dialogs"] and any("PWNED" in m for m in seen["console"])
