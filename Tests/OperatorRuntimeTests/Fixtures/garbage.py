"""Writes a frame header claiming 1 GiB: the runtime must kill it, not allocate."""
import sys
sys.stdout.buffer.write(b"\x40\x00\x00\x00\x81garbage")
sys.stdout.buffer.flush()
sys.stdin.buffer.read()
