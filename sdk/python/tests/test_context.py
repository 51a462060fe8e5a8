"""The context's encodings and checks, in process (no pipes)."""

import struct

import pytest

import sluice
from sluice.context import Context


def batch(ctx, batch_id=7):
    import driver
    data = bytes(ctx._batch_result(batch_id))
    (length,) = struct.unpack_from(">I", data)
    assert length == len(data) - 4
    return driver.decode(data[4], data[5:])


def test_keys_values_and_headers_accept_bytes_str_buffers_and_none():
    ctx = Context(["a", "b"])
    ctx._begin()
    ctx.produce_record("b", "ключ", "значение")
    ctx.produce_record("a", None, None)
    ctx.produce_record("a", bytearray(b"k"), memoryview(b"v"), headers={"h": "x", "n": None})
    ctx.produce_record("a", b"", b"", headers=[("h", b"1"), ("h", b"2")])
    result = batch(ctx)
    assert result["batch_id"] == 7
    assert result["outputs"] == [
        (1, "ключ".encode(), "значение".encode(), []),
        (0, None, None, []),
        (0, b"k", b"v", [("h", b"x"), ("n", None)]),
        (0, b"", b"", [("h", b"1"), ("h", b"2")]),
    ]


def test_set_timer_forms():
    ctx = Context(["a"])
    ctx._begin()
    ctx.set_timer("k", 5)
    ctx.set_timer(6)
    ctx.set_timer(b"\x00", 7.0)
    ctx.set_timer(None, -1)
    assert batch(ctx)["timers"] == [(b"k", 5), (None, 6), (b"\x00", 7), (None, -1)]


@pytest.mark.parametrize("time", ["5", 5.5, True, 1 << 63])
def test_set_timer_refuses_bad_times(time):
    ctx = Context(["a"])
    ctx._begin()
    with pytest.raises((TypeError, ValueError)):
        ctx.set_timer("k", time)


def test_undeclared_stream_and_bad_types_are_refused():
    ctx = Context(["a"])
    ctx._begin()
    with pytest.raises(sluice.UndeclaredStreamError, match=r"stream 'z' is not declared in metadata ostreams \['a'\]"):
        ctx.produce_record("z", None, b"")
    with pytest.raises(TypeError, match="data must be bytes, str or None"):
        ctx.produce_record("a", None, 5)


def test_produce_outside_a_batch_is_refused_but_timers_are_kept_for_ready():
    ctx = Context(["a"])
    with pytest.raises(sluice.NotInBatchError):
        ctx.produce_record("a", None, b"")
    ctx.set_timer("first", 10)
    assert ctx._init_timers_section() == struct.pack(">II", 1, 5) + b"first" + struct.pack(">q", 10)


def test_a_failed_batch_leaves_nothing_behind():
    ctx = Context(["a"])
    ctx._begin()
    ctx.produce_record("a", None, b"dropped")
    ctx.set_timer(1)
    ctx._discard()
    ctx._begin()
    assert batch(ctx) == {"type": "BatchResult", "batch_id": 7, "outputs": [], "timers": []}


@pytest.mark.parametrize("metadata, message", [
    (sluice.Metadata(name="", ostreams=["a"]), "name must be a non-empty str"),
    (sluice.Metadata(name="x", istreams=[("a", 7)]), "grouping 7"),
    (sluice.Metadata(name="x", istreams=[("a",)]), "a name or a"),
    (sluice.Metadata(name="x", istreams=["a", ("a", sluice.StreamGrouping.GROUP_BY)]), "names a stream twice"),
    (sluice.Metadata(name="x", ostreams=[""]), "ostream must be a non-empty str"),
])
def test_metadata_is_checked(metadata, message):
    with pytest.raises(ValueError, match=message):
        metadata.normalized()


def test_metadata_groupings():
    name, inputs, outputs = sluice.Metadata(
        name="x", istreams=["a", ("b", sluice.StreamGrouping.GROUP_BY), ("c", sluice.StreamGrouping.SHUFFLE)],
        ostreams=["o"]).normalized()
    assert inputs == [("a", 0), ("b", 1), ("c", 0)] and outputs == ["o"]
