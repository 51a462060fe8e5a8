#!/usr/bin/env python3
"""Throughput of the Python operator SDK: records/s through examples/python/identity.py over real pipes.

Plays the runtime's part per Docs/operator-protocol.md: Hello, then N records of SIZE-byte values in
Records batches of BATCH, one batch in flight at a time as the protocol requires, each answered by a
BatchResult whose output count is checked. Batch frames are encoded before the clock starts, so the
figure is the operator's cost plus the pipes, not this script's encoding.

    python3 Benchmarks/operators/python_sdk_bench.py [--records 1000000] [--batch 2000] [--size 100] [--python X]
"""

import argparse
import os
import struct
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SDK = os.path.join(REPO, "sdk", "python")
IDENTITY = os.path.join(REPO, "examples", "python", "identity.py")


def string(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def frame(message_type, body):
    return struct.pack(">IB", len(body) + 1, message_type) + body


def records_body(count, size, first_offset):
    """A Records body with batch id 0 (patched per send): keyed records of `size`-byte values."""
    parts = [struct.pack(">QI", 0, count)]
    value = b"x" * size
    now_ms = int(time.time() * 1000)
    for i in range(count):
        key = b"key-%08d" % ((first_offset + i) % 100000)
        parts.append(struct.pack(">HiqqI", 0, 0, first_offset + i, now_ms, len(key)) + key
                     + struct.pack(">I", size) + value + b"\x00\x00")
    return b"".join(parts)


class Pipe:
    def __init__(self, stream):
        self.fd = stream.fileno()

    def read_exact(self, n):
        chunks, have = [], 0
        while have < n:
            chunk = os.read(self.fd, min(n - have, 1 << 20))
            if not chunk:
                raise EOFError("operator closed its output")
            chunks.append(chunk)
            have += len(chunk)
        return b"".join(chunks)

    def read_frame(self):
        (length,) = struct.unpack(">I", self.read_exact(4))
        data = self.read_exact(length)
        return data[0], data[1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--size", type=int, default=100, help="value bytes per record")
    parser.add_argument("--operator", default=IDENTITY)
    parser.add_argument("--python", default=sys.executable, help="interpreter for the operator")
    args = parser.parse_args()

    env = dict(os.environ, PYTHONPATH=SDK + os.pathsep + os.environ.get("PYTHONPATH", ""), SLUICE_OPERATOR_PROTOCOL="1")
    process = subprocess.Popen([args.python, args.operator], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    out = process.stdin
    pipe = Pipe(process.stdout)
    out.write(frame(0x01, struct.pack(">H", 1) + string("identity") + string("identity-0") + struct.pack(">II", 0, 1)))
    out.flush()
    for expected in (0x81, 0x82):
        message_type, _ = pipe.read_frame()
        assert message_type == expected, "expected 0x%02x, got 0x%02x" % (expected, message_type)

    batches = (args.records + args.batch - 1) // args.batch
    bodies = {}
    frames = []
    for b in range(batches):
        count = min(args.batch, args.records - b * args.batch)
        if count not in bodies:
            bodies[count] = bytearray(records_body(count, args.size, b * args.batch))
        body = bodies[count]
        struct.pack_into(">Q", body, 0, b + 1)
        frames.append(frame(0x03, bytes(body)))

    write = os.write
    in_fd = out.fileno()
    start = time.perf_counter()
    outputs = 0
    for b, data in enumerate(frames):
        view = memoryview(data)
        while view:
            view = view[write(in_fd, view):]
        message_type, body = pipe.read_frame()
        if message_type != 0x83:
            raise SystemExit("batch %d: expected BatchResult, got 0x%02x: %r" % (b + 1, message_type, body[:200]))
        batch_id, count = struct.unpack_from(">QI", body, 0)
        assert batch_id == b + 1 and count == min(args.batch, args.records - b * args.batch), (batch_id, count)
        outputs += count
    elapsed = time.perf_counter() - start

    out.write(frame(0x05, b""))
    out.flush()
    assert pipe.read_frame()[0] == 0x85
    out.close()
    code = process.wait(10)
    assert outputs == args.records and code == 0, (outputs, code)
    mb = args.records * args.size / elapsed / 1e6
    version = subprocess.run([args.python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True).stdout.strip()
    print("python sdk identity (Python %s): %d records of %d B in batches of %d: %.2f s, %.0f records/s, %.1f MB/s of values"
          % (version, args.records, args.size, args.batch, elapsed, args.records / elapsed, mb))


if __name__ == "__main__":
    main()
