"""Duck-typed: no subclassing, only metadata and process_record; prints from user code; two outputs."""

import sys

import sluice


class Duck:
    def process_record(self, ctx, record):
        print("duck saw", record.data)              # must land on stderr, not in the protocol
        sys.stdout.write("more noise\n")
        if record.data == b"undeclared":
            ctx.produce_record("nowhere", record.key, record.data)
        ctx.produce_record("b" if record.data.startswith(b"b") else "a", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="duck", istreams=["x", ("y", sluice.StreamGrouping.GROUP_BY)], ostreams=["a", "b"])


print("printed at import time")
sluice.serve_computation(Duck())
