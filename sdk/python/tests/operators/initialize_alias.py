"""`initialize` instead of `init`, a timer set there, and the two-argument process_timer(ctx, timer).
Duck-typed, or a sluice.Computation subclass (which inherits an empty `init`) with SLUICE_TEST_SUBCLASS set."""

import os

import sluice


class Alias(sluice.Computation if os.environ.get("SLUICE_TEST_SUBCLASS") else object):
    def initialize(self, ctx):
        self.instance = (ctx.operator_name, ctx.instance_id, ctx.instance_index, ctx.instance_count)
        ctx.set_timer("first", 1234)

    def process_timer(self, ctx, timer):
        if timer.time < 0:
            raise ValueError("negative timer")
        ctx.produce_record("out", timer.key, repr(self.instance) + " " + str(timer.time))

    def metadata(self):
        return sluice.Metadata(name="alias", ostreams=["out"])


sluice.serve_computation(Alias())
