"""The student kit (tools/kit.py, `make kit`), used the way a student uses it.

One module fixture builds the kit, unpacks it into a temporary folder and follows its README on
Linux: the commands of its "Linux and macOS" block, exactly as written, in a fresh venv (pip uses
this machine's ordinary pip configuration and cache). Then:
- a scan: no solution or hidden-test text, no checks module, no trace of source/ or nbgrader;
- every chapter notebook runs end to end in the kit's own kernel;
- the visible tests of every released notebook fail on the stubs, with an error that names the
  unwritten function and not the helper's internals, and pass once the answers of
  source/<assignment>/ (read here, never put in the kit) fill the answer cells;
- the README's `jupyter lab` starts JupyterLab with jupyterlab-myst and without nbgrader.
"""
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from built_site import ROOT

FORBIDDEN = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "source/",
             "import checks", "from checks"]
SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


def readme_commands(readme, heading):
    """The commands of the fenced block that follows `heading` in the README."""
    block = re.search(re.escape(heading) + r"\s*```\w*\n(.*?)```", readme, re.S)
    assert block, f"README: no command block after {heading!r}"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit-build")
    subprocess.run([sys.executable, str(ROOT / "tools" / "kit.py"), "--out", str(out)], check=True)
    archive = out / "convlab-kit.zip"
    where = tmp_path_factory.mktemp("student")
    with zipfile.ZipFile(archive) as z:
        z.extractall(where)
    folder = where / "convlab-kit"
    readme = (folder / "README.md").read_text()
    start = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    for command in readme_commands(readme, "Linux and macOS:"):
        subprocess.run(shlex.split(command), cwd=folder, check=True, env=env)
    print(f"\nkit: {archive.stat().st_size / 1e6:.1f} MB; README set-up took {time.monotonic() - start:.0f} s")
    return {"zip": archive, "folder": folder, "readme": readme, "python": folder / ".venv" / "bin" / "python"}


def test_the_kit_holds_no_solutions_checks_or_instructor_tools(kit):
    leaks = []
    with zipfile.ZipFile(kit["zip"]) as z:
        for name in z.namelist():
            if pathlib.PurePosixPath(name).name in ("checks.py", "nbgrader_config.py") or "/source/" in name:
                leaks.append(f"{name}: must not be in the kit")
            data = z.read(name)
            texts = [data.decode("utf-8", "replace")]
            if name.endswith(".whl"):  # the wheel is a zip of its own
                import io
                with zipfile.ZipFile(io.BytesIO(data)) as wheel:
                    texts = [wheel.read(n).decode("utf-8", "replace") for n in wheel.namelist()]
            leaks += [f"{name}: {word!r}" for text in texts for word in FORBIDDEN if word in text]
    assert not leaks, "\n".join(leaks)
    # the scan must see the kit's texts: a file the release does hold is found in it
    with zipfile.ZipFile(kit["zip"]) as z:
        assert "YOUR CODE HERE" in z.read("convlab-kit/work/conv-basics/practice.ipynb").decode()


