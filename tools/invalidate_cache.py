"""Drop the book's execution cache when src/convlab changed since the last build.

jupyter-cache keys a notebook on its own text only, so a change to the module the chapters
import would otherwise leave stale outputs in the site.
"""
import hashlib
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"
STAMP = ROOT / "_build" / ".convlab-hash"


def convlab_hash():
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "convlab").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def main():
    current = convlab_hash()
    if STAMP.exists() and STAMP.read_text() == current:
        return
    if CACHE.exists():
        print("src/convlab changed since the last build: clearing the execution cache")
        shutil.rmtree(CACHE)
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(current)


if __name__ == "__main__":
    main()
