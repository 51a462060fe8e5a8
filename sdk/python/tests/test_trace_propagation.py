"""Trace propagation over real pipes: every record produced while processing a record inherits that
record's traceparent header (Docs/tracing.md), unless the operator set one itself."""

import os

import driver
from driver import TEST_OPERATORS
from sluice.context import Context

UPSTREAM = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
OTHER = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_outputs_inherit_the_traceparent_of_the_record_being_processed(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "tracer.py"))
    op.start()
    items = [
        (0, 0, 0, 1, b"a", b"x", [("other", b"o"), ("traceparent", UPSTREAM)]),
        (0, 0, 1, 2, b"b", b"y"),                                   # untraced: nothing added
        (0, 0, 2, 3, b"c", b"z", [("traceparent", OTHER)]),         # each record keeps its own trace
    ]
    op.send(driver.records(1, items))
    outputs = op.expect("BatchResult")["outputs"]
    assert [(value, headers) for _, _, value, headers in outputs] == [
        (b"plain", [("traceparent", UPSTREAM)]),
        (b"own-headers", [("h", b"1"), ("traceparent", UPSTREAM)]),
        (b"own-trace", [("traceparent", b"mine")]),
        (b"plain", []),
        (b"own-headers", [("h", b"1")]),
        (b"own-trace", [("traceparent", b"mine")]),
        (b"plain", [("traceparent", OTHER)]),
        (b"own-headers", [("h", b"1"), ("traceparent", OTHER)]),
        (b"own-trace", [("traceparent", b"mine")]),
    ]
    # A timer has no record behind it, so nothing is inherited, even right after a traced batch.
    op.send(driver.timers(2, [(b"a", 1)]))
    assert op.expect("BatchResult")["outputs"] == [(0, b"a", b"from-timer", [])]


def test_a_new_batch_does_not_inherit_the_last_record_of_the_previous_one():
    ctx = Context(["out"])
    ctx._begin()
    ctx._set_trace((("traceparent", UPSTREAM),))
    ctx.produce_record("out", None, b"1")
    ctx._batch_result(1)
    ctx._begin()
    ctx.produce_record("out", None, b"2")
    data = bytes(ctx._batch_result(2))
    assert driver.decode(data[4], data[5:])["outputs"] == [(0, None, b"2", [])]
