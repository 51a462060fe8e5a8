"""Declares no streams at all."""
from sluice_fixture import read_frame, string, write_frame
import struct

read_frame()
write_frame(0x81, string("nothing") + struct.pack(">HH", 0, 0))
write_frame(0x82, struct.pack(">I", 0))
read_frame()
