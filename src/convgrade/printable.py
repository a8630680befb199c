"""Text from a submission made safe for a terminal, a log file and a spreadsheet.

A submission controls many strings the grader repeats: grade ids and other cell metadata, error
messages of its code, file names in its folder, the student id (a folder name), notebook names.
Written raw, an ESC or C1 byte in one of them drives the instructor's terminal (set the title,
erase and fake a progress line, write the clipboard through OSC 52), and a bidi override or
another invisible format character makes a line read differently from what it holds.

`printable(text)` escapes every such character visibly instead of dropping it, so the instructor
still sees what was attempted: C0 and C1 controls, DEL, format characters (bidi overrides and
isolates, zero-width characters, soft hyphen, BOM, ...), line and paragraph separators and lone
surrogates become \\x1b, \\u202e, \\U000e0001. A backslash that would otherwise read as the start of
such an escape is doubled, so different texts always print differently (the escaping can be
undone). A newline is kept only where the caller says a text is a block of lines
(`newlines=True`, e.g. a traceback); a single field (an id, a detail, a CSV cell) never keeps one.

`install()` applies it to every log record of the process (a LogRecordFactory: nbgrader's,
traitlets', nbconvert's and Dask's loggers alike, whatever handlers they have), to Python's
warnings (warnings.formatwarning) and to uncaught exceptions (sys.excepthook, threading.excepthook). nbgrader_config.py calls it, so plain nbgrader commands get it.

`spreadsheet_cell(text)` keeps a CSV cell from being evaluated as a formula by Excel, LibreOffice
or Google Sheets (OWASP's advice on CSV injection: a leading quote before = + - @ tab or CR).
"""
import logging
import numbers
import re
import sys
import threading
import traceback
import unicodedata
import warnings

# Unicode categories that are never shown as themselves: controls (C0, DEL, C1), format characters
# (bidi embeddings, overrides and isolates U+202A-202E and U+2066-2069, marks, zero-width joiners,
# BOM, tag characters, ...), lone surrogates, and the line and paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_unsafe(char):
    return unicodedata.category(char) in UNSAFE_CATEGORIES


# what could need escaping: ASCII and C1 controls, backslashes, and any non-ASCII character
_CANDIDATE = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\\\]|[^\\x00-\\x7f]")


def _escape(char):
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text, newlines=False):
    """text with every control and invisible format character escaped visibly (see the module).

    newlines=True keeps line feeds (a block of lines, such as a traceback); everything else,
    carriage returns and tabs included, is always escaped."""
    if not isinstance(text, str):
        text = str(text)

    def kept(char):
        return newlines and char == "\n"

    def replace(match):
        char = match.group()
        if char == "\\":
            # doubled where a reader could take it for the start of an escape: before x, u, U,
            # another backslash, or a character that is itself escaped (its escape starts with one)
            after = text[match.end():match.end() + 1]
            return "\\\\" if after and (after in "xuU\\" or (is_unsafe(after) and not kept(after))) else char
        return char if kept(char) or not is_unsafe(char) else _escape(char)

    return _CANDIDATE.sub(replace, text)


# ---------------------------------------------------------------- spreadsheets

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP): = + - @, tab and
# carriage return, and their full-width forms (which some of them fold to the ASCII ones).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_cell(text):
    """A CSV cell that no spreadsheet evaluates: a leading formula character gets a quote in front
    (shown as part of the text, never evaluated), and the rest is printable()."""
    text = str(text)
    if text.lstrip(" ").startswith(FORMULA_START):
        text = "'" + text
    return printable(text)


# ---------------------------------------------------------------- every log record of the process

def _printable_arg(value):
    if value is None or isinstance(value, numbers.Number):
        return value  # numbers keep their %d / %.1f formatting
    return printable(value)


class _EscapingFactory:
    """Wraps the process's LogRecordFactory: each piece of a record escaped once. The arguments
    are fields (a newline in one is escaped); the message and a traceback are blocks of lines."""

    def __init__(self, wrapped):
        self.wrapped = wrapped

    def __call__(self, *args, **kwargs):
        record = self.wrapped(*args, **kwargs)
        try:
            if isinstance(record.msg, str):
                record.msg = printable(record.msg, newlines=True)
            elif record.msg is not None:
                record.msg = printable(str(record.msg), newlines=True)
            if isinstance(record.args, dict):
                record.args = {key: _printable_arg(value) for key, value in record.args.items()}
            elif record.args:
                record.args = tuple(_printable_arg(value) for value in record.args)
            if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
                record.exc_text = printable(logging.Formatter().formatException(record.exc_info), newlines=True)
            if record.stack_info:
                record.stack_info = printable(record.stack_info, newlines=True)
        except Exception:  # a record that cannot be escaped is replaced, never let through raw
            record.msg, record.args = "[a log record the grader could not make printable]", ()
        return record


_ORIGINAL_FORMATWARNING = warnings.formatwarning


def _formatwarning(message, category, filename, lineno, line=None):
    return printable(_ORIGINAL_FORMATWARNING(message, category, filename, lineno, line), newlines=True)


def _excepthook(kind, value, tb):
    sys.stderr.write(printable("".join(traceback.format_exception(kind, value, tb)), newlines=True))


def _thread_excepthook(args):
    if args.exc_type is not SystemExit:
        _excepthook(args.exc_type, args.exc_value, args.exc_traceback)


def install():
    """Escape every log record, warning and uncaught exception of this process from now on
    (idempotent): a traceback can quote a submission's text as much as a log line can."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _EscapingFactory):
        logging.setLogRecordFactory(_EscapingFactory(factory))
    warnings.formatwarning = _formatwarning
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _excepthook
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _thread_excepthook
