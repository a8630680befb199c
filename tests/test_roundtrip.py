"""Opening and saving a chapter in JupyterLab changes nothing in the file.

JupyterLab opens a chapter through the Jupyter server's contents API, which jupytext's contents
manager serves: GET turns the MyST file into a notebook model, Ctrl+S PUTs the model back and
jupytext writes the file. This test does exactly that against a real server (the one
`jupyter lab` starts, with the same contents manager and the repository's [tool.jupytext]
settings), on a copy of book/, and compares the bytes.
"""
import difflib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from built_site import ROOT

CHAPTERS = sorted(p.name for p in (ROOT / "book").glob("*.md")
                  if p.read_text(encoding="utf-8").startswith("---\njupytext:"))
TOKEN = "roundtrip-test"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "book", root / "book")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    port = _free_port()
    command = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = open(root / "server.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                _request(f"{url}/api/status")
                break
            except OSError:
                assert process.poll() is None, (root / "server.log").read_text()
                time.sleep(0.5)
        else:
            pytest.fail("the Jupyter server did not start:\n" + (root / "server.log").read_text())
        yield url, root
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_server_reads_chapters_with_jupytext(server):
    url, _ = server
    model = _request(f"{url}/api/contents/book/{CHAPTERS[0]}?type=notebook&content=1")
    assert model["type"] == "notebook" and model["content"]["cells"], "a chapter must open as a notebook"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_saving_an_unchanged_chapter_leaves_the_file_as_it_was(server, chapter):
    url, root = server
    path = root / "book" / chapter
    before = path.read_bytes()
    model = _request(f"{url}/api/contents/book/{chapter}?type=notebook&content=1")
    saved = _request(f"{url}/api/contents/book/{chapter}", "PUT",
                     {"type": "notebook", "format": "json", "content": model["content"]})
    assert saved["path"] == f"book/{chapter}"
    after = path.read_bytes()
    if after != before:
        diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=1)
        pytest.fail(f"saving {chapter} rewrote it:\n" + "\n".join(list(diff)[:40]))
