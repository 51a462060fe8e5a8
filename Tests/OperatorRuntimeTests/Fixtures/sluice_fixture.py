"""The operator protocol (Docs/operator-protocol.md), version 1, for the runtime's test fixtures.

Stdlib only and independent of the Python SDK on purpose: these fixtures test the runtime against the
protocol document, not against another implementation of it.
"""
import os
import struct
import sys

IN = sys.stdin.buffer
OUT = sys.stdout.buffer
NULL = 0xFFFFFFFF


def read_exact(count):
    data = IN.read(count)
    if data is None or len(data) < count:
        sys.exit(0)  # the runtime closed our input
    return data


def read_frame():
    (length,) = struct.unpack(">I", read_exact(4))
    body = read_exact(length)
    return body[0], body[1:]


def write_frame(kind, body=b""):
    OUT.write(struct.pack(">IB", len(body) + 1, kind) + body)
    OUT.flush()


def string(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def nbytes(data):
    return struct.pack(">I", NULL) if data is None else struct.pack(">I", len(data)) + data


def read_bytes(body, pos):
    (length,) = struct.unpack_from(">I", body, pos)
    pos += 4
    if length == NULL:
        return None, pos
    return body[pos:pos + length], pos + length


def skip_headers(body, pos):
    (count,) = struct.unpack_from(">H", body, pos)
    pos += 2
    for _ in range(count):
        (klen,) = struct.unpack_from(">H", body, pos)
        pos += 2 + klen
        (vlen,) = struct.unpack_from(">I", body, pos)
        pos += 4 + (0 if vlen == NULL else vlen)
    return pos


def records(body):
    """Yields (start, key_start, headers_start, end, value) per record of a Records body."""
    batch_id, count = struct.unpack_from(">QI", body, 0)
    pos = 12
    for _ in range(count):
        start = pos
        pos += 2 + 4 + 8 + 8
        key_start = pos
        _, pos = read_bytes(body, pos)
        value, pos = read_bytes(body, pos)
        headers_start = pos
        pos = skip_headers(body, pos)
        yield start, key_start, headers_start, pos, value


def encode_timers(timers):
    return struct.pack(">I", len(timers)) + b"".join(nbytes(k) + struct.pack(">q", t) for k, t in timers)


# What Hello said: the instance's index and the instance count (a scaled operator has several).
HELLO = {"index": 0, "count": 1}


def remember_hello(body):
    pos = 2
    for _ in range(2):  # name, instance id
        (length,) = struct.unpack_from(">H", body, pos)
        pos += 2 + length
    HELLO["index"], HELLO["count"] = struct.unpack_from(">II", body, pos)


def run(name, inputs, outputs, on_records, on_timers=lambda timers: ([], []), on_init=lambda: []):
    """on_records(body) -> (outputs bytes list, timers list) or raises Failed(index, text);
    on_init() -> the timers set in init (carried by Ready)."""
    kind, body = read_frame()
    assert kind == 0x01, kind
    remember_hello(body)
    meta = string(name) + struct.pack(">H", len(inputs)) + b"".join(string(s) + b"\x00" for s in inputs)
    meta += struct.pack(">H", len(outputs)) + b"".join(string(s) for s in outputs)
    write_frame(0x81, meta)
    write_frame(0x82, encode_timers(on_init()))
    while True:
        kind, body = read_frame()
        (batch_id,) = struct.unpack_from(">Q", body, 0)
        if kind == 0x05:
            write_frame(0x85)
            sys.exit(0)
        try:
            if kind == 0x03:
                outs, timers = on_records(body)
            else:
                (count,) = struct.unpack_from(">I", body, 8)
                pos, fired = 12, []
                for _ in range(count):
                    key, pos = read_bytes(body, pos)
                    (time_ms,) = struct.unpack_from(">q", body, pos)
                    pos += 8
                    fired.append((key, time_ms))
                outs, timers = on_timers(fired)
        except Failed as failure:
            write_frame(0x84, struct.pack(">QI", batch_id, failure.index) + nbytes(failure.text.encode()))
            continue
        result = struct.pack(">QI", batch_id, len(outs)) + b"".join(outs)
        result += encode_timers(timers)
        write_frame(0x83, result)


class Failed(Exception):
    def __init__(self, index, text):
        self.index, self.text = index, text


def output(index, key, value, headers=()):
    encoded = struct.pack(">H", len(headers)) + b"".join(string(k) + nbytes(v) for k, v in headers)
    return struct.pack(">H", index) + nbytes(key) + nbytes(value) + encoded


def env(name, default):
    return os.environ.get(name, default)
