"""Declares its streams, then dies during init (before Ready)."""
import sys

from sluice_fixture import env, read_frame, string, write_frame
import struct

kind, _ = read_frame()
write_frame(0x81, string("dies") + struct.pack(">H", 1) + string(env("FIXTURE_INPUT", "in")) + b"\x00"
            + struct.pack(">H", 1) + string("out"))
sys.stderr.write("init: cannot connect to the database\n")
sys.stderr.flush()
sys.exit(2)
