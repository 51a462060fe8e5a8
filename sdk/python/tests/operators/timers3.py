"""Sets timers from process_record (three-argument process_timer); the timer produces its key and time."""

import sluice


class Timers3(sluice.Computation):
    def process_record(self, ctx, record):
        ctx.set_timer(record.key, record.time + 10)
        ctx.set_timer(record.time + 20)          # the one-argument form: no key

    def process_timer(self, ctx, key, time):
        ctx.produce_record("fired", key, b"%d" % time)

    def metadata(self):
        return sluice.Metadata(name="timers3", istreams=["in"], ostreams=["fired"])


sluice.serve_computation(Timers3())
