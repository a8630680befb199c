"""nbgrader preprocessors for the execution step of autograde.

ResilientExecute  nbgrader's Execute with the kernel in the submission's sandbox
                  (kernel.SandboxedKernelManager), its time limits counting the sandbox's own
                  CPU time (budget: c.Execute.timeout per cell, c.Budget.* per notebook, with
                  wall-clock backstops), seeded before every cell from the submission's
                  key (the re-check draws the same inputs), its output bounded while it arrives,
                  and a kernel that dies (the student's code called exit() or crashed it) no longer
                  throws the whole submission away: the cells before keep their results, the cells
                  after get an error saying why, and the notebook is flagged.
TidyOutputs       what a test cell shows cannot change its score except through our own tests:
                  stderr from a student's warning no longer zeroes a passing test, a value
                  displayed by a test cell is not read as partial credit, and huge outputs are cut.
"""
import asyncio

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from . import budget, content, isolation, seeds, status
from .kernel import SandboxedKernelManager
from .sanitize import course_directory


def error_output(ename, evalue):
    """An error output with a one-line traceback (the words are the message)."""
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def seed_key(preprocessor, coursedir, info):
    """The submission's seed key: given to a grading task directly, or derived from the course secret."""
    config = seeds.Seeds(parent=preprocessor)
    if config.key:
        return config.key
    secret = seeds.course_secret(coursedir.root, config.secret_file)
    return seeds.student_key(secret, coursedir.course_id, info["assignment"], info["student"])


def seed_source(seed):
    """One expression that seeds random, numpy and (if loaded) torch, and binds no name."""
    return ("(lambda s, m=__import__('sys').modules: (__import__('random').seed(s), "
            "__import__('numpy').random.seed(s % 4294967296), "
            f"m['torch'].manual_seed(s) if 'torch' in m else None))({seed})")


WATCH_SECONDS = 0.2  # how often a running cell's box is measured
INTERRUPT_GRACE = 15  # seconds a stopped cell has to end after its interrupt, before its kernel is ended
# (a kernel beside busy children of its own gets a small share of its box: 5 s was too little at load 40)


def timed_out_cells(cells):
    """Indices of the code cells stopped at a time limit (CPU budget or wall-clock backstop)."""
    return [index for index, cell in enumerate(cells)
            if cell.cell_type == "code" and any(o.get("ename") in budget.ENAMES for o in cell.outputs)]


def failed_from(cells, died_at):
    """The cell from which a kernel that died at died_at stopped working.

    A cell stopped at its time limit, then a dead kernel: the trouble began at the last such cell,
    and a re-check that stops there stops on the same student code, not on the grader.
    """
    return (timed_out_cells(cells[:died_at]) or [died_at])[-1]


