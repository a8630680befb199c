"""The Chinese edition's gettext catalogs (locales/zh_CN/LC_MESSAGES), read with polib."""
import pathlib
import re

import polib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"

# Markup a translation must carry over unchanged: roles with their targets, math, inline code.
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
MATH = re.compile(r"(?<![\\$])\$[^$\n]+\$")
CODE = re.compile(r"(?<![`{}\w])`[^`\n]+`")


def catalogs():
    """Every catalog, as (name relative to CATALOGS without .po, polib file)."""
    return [(p.relative_to(CATALOGS).with_suffix("").as_posix(), polib.pofile(str(p)))
            for p in sorted(CATALOGS.rglob("*.po"))]


def role_targets(text):
    """Each role as (name, target): `{doc}`text <target>`` has target `target`, its text may be translated."""
    found = []
    for name, content in ROLE.findall(text):
        target = re.search(r"<([^<>]+)>\s*$", content)
        found.append((name, target.group(1) if target and name in ("doc", "ref", "numref", "term") else content))
    return sorted(found)


def verbatim_markup(text):
    """What must appear unchanged in a translation: role targets, math and inline code."""
    without_roles = ROLE.sub(" ", text)
    return {"roles": role_targets(text), "math": sorted(MATH.findall(without_roles)),
            "code": sorted(CODE.findall(without_roles))}
