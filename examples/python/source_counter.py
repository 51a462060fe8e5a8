"""A source: no inputs; every SLUICE_INTERVAL_MS (default 1000) it writes the next count to "counts".

It sets its first timer in init (carried to the runtime in Ready) and each next one from process_timer.
The timer's key is constant, so a restart's first timer replaces the pending one instead of adding a
second tick. The count restarts at 0 with the process: operators keep no state the runtime relies on.
"""

import os
import time

import sluice

TICK = b"tick"


class SourceCounter(sluice.Computation):
    def __init__(self, interval_ms):
        self.interval_ms = interval_ms
        self.count = 0

    def init(self, ctx):
        ctx.set_timer(TICK, int(time.time() * 1000))

    def process_timer(self, ctx, key, time_ms):
        ctx.produce_record("counts", key, str(self.count))
        self.count += 1
        ctx.set_timer(TICK, time_ms + self.interval_ms)

    def metadata(self):
        return sluice.Metadata(name="source_counter", istreams=[], ostreams=["counts"])


if __name__ == "__main__":
    sluice.serve_computation(SourceCounter(int(os.environ.get("SLUICE_INTERVAL_MS", "1000"))))
