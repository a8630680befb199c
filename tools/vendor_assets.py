"""Vendor MathJax 3 from the npm registry so that the built site loads no script from another host.

The tarball is fetched once with `npm pack` into a cache directory under the build folder,
checked against the integrity hash the registry published for that version, and unpacked into
`<cache>/mathjax-<version>/mathjax/`: a folder ready to be added to Sphinx's `html_static_path`,
so that the site serves it as `_static/mathjax/`. Nothing large is committed to the repository.

Only the entry script (`tex-chtml.js`) is loaded by the pages; the folders beside it are what
that script loads on demand (TeX extensions, the CHTML woff fonts, the menu's accessibility and
speech components), so every control of the MathJax menu works offline too.

axe-core, the accessibility engine the browser test runs on every page, comes the same way
(`ensure_axe`): one pinned, integrity-checked `axe.min.js`, fetched on first use into the same
cache. It is a test tool, so it is never copied into the site.

Run as a script to fetch ahead of time: `python tools/vendor_assets.py [CACHE_DIR]`.
"""
import base64
import hashlib
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile

MATHJAX_VERSION = "3.2.2"
# What the npm registry publishes for mathjax@3.2.2 (`npm view mathjax@3.2.2 dist.integrity`).
MATHJAX_INTEGRITY = (
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
)
# The one script the pages load; Sphinx's `mathjax_path` is relative to `_static/`.
MATHJAX_ENTRY = "tex-chtml.js"
MATHJAX_PATH = f"mathjax/{MATHJAX_ENTRY}"
# Loaded on demand by the entry script, relative to its own URL.
MATHJAX_DIRS = ("a11y", "adaptors", "input", "output", "sre", "ui")

AXE_VERSION = "4.14.1"
# `npm view axe-core@4.14.1 dist.integrity`
AXE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
AXE_SCRIPT = "axe.min.js"


class VendorError(RuntimeError):
    """Raised when an asset cannot be fetched or fails its integrity check."""


def integrity_of(path):
    """Subresource-integrity string (as npm records it) of the file at `path`."""
    digest = hashlib.sha512(pathlib.Path(path).read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def static_dir(cache_dir, version=MATHJAX_VERSION):
    """The folder to add to `html_static_path`: it holds `mathjax/` and nothing else."""
    return pathlib.Path(cache_dir) / f"mathjax-{version}"


def _npm_pack(spec, dest):
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            "building the book needs npm to vendor MathJax from the npm registry "
            "(Debian: apt-get install npm); the site must not load MathJax from a public host"
        )
    result = subprocess.run(
        [npm, "pack", spec, "--silent", "--pack-destination", str(dest)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise VendorError(f"`npm pack {spec}` failed:\n{result.stderr.strip()}")
    name = result.stdout.strip().splitlines()[-1]
    return pathlib.Path(dest) / name


def _unpack(tarball, target):
    """Extract the entry script and its on-demand folders from package/es5/ into target/mathjax/."""
    prefix = "package/es5/"
    with tarfile.open(tarball) as archive:
        members = []
        for member in archive.getmembers():
            if not member.name.startswith(prefix) or not member.isfile():
                continue
            relative = member.name[len(prefix):]
            if relative == MATHJAX_ENTRY or relative.split("/", 1)[0] in MATHJAX_DIRS:
                member.name = "mathjax/" + relative
                members.append(member)
        if not any(m.name == MATHJAX_PATH for m in members):
            raise VendorError(f"{tarball} has no es5/{MATHJAX_ENTRY}")
        archive.extractall(target, members=members, filter="data")


def _ensure(target, ready, spec, integrity, pack, unpack):
    """Fetch `spec` with `pack`, check it against `integrity`, `unpack(tarball, staging)`, and move
    the staging folder to `target`; skipped when `ready` (a file under target) exists."""
    if ready.is_file():
        return target
    cache_dir = target.parent
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        tarball = pack(spec, scratch)
        found = integrity_of(tarball)
        if found != integrity:
            raise VendorError(f"{spec} tarball integrity {found} does not match the pinned {integrity}")
        staging = pathlib.Path(scratch) / "static"
        unpack(tarball, staging)
        # Rename into place last, so an interrupted fetch never leaves a half-filled folder.
        shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            if not ready.is_file():  # else a parallel build got there first
                raise
    return target


def ensure_mathjax(cache_dir, version=MATHJAX_VERSION, integrity=MATHJAX_INTEGRITY, pack=_npm_pack):
    """Return the static folder holding `mathjax/`, fetching and unpacking it on first use.

    `pack(spec, dest)` downloads the package tarball into dest and returns its path (npm by
    default; tests pass their own). The tarball must match `integrity`, or nothing is unpacked.
    """
    target = static_dir(cache_dir, version)
    return _ensure(target, target / MATHJAX_PATH, f"mathjax@{version}", integrity, pack, _unpack)


def _unpack_axe(tarball, target):
    with tarfile.open(tarball) as archive:
        member = archive.getmember(f"package/{AXE_SCRIPT}")
        member.name = AXE_SCRIPT
        archive.extractall(target, members=[member], filter="data")


def ensure_axe(cache_dir, version=AXE_VERSION, integrity=AXE_INTEGRITY, pack=_npm_pack):
    """Return the path of axe-core's `axe.min.js`, fetched from the npm registry on first use."""
    target = pathlib.Path(cache_dir) / f"axe-core-{version}"
    _ensure(target, target / AXE_SCRIPT, f"axe-core@{version}", integrity, pack, _unpack_axe)
    return target / AXE_SCRIPT


def main(argv):
    root = pathlib.Path(__file__).resolve().parent.parent
    cache_dir = pathlib.Path(argv[1]) if len(argv) > 1 else root / "_build" / ".vendor"
    print(ensure_mathjax(cache_dir))
    print(ensure_axe(cache_dir))


if __name__ == "__main__":
    main(sys.argv)
