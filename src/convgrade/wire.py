"""Length-prefixed JSON messages between the grader and a sandboxed process, both ways capped.

Nothing here unpickles or evaluates: a message from a sandbox is data. Each side refuses a
message larger than its cap before reading it, so a flood cannot grow the reader's memory.
"""
import json
import struct

MAX_MESSAGE = 16 << 20  # bytes; a value larger than the codec's caps never needs more


class MessageTooLarge(ConnectionError):
    """The other side announced a message larger than the cap."""


def send(sock, message):
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_MESSAGE:
        raise MessageTooLarge(f"a message of {len(data)} bytes (at most {MAX_MESSAGE})")
    sock.sendall(struct.pack(">I", len(data)) + data)


def receive(sock, cap=MAX_MESSAGE):
    size, = struct.unpack(">I", _exactly(sock, 4))
    if size > cap:
        raise MessageTooLarge(f"the other side announced {size} bytes (at most {cap})")
    return json.loads(_exactly(sock, size))


def _exactly(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
