"""Observable init and destroy: destroy writes SLUICE_TEST_MARKER; SLUICE_TEST_FAIL picks a failure."""

import os
import sys

import sluice

FAIL = os.environ.get("SLUICE_TEST_FAIL", "")


class Lifecycle(sluice.Computation):
    def init(self, ctx):
        if FAIL == "init":
            raise RuntimeError("init refuses to start")
        if FAIL == "produce-in-init":
            ctx.produce_record("out", None, b"too early")

    def process_record(self, ctx, record):
        ctx.produce_record("out", record.key, record.data)

    def destroy(self):
        sys.stderr.write("destroy called\n")
        with open(os.environ["SLUICE_TEST_MARKER"], "w") as marker:
            marker.write("destroyed")

    def metadata(self):
        if FAIL == "metadata":
            return sluice.Metadata(name="", ostreams=["out"])
        return sluice.Metadata(name="lifecycle", istreams=["in"], ostreams=["out"])


sluice.serve_computation(Lifecycle())
