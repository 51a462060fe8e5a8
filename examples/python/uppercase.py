"""Upper-cases the value of every record of "words" (grouped by key) into "upper"."""

import sluice


class Uppercase(sluice.Computation):
    def process_record(self, ctx, record):
        ctx.produce_record("upper", record.key, record.data.upper() if record.data is not None else None)

    def metadata(self):
        return sluice.Metadata(name="uppercase", istreams=[("words", sluice.StreamGrouping.GROUP_BY)],
                               ostreams=["upper"])


if __name__ == "__main__":
    sluice.serve_computation(Uppercase())
