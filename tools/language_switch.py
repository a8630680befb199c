"""The two editions' language switch, and the site's root page that sends a reader to one.

Each edition is its own Sphinx build of the same pages (tools/build_book.py): English in
html/en/, Chinese in html/zh/. Every page's twin is therefore the same page name in the other
folder, so the switch is a relative link computed from the page name, shown in the article's
header (book/_templates/language-switch.html, added to sphinx-book-theme's article_header_end).
"""
import html
import pathlib

# edition folder -> (Sphinx language, BCP 47 tag, the switch's label shown in the *other* edition)
EDITIONS = {"en": ("en", "en", "English"), "zh": ("zh_CN", "zh-CN", "中文")}


def folder_of(language):
    return next(folder for folder, (lang, _, _) in EDITIONS.items() if lang == (language or "en"))


def twin_url(pagename, other_folder):
    """Relative URL from page `pagename` of one edition to the same page of the other."""
    up = "../" * (pagename.count("/") + 1)  # out of the page's folders, then out of the edition
    return f"{up}{other_folder}/{pagename}.html"


def add_switch(app, pagename, templatename, context, doctree):
    here = folder_of(app.config.language)
    other = next(folder for folder in EDITIONS if folder != here)
    _, tag, label = EDITIONS[other]
    context["book_language_switch"] = {"url": twin_url(pagename, other), "hreflang": tag, "label": label}


ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="en/_static/favicon.svg" type="image/svg+xml">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.6; }}
a {{ display: block; font-size: 1.25rem; margin: 0.75rem 0; }}
</style>
<script>
// A reader whose browser prefers Chinese goes to the Chinese edition, anyone else to the
// English one; the links below stay for going the other way (and for readers without scripts).
(function () {{
  var langs = navigator.languages || [navigator.language || ""];
  var zh = langs.length && /^zh\\b/i.test(langs[0]);
  if (!/[?&]stay\\b/.test(location.search)) {{ location.replace(zh ? "zh/index.html" : "en/index.html"); }}
}})();
</script>
</head>
<body>
<h1>{title}</h1>
<a href="en/index.html" hreflang="en">English edition</a>
<a href="zh/index.html" hreflang="zh-CN" lang="zh-CN">中文版</a>
</body>
</html>
"""


def write_root_page(html_dir, title="Convolution basics for CNNs · 卷积神经网络中的卷积基础"):
    html_dir = pathlib.Path(html_dir)
    (html_dir / "index.html").write_text(ROOT_PAGE.format(title=html.escape(title)), encoding="utf-8")


def translate_toc_captions(app, doctree):
    """The table of contents' part captions ("Chapters"...) in the page's language.

    sphinx-external-toc inserts the toctrees of _toc.yml after Sphinx translated the page, so their
    captions, which the gettext builder does extract (into the root page's catalog), stay English.
    """
    from sphinx import addnodes
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    if folder_of(app.config.language) == "en":
        return
    domain = docname_to_domain(app.env.docname, app.config.gettext_compact)
    dirs = [str(pathlib.Path(app.srcdir) / d) for d in app.config.locale_dirs]
    catalog, found = init_locale(dirs, app.config.language, domain)
    if not found:
        return
    for toctree in doctree.findall(addnodes.toctree):
        if toctree.get("caption"):
            toctree["caption"] = toctree["rawcaption"] = catalog.gettext(toctree["caption"])


def quiet_jieba(app, config):
    # jieba, Sphinx's Chinese word splitter, logs its dictionary loading at DEBUG level to stderr
    if (config.html_search_language or config.language or "").startswith("zh"):
        import jieba
        import logging

        jieba.setLogLevel(logging.WARNING)


def setup(app):
    app.connect("config-inited", quiet_jieba)
    app.connect("html-page-context", add_switch)
    # after sphinx-external-toc's own doctree-read handler (priority 500), which inserts them
    app.connect("doctree-read", translate_toc_captions, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