class ResilientExecute(Execute):
    """Execute in a sandboxed kernel, seeded per cell, bounded, surviving a dead kernel.

    `timeout` (c.Execute.timeout) is a cell's CPU budget: the CPU time of everything in its
    sandbox while it runs. A watchdog measures the box while the cell runs and interrupts the
    cell when its budget, the notebook's (c.Budget.notebook_cpu_seconds), or a wall-clock backstop
    runs out; a cell that does not stop then has its kernel ended. nbclient's own timeout, which
    counts the clock, is left only as a last resort behind the watchdog.
    """

    max_cell_output = Integer(2_000_000, help="characters of output kept per cell while it runs").tag(config=True)
    # The whole notebook's output is bounded too (a thousand cells each under the cell's cap would
    # hold gigabytes in the grader): past these, only error outputs are kept, so a failing test
    # still fails.
    max_notebook_output = Integer(8_000_000, help="characters of output kept per notebook while it runs"
                                  ).tag(config=True)
    max_notebook_outputs = Integer(5_000, help="outputs kept per notebook while it runs").tag(config=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        # A flood of output disconnects the kernel's IOPub socket (ZMQ_MAXMSGSIZE): the cell ends
        # without its outputs, and grading goes on (nbgrader's default would abort the submission).
        kwargs.setdefault("raise_on_iopub_timeout", False)
        # nbclient's own limit is wall-clock time: if it ever fires, it is not the student's CPU time
        kwargs.setdefault("error_on_timeout", {"ename": "GraderOverloaded", "evalue": "no reply from the kernel "
                          "within the grader's last-resort wall-clock limit", "traceback": []})
        super().__init__(**kwargs)
        self.timeout_func = self._last_resort

    def _last_resort(self, cell):
        """nbclient's wall-clock limit for a cell: past our watchdog's backstop and its grace."""
        if not self.timeout or self.timeout < 0:
            return None
        return int(self._budget.cell_wall(self.timeout) + 3 * INTERRUPT_GRACE + 10)

    def preprocess(self, nb, resources=None, km=None):
        self._died_at = None
        self._budget = budget.Budget(parent=self)
        self._notebook_meter = None  # from the first cell on (the kernel's start-up is not the student's)
        self._spent = None  # why the cells left were not run, once the notebook's budget ran out
        self._notebook_chars, self._notebook_outputs, self._notebook_cut = 0, 0, None
        self._settings = isolation.Isolation(parent=self)
        self._settings.check()
        info = resources["nbgrader"]
        coursedir = course_directory(self)
        self._key = seed_key(self, coursedir, info)
        self._forbid = content.load(coursedir.format_path(coursedir.source_directory, ".", "."),
                                    info["assignment"]).forbid()
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except DeadKernelError:  # raised while shutting the dead kernel down
            nb = self.nb
        if self._died_at is not None:
            status.record(nb, "kernel died", f"the kernel died while running cell {self._died_at + 1}")
            resources.setdefault("convgrade", {})["kernel_failed_from"] = failed_from(nb.cells, self._died_at)
        if not self._settings.isolated:
            status.record(nb, "not isolated", "graded without a sandbox (Isolation.mode = 'none')")
        if self._notebook_cut is not None:
            status.record(nb, "too large", f"output past the notebook's cap ({self.max_notebook_output} characters "
                                           f"or {self.max_notebook_outputs} outputs) was dropped from cell "
                                           f"{self._notebook_cut + 1} on; the scores stand")
        return nb, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.settings = self._settings
            km.forbid = self._forbid
        return km

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._cell_chars, self._cell_cut = 0, False
        if self.km is not None:
            self.km._replied = True  # the kernel is up (nbclient waited for its kernel_info reply)
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if self._spent is not None:
            cell.outputs = [error_output("NotRun", f"not run: {self._spent}")]
            return cell
        box = getattr(self.km, "box", None)
        if box is not None and self._notebook_meter is None:
            self._notebook_meter = budget.Meter(box, self._budget.notebook_cpu_seconds,
                                                self._budget.notebook_wall_seconds)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        msg_id = await ensure_async(self.kc.execute(seed_source(seeds.seed(self._key, "cell", cell_index, grade_id)),
                                                    silent=True, store_history=False))
        await self.async_wait_for_reply(msg_id, cell)
        self._stopped = None
        watch = None
        if box is not None and self.timeout and self.timeout > 0:
            meter = budget.Meter(box, self.timeout, self._budget.cell_wall(self.timeout))
            watch = asyncio.ensure_future(self._watch(box, meter, cell_index))
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            if watch is not None:
                watch.cancel()
            if self._stopped is not None:
                cell.outputs = [o for o in cell.outputs if o.get("ename") != "KeyboardInterrupt"]
                cell.outputs.append(error_output(budget.ENAME_OF[self._stopped[0]], self._stopped[1]))
            if self._spent is not None:
                box.kill()  # its processes could go on spending the CPU the notebook no longer has

    execute_cell = run_sync(async_execute_cell)  # (NotebookClient binds the public name to its own)

    async def _watch(self, box, cell, index):
        """Stop the running cell when a budget runs out: interrupt it, then end its kernel if it goes on."""
        notebook = self._notebook_meter
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            cell.sample()
            notebook.sample()
            stopped, meter, what = cell.verdict(), cell, "this cell"
            if stopped is None:
                stopped, meter, what = notebook.verdict(), notebook, "the notebook"
            if stopped is not None:
                break
        message = meter.describe(what, stopped)
        self._stopped = (stopped, message)
        if meter is notebook:
            self._spent = f"the notebook's budget ran out in cell {index + 1} ({message})"
        self.log.warning("Cell %d stopped: %s", index + 1, message)
        await ensure_async(self.km.interrupt_kernel())
        await asyncio.sleep(INTERRUPT_GRACE)  # (cancelled here when the cell ends)
        self.log.warning("Cell %d did not stop when interrupted: ending its kernel", index + 1)
        box.kill()

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        reply = await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg,
                                                    task_poll_kernel_alive)
        if task_poll_output_msg.cancelled():  # IOPub went quiet: a message over the cap cut it off
            self.kc.iopub_channel.close()
            self.kc._iopub_channel = None
            self.kc.iopub_channel.start()  # a fresh subscription for the next cells
            cell.outputs.append(new_output("stream", name="stdout", text="\n... output too large: dropped by the grader ...\n"))
        return reply

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's outputs only up to max_cell_output characters, and the notebook's up to its
        caps, as they arrive. The notebook's caps count what is kept: output a cell's own cap already
        dropped holds no memory, so one flooding cell is cut, not the notebook flagged."""
        content = msg.get("content", {})
        size = len(str(content.get("text", ""))) + sum(len(str(v)) for v in content.get("data", {}).values()) \
            + len(str(content.get("traceback", "")))
        self._cell_chars = getattr(self, "_cell_chars", 0) + size
        if self._cell_chars > self.max_cell_output:
            if not getattr(self, "_cell_cut", False):
                self._cell_cut = True
                outs.append(new_output("stream", name="stdout",
                                       text=f"\n... output past {self.max_cell_output} characters dropped by the grader ...\n"))
            return None
        is_error = msg.get("msg_type", msg.get("header", {}).get("msg_type")) == "error"
        if not is_error and (getattr(self, "_notebook_chars", 0) + size > self.max_notebook_output or
                             getattr(self, "_notebook_outputs", 0) + 1 > self.max_notebook_outputs):
            if getattr(self, "_notebook_cut", None) is None:
                self._notebook_cut = cell_index
            if not getattr(self, "_cell_cut", False):
                self._cell_cut = True
                outs.append(new_output("stream", name="stdout",
                                       text="\n... output past the notebook's cap dropped by the grader ...\n"))
            return None
        self._notebook_chars = getattr(self, "_notebook_chars", 0) + size
        self._notebook_outputs = getattr(self, "_notebook_outputs", 0) + 1
        return super().output(outs, msg, display_id, cell_index)

    def handle_comm_msg(self, outs, msg, cell_index):
        return None  # widget state is of no use to grading, and unbounded

    def preprocess_cell(self, cell, resources, index):
        if self._died_at is not None:
            if cell.cell_type == "code":
                cell.outputs = [error_output("KernelDied", f"not run: the kernel had died in cell {self._died_at + 1}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_at = index
            cell.outputs.append(error_output("KernelDied", "the kernel died while running this cell"))
            return cell, resources


class TidyOutputs(NbGraderPreprocessor):
    """Cap output sizes everywhere; in test cells, score by errors only."""

    max_chars = Integer(20_000, help="longest text kept per output").tag(config=True)
    max_outputs = Integer(50, help="most outputs kept per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if len(cell.outputs) > self.max_outputs:
            dropped = len(cell.outputs) - self.max_outputs
            cell.outputs = cell.outputs[:self.max_outputs] + [
                new_output("stream", name="stdout", text=f"... {dropped} more outputs removed by the grader ...\n")]
        for output in cell.outputs:
            self._cap(output)
        if utils.is_grade(cell):
            self._score_by_errors(cell, resources)
        return cell, resources

    def _cap(self, output):
        if output.output_type == "stream" and len(output.text) > self.max_chars:
            half = self.max_chars // 2
            cut = len(output.text) - self.max_chars
            output.text = f"{output.text[:half]}\n... {cut} characters removed by the grader ...\n{output.text[-half:]}"
        data = output.get("data", {})
        for mime, value in list(data.items()):
            size = len(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else str(value))
            if size > self.max_chars:
                del data[mime]  # a huge image or HTML table
                data["text/plain"] = f"[{size} characters of {mime} removed by the grader]"
        if output.output_type == "error":
            output.evalue = output.evalue[:self.max_chars]
            output.traceback = [line[:self.max_chars] for line in output.traceback]

    def _score_by_errors(self, cell, resources):
        failed = any(o.output_type == "error" for o in cell.outputs)
        kept = []
        for output in cell.outputs:
            if output.output_type == "execute_result":
                continue  # our tests return nothing; a value here would be read as partial credit
            if output.output_type == "stream" and output.name == "stderr" and not failed:
                output.name = "stdout"  # a warning from the student's code is not a failed test
            kept.append(output)
        cell.outputs = kept

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for index in timed_out_cells(nb.cells):
            for output in nb.cells[index].outputs:
                if output.get("ename") in budget.ENAMES:
                    why = output.get("evalue") or "it ran past its time limit"
                    status.record(nb, budget.ENAMES[output.ename], f"cell {index + 1}: {why}")
                    break
        return nb, resources
