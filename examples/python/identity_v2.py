"""Version 2 of identity.py, for swap tests: by default its outputs are byte-for-byte those of version 1,
so a test can swap one for the other mid-stream and check that every input appears exactly once.

    SLUICE_INPUT   input stream (default "in")
    SLUICE_OUTPUT  output stream (default "out")
    SLUICE_TAG     when set (e.g. "v2"), each output gets a header `sluice-version` with this value, so a
                   test can tell which version wrote it; keys and values stay unchanged either way
"""

import os

import sluice


class IdentityV2(sluice.Computation):
    def __init__(self, input_stream, output_stream, tag):
        self.input_stream = input_stream
        self.output_stream = output_stream
        self.tag = tag.encode("utf-8") if tag else None

    def process_record(self, ctx, record):
        headers = record.headers
        if self.tag is not None:
            headers = tuple(headers) + (("sluice-version", self.tag),)
        ctx.produce_record(self.output_stream, record.key, record.data, headers)

    def metadata(self):
        return sluice.Metadata(name="identity", istreams=[self.input_stream], ostreams=[self.output_stream])


if __name__ == "__main__":
    sluice.serve_computation(IdentityV2(os.environ.get("SLUICE_INPUT", "in"), os.environ.get("SLUICE_OUTPUT", "out"),
                                        os.environ.get("SLUICE_TAG", "")))
