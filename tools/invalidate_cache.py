"""Make the next book build re-execute every chapter when src/convlab changed since the last one.

jupyter-cache keys a notebook on its own text only, and Sphinx re-reads a page only when its
source file changed: after a change to the module the chapters import, both would keep serving
the old outputs. So when the module's content hash differs from the one stamped at the last
build, this drops the execution cache and Sphinx's saved environment (the doctrees), which
forces every page to be read and executed again.

Usage: `python tools/invalidate_cache.py [BUILD_DIR]` (default: _build beside this repository's
_config.yml; pass `<path-output>/_build` for a `jupyter-book build --path-output` build).
"""
import hashlib
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
STAMP_NAME = ".convlab-hash"
# What the build keeps between runs that holds executed outputs.
STALE_AFTER_CHANGE = (".jupyter_cache", ".doctrees")


def convlab_hash(package_dir):
    """Hash of every file of the package (names and bytes), ignoring bytecode caches."""
    package_dir = pathlib.Path(package_dir)
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def invalidate_if_changed(package_dir, build_dir):
    """Drop the saved outputs under build_dir unless they were made with this package_dir.

    Returns True if saved outputs were dropped. Without a stamp (first build, or outputs made
    before stamping) they are dropped too: nothing says which module made them.
    """
    build_dir = pathlib.Path(build_dir)
    stamp = build_dir / STAMP_NAME
    current = convlab_hash(package_dir)
    if stamp.is_file() and stamp.read_text() == current:
        return False
    dropped = False
    for name in STALE_AFTER_CHANGE:
        if (build_dir / name).exists():
            shutil.rmtree(build_dir / name)
            dropped = True
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)
    return dropped


def main(argv):
    build_dir = pathlib.Path(argv[1]) if len(argv) > 1 else ROOT / "_build"
    if invalidate_if_changed(ROOT / "src" / "convlab", build_dir):
        print(f"src/convlab changed since the last build of {build_dir}: every chapter runs again")


if __name__ == "__main__":
    main(sys.argv)
