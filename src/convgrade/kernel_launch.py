"""The notebook's kernel inside its sandbox: the assignment's forbidden libraries, then ipykernel.

    python -E -s -P -m convgrade.kernel_launch FORBID.json -f CONNECTION_FILE ...

(-P: the kernel's folder, where the student's files are, is not searched while the launcher and
ipykernel load; then it goes first on sys.path for the notebook's own imports, as in any kernel.)

The kernel and the re-check refuse the same libraries in the same way, so an honest notebook
that uses one fails the same test in both places instead of looking suspicious.
"""
import json
import sys


def main():
    with open(sys.argv[1]) as handle:
        settings = json.load(handle)
    del sys.argv[1]
    from . import forbid
    forbid.install(settings)
    from ipykernel import kernelapp
    sys.path.insert(0, "")  # now the kernel's folder first, as in any kernel: the notebook imports its files
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
