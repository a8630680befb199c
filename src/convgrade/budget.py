"""Time limits that count a box's own CPU time, so that a grade does not depend on the neighbour.

A cell (or a tested function, or a whole notebook) gets a CPU budget: the CPU time used by
everything in its sandbox, measured by the box (its cgroup, or its processes' own times where
there is no cgroup). A busy machine slows a box down but does not spend its budget, so an honest
cell passes however many other submissions are graded beside it; a box that forks busy processes
spends its budget faster, since their time counts too.

A wall-clock backstop, several times the CPU budget, stops what uses no CPU: a cell that sleeps or
waits forever, or a box the machine starved. Which of the two it was is read from the scheduler's
own account of the box's threads (/proc/<tid>/schedstat: time spent runnable but waiting for a
CPU), over the last seconds before the stop: a box that was mostly runnable then (computing, or
waiting for a CPU) was starved ("grader overloaded; re-grade"), a box that mostly did nothing was
waiting on its own ("waited too long"). Neither is ever "timed out".
"""
import collections
import os
import time

from traitlets import Float
from traitlets.config import LoggingConfigurable

# what stopped a cell, a call or a notebook -> the status it gives (status.STATUSES)
CPU = "timed out"
OVERLOADED = "grader overloaded; re-grade"
IDLE = "waited too long"
STARVED_SHARE = 0.5  # of the wall-clock time, runnable (running or waiting for a CPU): starved, not idle
RECENT_SECONDS, RECENT_SHARE = 3.0, 0.2  # what a stopped stretch was doing: its last seconds
CELL_WALL_FACTOR = 10  # the per-cell wall-clock backstop, in CPU budgets, when not set (a box given a tenth
# of a core by a busy machine still passes)
# error names a stopped cell gets in the autograded notebook -> its status
ENAMES = {"CellTimeoutError": CPU, "GraderOverloaded": OVERLOADED, "WaitedTooLong": IDLE}
ENAME_OF = {status: ename for ename, status in ENAMES.items()}


class Budget(LoggingConfigurable):
    """A notebook's budgets (c.Budget.<name>). The per-cell CPU budget is c.Execute.timeout; a tested
    function's is CALL_SECONDS in the assignment's checks.py."""

    notebook_cpu_seconds = Float(120.0, help="CPU time of one notebook's whole run, in its kernel and again "
                                             "in its re-check (each); its sandbox's processes all count").tag(config=True)
    cell_wall_seconds = Float(0.0, help="wall-clock backstop of one cell (0: 10 times Execute.timeout)").tag(config=True)
    notebook_wall_seconds = Float(600.0, help="wall-clock backstop of one notebook's kernel run, and of its "
                                              "re-check (each)").tag(config=True)

    def cell_wall(self, cell_cpu):
        return self.cell_wall_seconds or CELL_WALL_FACTOR * cell_cpu


def run_delay(threads):
    """{tid: nanoseconds spent runnable but not running}, for the threads the kernel reports it."""
    delays = {}
    for tid in threads:
        try:
            with open(f"/proc/{tid}/schedstat") as handle:
                delays[tid] = int(handle.read().split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return delays


def process_cpu_seconds(pids):
    """CPU time of these processes and of their reaped children, from /proc/<pid>/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        except (OSError, ValueError, IndexError):
            pass
    return total / ticks


class Meter:
    """One measured stretch (a cell, a call, a notebook) of a box: CPU used, wall time, and time
    its threads waited for a CPU. `sample()` as often as convenient; `verdict()` says what ran out."""

    def __init__(self, box, cpu_budget, wall_budget):
        self.box, self.cpu_budget, self.wall_budget = box, cpu_budget, wall_budget
        self.cpu_limit = cpu_budget  # the budget as the student is told it (a check may allow some slack)
        self.start_cpu = box.cpu_seconds()
        self.start_wall = time.monotonic()
        self.waited = 0.0
        self.history = collections.deque(maxlen=600)  # (wall, cpu, waited) at each sample
        self._delays = run_delay(box.threads())

    def sample(self):
        """Add the run-queue waiting of the box's threads since the last sample."""
        delays = run_delay(self.box.threads())
        self.waited += sum(max(0, d - self._delays[t]) for t, d in delays.items() if t in self._delays) / 1e9
        self._delays = delays
        self.history.append((self.wall, self.cpu, self.waited))

    @property
    def cpu(self):
        return max(0.0, self.box.cpu_seconds() - self.start_cpu)

    @property
    def wall(self):
        return time.monotonic() - self.start_wall

    def verdict(self):
        """None while within budget, else CPU, OVERLOADED or IDLE."""
        if self.cpu_budget and self.cpu >= self.cpu_budget:
            return CPU
        if self.wall_budget and self.wall >= self.wall_budget:
            return self.classify()
        return None

    def classify(self):
        """What a stretch stopped by the wall clock was doing: CPU (it spent its budget after all),
        OVERLOADED (in its last seconds it was runnable, computing or waiting for a CPU, most of the
        time) or IDLE. The last seconds, not the whole stretch: a notebook that computed slowly on a
        busy machine and then slept is sleeping when it is stopped."""
        cpu = self.cpu
        if self.cpu_budget and cpu >= self.cpu_budget:
            return CPU
        self.sample()
        wall, cpu = self.wall, self.cpu
        window = max(RECENT_SECONDS, RECENT_SHARE * wall)
        then = next((h for h in reversed(self.history) if h[0] <= wall - window), (0.0, 0.0, 0.0))
        span = wall - then[0]
        busy = (cpu - then[1]) + (self.waited - then[2])
        return OVERLOADED if busy >= STARVED_SHARE * span else IDLE

    def describe(self, what, stopped):
        """A sentence for the student and the instructor: what was stopped, and why."""
        cpu, wall = self.cpu, self.wall
        if stopped == CPU:
            return f"{what} used more than its {self.cpu_limit:g} s of CPU time and was stopped"
        if stopped == OVERLOADED:
            return (f"{what} was stopped after {wall:.0f} s of wall-clock time with only {cpu:.1f} s of "
                    f"CPU time: the grading machine was too busy; your instructor will grade it again")
        return (f"{what} waited (sleep, or a read that never ends) for {wall:.0f} s of wall-clock time, "
                f"using {cpu:.1f} s of CPU time, and was stopped")