def test_the_kit_venv_is_the_students_own(kit):
    """convlab comes from the kit's wheel into the kit's venv, not from this repository."""
    out = subprocess.run([str(kit["python"]), "-c", "import sys, convlab; print(sys.prefix); print(convlab.__file__)"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert pathlib.Path(out[0]) == kit["folder"] / ".venv"
    assert str(kit["folder"] / ".venv") in out[1] and str(ROOT / "src") not in out[1]
    freeze = subprocess.run([str(kit["python"]), "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    assert "nbgrader" not in freeze.lower()


def run_notebook(kit, path, allow_errors=False):
    """Execute a notebook in its folder, in a kernel of the kit's venv (nbclient of that venv)."""
    script = ("import sys, nbformat; from nbclient import NotebookClient\n"
              "nb = nbformat.read(sys.argv[1], as_version=4)\n"
              "NotebookClient(nb, timeout=300, kernel_name='python3', allow_errors=sys.argv[2] == '1',"
              " resources={'metadata': {'path': sys.argv[3]}}).execute()\n"
              "nbformat.write(nb, sys.argv[1] + '.out')\n")
    env = {**os.environ, "PATH": f"{kit['python'].parent}{os.pathsep}{os.environ['PATH']}", "MPLBACKEND": "agg"}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run([str(kit["python"]), "-c", script, str(path), "1" if allow_errors else "0", str(path.parent)],
                            capture_output=True, text=True, env=env)
    return result, pathlib.Path(str(path) + ".out")


def test_every_chapter_runs_end_to_end_in_the_kit(kit):
    chapters = sorted((kit["folder"] / "book").glob("*.ipynb"))
    assert len(chapters) >= 11
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = dict(zip(chapters, pool.map(lambda p: run_notebook(kit, p)[0], chapters)))
    failed = [f"{p.name}:\n{r.stderr[-3000:]}" for p, r in results.items() if r.returncode != 0]
    assert not failed, "\n\n".join(failed)
    executed = nbformat.read(str(chapters[0]) + ".out", as_version=4)
    kernel_python = [o for c in executed.cells for o in c.get("outputs", [])]
    assert kernel_python, "the chapter ran without any output"


def visible_tests(notebook):
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution") and "assert" in c.source]


def errors_by_cell(notebook):
    return {c.metadata["nbgrader"]["grade_id"]: o for c in visible_tests(notebook)
            for o in c.get("outputs", []) if o.output_type == "error"}


@pytest.mark.parametrize("notebook", ["conv-basics/practice.ipynb", "conv-layers/layers.ipynb"])
def test_visible_tests_fail_on_the_stubs_and_pass_with_the_answers(kit, notebook, tmp_path):
    work = kit["folder"] / "work" / notebook
    stub_copy = work.with_name("stub-run.ipynb")
    stub_copy.write_bytes(work.read_bytes())
    result, out = run_notebook(kit, stub_copy, allow_errors=True)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = nbformat.read(out, as_version=4)
    tests, errors = visible_tests(ran), errors_by_cell(ran)
    assert tests and set(errors) == {c.metadata["nbgrader"]["grade_id"] for c in tests}, \
        f"visible tests that passed on the stubs: {sorted(set(c.metadata['nbgrader']['grade_id'] for c in tests) - set(errors))}"
    for grade_id, error in errors.items():
        shown = "\n".join(error.traceback)
        helper_frames = [line for line in error.traceback if "gradehelp.py" in line or "setprofile" in line]
        assert not helper_frames, f"{grade_id}: the error shows the helper's internals:\n{shown}"
        if error.ename == "NotImplementedError":
            assert "is not written yet" in error.evalue, f"{grade_id}: {error.evalue!r} does not name the problem"

    # the answers, from the instructors' source (which the kit never holds)
    source = nbformat.read(ROOT / "source" / notebook, as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKERS.sub("", c.source)
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    answered = nbformat.read(work, as_version=4)
    for cell in answered.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id]
    answer_copy = work.with_name("answered-run.ipynb")
    nbformat.write(answered, answer_copy)
    result, out = run_notebook(kit, answer_copy, allow_errors=True)
    failing = errors_by_cell(nbformat.read(out, as_version=4))
    assert not failing, {k: f"{e.ename}: {e.evalue}" for k, e in failing.items()}


def test_the_readme_starts_jupyterlab_with_myst_and_without_nbgrader(kit):
    command = shlex.split(next(line for line in kit["readme"].splitlines()
                               if line.startswith("- Linux and macOS: ")).split("`")[1])
    # as documented, plus what a headless test needs: no browser, a free port, a known token
    command += ["--no-browser", "--port=0", "--IdentityProvider.token=kit-test"]
    if os.getuid() == 0:
        assert "--allow-root" in kit["readme"], "the README must tell root users about --allow-root"
        command.append("--allow-root")
    log = kit["folder"] / "lab.log"
    with open(log, "w") as handle:
        lab = subprocess.Popen(command, cwd=kit["folder"], stdout=handle, stderr=subprocess.STDOUT)
    try:
        url = None
        for _ in range(120):
            match = re.search(r"(http://(?:localhost|127\.0\.0\.1):\d+)/lab", log.read_text())
            if match:
                url = match.group(1)
                break
            assert lab.poll() is None, log.read_text()
            time.sleep(0.5)
        assert url, log.read_text()
        request = urllib.request.Request(f"{url}/lab/api/extensions", headers={"Authorization": "token kit-test"})
        extensions = json.loads(urllib.request.urlopen(request, timeout=30).read())
        names = {e["name"] for e in extensions}
        assert "jupyterlab-myst" in names, names
        assert not any("nbgrader" in n for n in names), names
    finally:
        lab.terminate()
        lab.wait(timeout=30)
