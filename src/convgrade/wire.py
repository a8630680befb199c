"""Length-prefixed JSON messages between the grader and a sandboxed process, both ways capped.

Nothing here unpickles or evaluates: a message from a sandbox is data. Each side refuses a
message larger than its cap before reading it, so a flood cannot grow the reader's memory.
"""
import json
import socket
import struct
import time

MAX_MESSAGE = 16 << 20  # bytes; a value larger than the codec's caps never needs more


class MessageTooLarge(ConnectionError):
    """The other side announced a message larger than the cap."""


def send(sock, message):
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_MESSAGE:
        raise MessageTooLarge(f"a message of {len(data)} bytes (at most {MAX_MESSAGE})")
    sock.sendall(struct.pack(">I", len(data)) + data)


def receive(sock, cap=MAX_MESSAGE, deadline=None):
    """The next message; socket.timeout once `deadline` (time.monotonic()) has passed, however
    the other side paces its bytes (a reply trickled a byte at a time does not stretch it)."""
    size, = struct.unpack(">I", _exactly(sock, 4, deadline))
    if size > cap:
        raise MessageTooLarge(f"the other side announced {size} bytes (at most {cap})")
    return json.loads(_exactly(sock, size, deadline))


def _exactly(sock, size, deadline):
    chunks = []
    while size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("the other side did not answer in time")
            sock.settimeout(remaining)
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
