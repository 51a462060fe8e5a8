"""Produces four kinds of output per record, to check how the SDK carries the trace context:
a plain one, one with headers of its own, one that sets its own traceparent, and (from a timer) one with
no record behind it."""

import sluice


class Tracer(sluice.Computation):
    def process_record(self, ctx, record):
        ctx.produce_record("out", record.key, b"plain")
        ctx.produce_record("out", record.key, b"own-headers", headers={"h": b"1"})
        ctx.produce_record("out", record.key, b"own-trace", headers=[("traceparent", b"mine")])
        ctx.set_timer(record.key, 1)

    def process_timer(self, ctx, key, time):
        ctx.produce_record("out", key, b"from-timer")

    def metadata(self):
        return sluice.Metadata(name="tracer", istreams=["in"], ostreams=["out"])


sluice.serve_computation(Tracer())
