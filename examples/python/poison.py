"""Copies "in" to "out" but raises on any record whose value contains b"poison", to exercise Failed, retries
and the dead-letter stream."""

import sluice


class PoisonError(Exception):
    pass


class Poison(sluice.Computation):
    def process_record(self, ctx, record):
        if record.data is not None and b"poison" in record.data:
            raise PoisonError("poisoned record at offset %d" % record.offset)
        ctx.produce_record("out", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="poison", istreams=["in"], ostreams=["out"])


if __name__ == "__main__":
    sluice.serve_computation(Poison())
