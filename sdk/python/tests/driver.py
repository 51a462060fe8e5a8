"""A test-side runtime: writes the runtime's frames and reads the operator's, per Docs/operator-protocol.md,
independently of the SDK's own codec, over the pipes of a real operator subprocess.

Every read has a deadline, so a test of a misbehaving operator fails instead of hanging.
"""

import os
import select
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(SDK))
EXAMPLES = os.path.join(REPO, "examples", "python")
TEST_OPERATORS = os.path.join(HERE, "operators")
NULL = 0xFFFFFFFF
DEADLINE_S = 10.0
# The interpreter operators run under: SLUICE_TEST_PYTHON=python3.9 checks the SDK on the oldest Python it supports.
PYTHON = os.environ.get("SLUICE_TEST_PYTHON", sys.executable)


def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def i32(v): return struct.pack(">i", v)
def u64(v): return struct.pack(">Q", v)
def i64(v): return struct.pack(">q", v)


def string(text):
    data = text.encode("utf-8")
    return u16(len(data)) + data


def blob(data):
    if data is None:
        return u32(NULL)
    return u32(len(data)) + data


def headers(pairs):
    return u16(len(pairs)) + b"".join(string(k) + blob(v) for k, v in pairs)


def frame(message_type, body=b""):
    return u32(len(body) + 1) + bytes((message_type,)) + body


def hello(version=1, name="op", instance_id="op-0", index=0, count=1):
    return frame(0x01, u16(version) + string(name) + string(instance_id) + u32(index) + u32(count))


def records(batch_id, items):
    """items: (input index, partition, offset, time, key, value[, headers])."""
    parts = [u64(batch_id), u32(len(items))]
    for item in items:
        input_index, partition, offset, time_ms, key, value = item[:6]
        hdrs = item[6] if len(item) > 6 else []
        parts.append(u16(input_index) + i32(partition) + i64(offset) + i64(time_ms) + blob(key) + blob(value)
                     + headers(hdrs))
    return frame(0x03, b"".join(parts))


def timers(batch_id, items):
    return frame(0x04, u64(batch_id) + u32(len(items)) + b"".join(blob(k) + i64(t) for k, t in items))


def stop():
    return frame(0x05)


class Reader:
    def __init__(self, data):
        self.data = data
        self.position = 0

    def take(self, n):
        assert self.position + n <= len(self.data), "field runs past the end of the frame"
        chunk = self.data[self.position:self.position + n]
        self.position += n
        return chunk

    def u8(self): return self.take(1)[0]
    def u16(self): return struct.unpack(">H", self.take(2))[0]
    def u32(self): return struct.unpack(">I", self.take(4))[0]
    def u64(self): return struct.unpack(">Q", self.take(8))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]
    def string(self): return self.take(self.u16()).decode("utf-8")

    def blob(self):
        n = self.u32()
        return None if n == NULL else self.take(n)

    def headers(self):
        return [(self.string(), self.blob()) for _ in range(self.u16())]

    def end(self):
        assert self.position == len(self.data), "%d bytes left over" % (len(self.data) - self.position)


def decode(message_type, body):
    """Returns a dict describing an operator → runtime message; asserts the body is exactly consumed."""
    r = Reader(body)
    if message_type == 0x81:
        m = {"type": "Metadata", "name": r.string()}
        m["inputs"] = [(r.string(), r.u8()) for _ in range(r.u16())]
        m["outputs"] = [r.string() for _ in range(r.u16())]
    elif message_type == 0x82:
        m = {"type": "Ready", "timers": [(r.blob(), r.i64()) for _ in range(r.u32())]}
    elif message_type == 0x83:
        m = {"type": "BatchResult", "batch_id": r.u64()}
        m["outputs"] = [(r.u16(), r.blob(), r.blob(), r.headers()) for _ in range(r.u32())]
        m["timers"] = [(r.blob(), r.i64()) for _ in range(r.u32())]
    elif message_type == 0x84:
        m = {"type": "Failed", "batch_id": r.u64(), "index": r.u32()}
        m["error"] = r.blob().decode("utf-8")
    elif message_type == 0x85:
        m = {"type": "Stopped"}
    else:
        raise AssertionError("unknown operator message type 0x%02x" % message_type)
    r.end()
    return m


class Operator:
    """An operator subprocess; `path` is a file in examples/python or tests/operators."""

    def __init__(self, path, env=None, protocol_env=True):
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = SDK + os.pathsep + full_env.get("PYTHONPATH", "")
        if protocol_env:
            full_env["SLUICE_OPERATOR_PROTOCOL"] = "1"  # as the runtime sets it
        else:
            full_env.pop("SLUICE_OPERATOR_PROTOCOL", None)
        for name, value in (env or {}).items():   # None removes a variable
            if value is None:
                full_env.pop(name, None)
            else:
                full_env[name] = value
        self.process = subprocess.Popen([PYTHON, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=full_env)
        self.pending = b""

    def send(self, data):
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def close_input(self):
        self.process.stdin.close()

    def _read_exact(self, n, deadline):
        fd = self.process.stdout.fileno()
        while len(self.pending) < n:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "timed out waiting for the operator's output"
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError("operator closed its output (had %d of %d bytes)" % (len(self.pending), n))
                self.pending += chunk
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def read(self, timeout=DEADLINE_S):
        deadline = time.monotonic() + timeout
        (length,) = struct.unpack(">I", self._read_exact(4, deadline))
        assert 1 <= length <= 64 * 1024 * 1024, "bad frame length %d" % length
        data = self._read_exact(length, deadline)
        return decode(data[0], data[1:])

    def expect(self, message_type, timeout=DEADLINE_S):
        message = self.read(timeout)
        assert message["type"] == message_type, "expected %s, got %r; stderr: %s" % (
            message_type, message, self.stderr_so_far())
        return message

    def start(self, **hello_fields):
        """Hello, then returns (Metadata, Ready)."""
        self.send(hello(**hello_fields))
        return self.expect("Metadata"), self.expect("Ready")

    def read_eof(self, timeout=DEADLINE_S):
        """Asserts the operator's output ends (no further frames)."""
        try:
            self._read_exact(1, time.monotonic() + timeout)
        except EOFError:
            return
        raise AssertionError("operator wrote more output: %r" % self.pending)

    def wait(self, timeout=DEADLINE_S):
        """Waits for exit; returns (exit code, all of stderr)."""
        try:
            self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        code = self.process.wait(timeout)
        return code, self.process.stderr.read().decode("utf-8", "replace")

    def stderr_so_far(self):
        if self.process.poll() is None:
            return "(operator still running)"
        return self.process.stderr.read().decode("utf-8", "replace")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except (BrokenPipeError, OSError):
                pass
