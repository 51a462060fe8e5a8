"""Copies every record of one stream to another, key, value and headers unchanged.

    SLUICE_INPUT   input stream (default "in")
    SLUICE_OUTPUT  output stream (default "out")
"""

import os

import sluice


class Identity(sluice.Computation):
    def __init__(self, input_stream, output_stream):
        self.input_stream = input_stream
        self.output_stream = output_stream

    def process_record(self, ctx, record):
        ctx.produce_record(self.output_stream, record.key, record.data, record.headers)

    def metadata(self):
        return sluice.Metadata(name="identity", istreams=[self.input_stream], ostreams=[self.output_stream])


if __name__ == "__main__":
    sluice.serve_computation(Identity(os.environ.get("SLUICE_INPUT", "in"), os.environ.get("SLUICE_OUTPUT", "out")))
