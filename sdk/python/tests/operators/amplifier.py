"""A record whose value is b"big" produces 65 outputs of 1 MiB: past the 64 MiB BatchResult limit.
With SLUICE_TEST_SWALLOW set, the operator catches the SDK's OutputLimitError and carries on."""

import os

import sluice

MIB = b"m" * (1 << 20)
SWALLOW = bool(os.environ.get("SLUICE_TEST_SWALLOW"))


class Amplifier(sluice.Computation):
    def process_record(self, ctx, record):
        count = 65 if record.data == b"big" else 1
        try:
            for _ in range(count):
                ctx.produce_record("out", record.key, MIB if count > 1 else record.data)
        except sluice.OutputLimitError:
            if not SWALLOW:
                raise

    def metadata(self):
        return sluice.Metadata(name="amplifier", istreams=["in"], ostreams=["out"])


sluice.serve_computation(Amplifier())
