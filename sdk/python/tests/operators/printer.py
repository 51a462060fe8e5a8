"""Prints from every method, but nothing at import time: served without SLUICE_OPERATOR_PROTOCOL set."""

import os
import subprocess
import sys

import sluice


class Printer(sluice.Computation):
    def init(self, ctx):
        print("init printing")

    def process_record(self, ctx, record):
        print("record", record.data.decode())
        os.write(1, b"raw write to descriptor 1\n")
        subprocess.run([sys.executable, "-c", "print('child process output')"], check=True)
        ctx.produce_record("out", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="printer", istreams=["in"], ostreams=["out"])


sluice.serve_computation(Printer())
