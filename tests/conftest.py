"""Markers and parallel groups, assigned here by test module (the test files stay as they are).

Markers (`make test-fast` deselects the first three):
- `book`: reads the built site in _build/html (needs `make book` first);
- `browser`: opens the built site in Chromium;
- `e2e`: grading end to end: nbgrader or the grading driver run as subprocesses on whole course
  copies, and the sandbox's attack tests (real bubblewrap boxes, kernels and re-check servers);
- `serial`: must not share the machine with other tests: the grading sandbox's checks give a
  student's function a few seconds of wall-clock time (3 s, imports included), which a busy
  second worker can push over the limit (measured: `import scipy.signal` in the sandbox timed
  out while another worker ran). `make test` runs them after the parallel part, alone.

`make test` runs pytest-xdist with `--dist loadgroup`. A module whose tests share one expensive
module-scoped fixture (a browser, a graded class, a regenerated release, the sandbox server) is
one group, run by one worker, so that its fixture is built once instead of once per worker (and
two heavy subprocess-driven modules don't split across both cores). Other tests are spread one
by one. The groups start first, longest first, so that the end-to-end grading (the longest
single piece) is not left for last while the other worker idles.

The grouping is done by this file's scheduler, not by `xdist_group` marks: xdist 3.8 marks a
group by appending "@group" to an item's node id, which pytest 9.2's node ids ignore, so its
own loadgroup silently spreads every group over all workers.
"""
import pytest

# module -> (markers, xdist group or None); modules not listed are fast, and spread test by test
MODULES = {
    "test_grading_e2e.py": (["e2e"], "grading-e2e"),
    "test_grading_terminal.py": (["e2e"], "grading-terminal"),
    "test_grading_cluster.py": (["e2e"], "grading-cluster"),
    "test_new_assignment.py": (["e2e"], "new-assignment"),
    "test_grading_release.py": (["e2e"], "grading-release"),
    "test_grading_collect.py": (["e2e"], "grading-collect"),
    "test_site.py": (["browser"], "browser"),
    "test_live_explorers.py": (["book", "browser"], "live"),
    "test_grading_sandbox.py": (["e2e", "serial"], "grading-sandbox"),
    "test_grading_fairness.py": (["e2e", "serial"], "grading-fairness"),
    "test_grading_failclosed.py": (["e2e"], "grading-failclosed"),
    "test_benchmarks.py": ([], "benchmarks"),
    "test_book_claims.py": (["book"], None),
    "test_zh_edition.py": (["book"], None),
    # one gettext build of the whole book, shared by the module's tests
    "test_translation_current.py": (["book"], "translation"),
    "test_roundtrip.py": ([], "roundtrip"),
    "test_kit.py": (["e2e"], "kit"),
    "test_jupyterlab.py": (["browser"], "jupyterlab"),
    # one graded course, one Jupyter server and one browser, shared by the module's tests
    "test_formgrader.py": (["browser", "e2e"], "formgrader"),
}
# the book-build checks in test_book_build.py that read the built site (its tool tests do not)
SITE_FIXTURE = "site"
ORDER = ["grading-e2e", "grading-failclosed", "kit", "grading-cluster", "grading-terminal", "browser", "live",
         "new-assignment", "grading-release", "grading-collect", "grading-sandbox", "grading-fairness", "benchmarks",
         "translation", "jupyterlab", "formgrader", "roundtrip"]


def pytest_configure(config):
    config.addinivalue_line("markers", "book: reads the built book (_build/html); needs `make book`")
    config.addinivalue_line("markers", "browser: opens the built book in Chromium")
    config.addinivalue_line("markers", "e2e: grading end to end: whole course copies through nbgrader or the driver, "
                            "or real sandboxes under attack (slow)")
    config.addinivalue_line("markers", "serial: has wall-clock limits; run alone, not beside other tests")


def _group(module):
    return MODULES.get(module, ([], None))[1]


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.path.name
        markers = MODULES.get(module, ([], None))[0]
        if module in ("test_book_build.py", "test_site.py") and SITE_FIXTURE in item.fixturenames:
            markers = [*markers, "book"]
        for name in markers:
            item.add_marker(getattr(pytest.mark, name))
    # stable: the order inside a group and among the other tests is kept
    items.sort(key=lambda item: ORDER.index(_group(item.path.name)) if _group(item.path.name) else len(ORDER))


def pytest_xdist_make_scheduler(config, log):
    """For --dist loadgroup: xdist's scope scheduler, a scope being a group of MODULES or one test."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _group(nodeid.split("::", 1)[0].rsplit("/", 1)[-1]) or nodeid

    config.option.loadscopereorder = False  # keep the collection's order: longest groups first
    return ModuleGroups(config, log)
