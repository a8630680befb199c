"""Reproducible random inputs: every seed comes from (course, assignment, student, cell) and a secret.

The secret is the course's own (a file in the course folder, created on first use, never
released and never inside a sandbox), so a student cannot precompute the hidden inputs, while
re-grading an unchanged submission draws exactly the same ones, in the kernel and in the re-check.
"""
import hashlib
import hmac
import os
import secrets

from traitlets import Unicode
from traitlets.config import LoggingConfigurable

SECRET_FILE = ".convgrade_secret"


class Seeds(LoggingConfigurable):
    """Where the course's secret is (c.Seeds.secret_file), or one submission's key given directly."""

    secret_file = Unicode(SECRET_FILE, help="the course secret, relative to the course root").tag(config=True)
    key = Unicode("", help="one submission's key (set by a grading task instead of the secret)").tag(config=True)


def course_secret(course_root, name=SECRET_FILE):
    """The course's secret (bytes), created with mode 0600 the first time."""
    path = os.path.join(course_root, name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            secret = handle.read().strip()
        if len(secret) < 16:
            raise ValueError(f"{path} holds no usable secret (delete it to make a new one)")
        return secret
    with os.fdopen(fd, "wb") as handle:
        secret = secrets.token_hex(32).encode()
        handle.write(secret + b"\n")
    return secret


def student_key(secret, course_id, assignment, student):
    """The key of one submission: what a grading task needs (never the course secret itself)."""
    message = "\0".join([course_id or "", assignment, student]).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def seed(key, *parts):
    """A 63-bit seed for one use (a cell, a test, its hidden inputs) of one submission's key."""
    message = "\0".join(str(p) for p in parts).encode()
    return int.from_bytes(hmac.new(key.encode(), message, hashlib.sha256).digest()[:8], "big") >> 1
