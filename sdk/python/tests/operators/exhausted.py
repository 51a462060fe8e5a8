"""Runs out of a resource its limits bound when a record asks: memory, file descriptors or threads."""

import errno
import os

import sluice


class Exhausted:
    def process_record(self, ctx, record):
        if record.data == b"memory":
            raise MemoryError()
        if record.data == b"files":
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        if record.data == b"threads":
            raise RuntimeError("can't start new thread")
        if record.data == b"ordinary":
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
        ctx.produce_record("out", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="exhausted", istreams=["in"], ostreams=["out"])


sluice.serve_computation(Exhausted())
