"""Sluice operator SDK for Python (stdlib only). See sdk/python/README.md and Docs/operator-protocol.md.

    import sluice

    class Uppercase(sluice.Computation):
        def process_record(self, ctx, record):
            ctx.produce_record("upper", record.key, record.data.upper())
        def metadata(self):
            return sluice.Metadata(name="uppercase", istreams=["words"], ostreams=["upper"])

    sluice.serve_computation(Uppercase())
"""

import os as _os

from .computation import Computation, Metadata, Record, StreamGrouping, Timer
from .context import Context, NotInBatchError, OutputLimitError, UndeclaredStreamError
from .serve import serve_computation
from ._wire import PROTOCOL_VERSION, ProtocolError
from .serve import claim_channel as _claim_channel

# Started by the runtime: take the protocol's pipes now, before the operator's module prints anything.
if _os.environ.get("SLUICE_OPERATOR_PROTOCOL"):
    _claim_channel()

__all__ = [
    "Computation", "Metadata", "Record", "StreamGrouping", "Timer",
    "Context", "NotInBatchError", "OutputLimitError", "UndeclaredStreamError",
    "serve_computation", "PROTOCOL_VERSION", "ProtocolError",
]
