"""Check an assignment before releasing it: grade its solutions and its release the way students are graded.

    python -m convgrade.audit ASSIGNMENT [--course .]

`nbgrader validate` runs the tests in an ordinary kernel. This runs them through the engine, with
every safeguard: the source notebook (the solutions) is graded as a submission, then the release
(the stubs). For every test cell it says whether the grader can run it itself outside the
student's kernel ("re-checked"), or why not; the solutions must pass every test and the stubs
fail every one. Exit code 0 when all holds, 1 otherwise.
"""
import argparse
import pathlib
import shutil
import sys
import tempfile

from . import report


def audit(course, assignment, say=print):
    from nbgrader import utils

    from .driver import course_directory, load_config
    from .tasks import grade_submission, preload
    course = pathlib.Path(course).resolve()
    config = load_config(course)
    coursedir = course_directory(config)
    names = report.notebook_names(coursedir, assignment)
    if not names:
        say(f"no notebook in {report.folder(coursedir, 'source') / assignment}")
        return 1
    preload()
    problems = 0
    with tempfile.TemporaryDirectory(prefix="convgrade-audit-") as scratch:
        scratch = pathlib.Path(scratch)
        shutil.copytree(course / coursedir.source_directory, scratch / coursedir.source_directory, symlinks=True)
        shutil.copy(course / "nbgrader_config.py", scratch)
        for student, origin, want in (("solutions", "source", True), ("release", "release", False)):
            folder = report.folder(coursedir, origin) / assignment
            target = scratch / coursedir.submitted_directory / student / assignment
            target.mkdir(parents=True)
            for name in names:
                shutil.copy(folder / f"{name}.ipynb", target)
        from .driver import _check_isolation, _prepare_assignment
        _check_isolation(config)
        scratch_config = load_config(scratch)
        template = _prepare_assignment(scratch_config, assignment, want_template=True)
        for student, want in (("solutions", True), ("release", False)):
            job = _job_for(scratch, scratch_config, student, assignment, template)
            result = grade_submission(job)
            if result.get("problem"):
                say(f"{student}: grading failed: {result['problem']}\n{result.get('log', '')[-3000:]}")
                problems += 1
                continue
            import nbformat
            for name, data in result["autograded"].items():
                nb = nbformat.reads(data.decode("utf-8"), as_version=4)
                flags = {f["status"]: f["detail"] for f in nb.metadata.get("convgrade", {}).get("flags", [])}
                say(f"\n{student} ({'every test must pass' if want else 'every test must fail'}): {name}")
                for cell in nb.cells:
                    if not (utils.is_grade(cell) and not utils.is_solution(cell) and cell.cell_type == "code"):
                        continue
                    grade_id = cell.metadata["nbgrader"]["grade_id"]
                    earned, points = utils.determine_grade(cell)
                    passed = earned == points
                    unchecked = grade_id in flags.get("not re-checked", "")
                    how = "not re-checked by the grader" if unchecked else "re-checked"
                    ok = passed == want and not unchecked
                    problems += not ok
                    errors = [o.get("evalue", "") for o in cell.outputs if o.output_type == "error"]
                    why = f": {errors[0][:160]}" if errors and want else ""
                    say(f"  {'ok ' if ok else 'BAD'} {grade_id:<40} {'passes' if passed else 'fails'} "
                        f"({earned:g}/{points:g}), {how}{why}")
                for state, detail in flags.items():
                    if state != "tampered":  # (a source notebook's tests hold their hidden part: not a tamper)
                        say(f"  status {state}: {detail[:300]}")
    say("\nAll tests pass on the solutions, fail on the release, and are re-checked by the grader."
        if not problems else f"\n{problems} problem(s): see the lines marked BAD.")
    return 0 if not problems else 1


def _job_for(course, config, student, assignment, template):
    from .driver import _job, course_directory
    return _job(course, config, course_directory(config), student, assignment, template, shared_db=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--course", default=".", help="course root with nbgrader_config.py (default: .)")
    args = parser.parse_args(argv)
    return audit(args.course, args.assignment)


if __name__ == "__main__":
    sys.exit(main())
