"""Build both editions of the book: English in _build/html/en, Chinese in _build/html/zh.

One Sphinx run per language, through Jupyter Book's own `build_sphinx` (the same configuration
as `jupyter-book build`: _config.yml and _toc.yml). The English run executes what the
execution cache lacks; the Chinese run reads the same cache (_config.yml `execute.cache`) and
runs no kernel. Each language keeps its own saved environment (_build/.doctrees/<lang>): the
doctrees hold translated text. A root page, _build/html/index.html, sends the reader to one.

Usage: python tools/build_book.py [--lang en|zh ...] [--gettext DIR]
  --lang: build only these editions (default both);
  --gettext DIR: instead, extract the English messages into DIR (one .pot per page).
"""
import argparse
import pathlib
import sys
import time

from jupyter_book.sphinx import build_sphinx

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
# Per edition: Sphinx overrides on top of _config.yml's sphinx.config.
COMMON = {
    "nitpicky": True,  # `jupyter-book build -n`: every reference must resolve
    "latex_individualpages": False,  # build_sphinx expects the CLI's value
    # One execution cache for both editions, where `jupyter-book build` keeps it: the Chinese
    # run finds every chapter executed by the English one and starts no kernel.
    "nb_execution_cache_path": str(BUILD / ".jupyter_cache"),
}
EDITIONS = {
    "en": {},
    "zh": {
        "language": "zh_CN",
        # Sphinx's Chinese search splits words with jieba
        "html_search_language": "zh",
        # jieba's own dictionary splits 感受野 into 感受 + 野: the book's terms, one word each
        "html_search_options": {"dict": str(ROOT / "locales" / "zh_CN" / "search_dictionary.txt")},
        "html_title": "卷积神经网络中的卷积基础",
        "project": "卷积神经网络中的卷积基础",
        "author": "convlab 课程组",
        # myst-nb's toggles of hidden code cells ("Show code cell source")
        "nb_code_prompt_show": "显示代码单元格",
        "nb_code_prompt_hide": "隐藏代码单元格",
    },
}
sys.path.insert(0, str(ROOT / "tools"))
import language_switch  # noqa: E402  (the root page lives with the switch's page mapping)


def build(lang, builder="html", outdir=None):
    outdir = outdir or HTML / lang
    started = time.time()
    print(f"[book] {lang} edition ({builder}) -> {outdir.relative_to(ROOT) if outdir.is_relative_to(ROOT) else outdir}", flush=True)
    status = build_sphinx(
        ROOT, outdir, noconfig=True, path_config=ROOT / "_config.yml", confoverrides={**COMMON, **EDITIONS[lang]},
        doctreedir=BUILD / ".doctrees" / (lang if builder == "html" else f"{lang}-{builder}"),
        builder=builder, warningiserror=True, keep_going=True, quiet=True,
    )
    print(f"[book] {lang} edition: {'built' if status == 0 else 'FAILED'} in {time.time() - started:.1f} s", flush=True)
    return status


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", action="append", choices=sorted(EDITIONS))
    parser.add_argument("--gettext", type=pathlib.Path)
    args = parser.parse_args(argv)
    if args.gettext:
        return build("en", builder="gettext", outdir=args.gettext.resolve())
    status = 0
    for lang in args.lang or list(EDITIONS):
        status = build(lang) or status
    if status == 0:
        language_switch.write_root_page(HTML)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
