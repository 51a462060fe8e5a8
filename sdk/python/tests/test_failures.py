"""Failed answers, start-up failures, and frames that break the protocol."""

import os
import struct

import driver
from driver import EXAMPLES, TEST_OPERATORS

POISON = os.path.join(EXAMPLES, "poison.py")
LIFECYCLE = os.path.join(TEST_OPERATORS, "lifecycle.py")


def test_exception_answers_failed_with_the_record_index_and_keeps_serving(spawn):
    op = spawn(POISON)
    op.start()
    items = [(0, 0, 10, 0, b"a", b"fine"), (0, 0, 11, 0, b"b", b"fine too"), (0, 0, 12, 0, b"c", b"a poison pill"),
             (0, 0, 13, 0, b"d", b"never reached")]
    op.send(driver.records(5, items))
    failed = op.expect("Failed")
    assert failed["batch_id"] == 5 and failed["index"] == 2
    assert "Traceback" in failed["error"] and "PoisonError: poisoned record at offset 12" in failed["error"]
    # As the runtime does: the records before the failing one again as their own batch, then the rest.
    op.send(driver.records(6, items[:2]))
    result = op.expect("BatchResult")
    assert result["batch_id"] == 6 and [o[2] for o in result["outputs"]] == [b"fine", b"fine too"]
    op.send(driver.records(7, items[3:]))
    assert [o[2] for o in op.expect("BatchResult")["outputs"]] == [b"never reached"]
    op.send(driver.stop())
    op.expect("Stopped")
    code, stderr = op.wait()
    assert code == 0 and "PoisonError" in stderr


def test_failure_at_the_first_record_is_index_0(spawn):
    op = spawn(POISON)
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 0, None, b"poison")]))
    assert op.expect("Failed")["index"] == 0


def test_exception_in_process_timer_names_the_timer(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "initialize_alias.py"))
    op.start()
    op.send(driver.timers(3, [(b"a", 1), (b"b", -1)]))
    failed = op.expect("Failed")
    assert failed["batch_id"] == 3 and failed["index"] == 1 and "negative timer" in failed["error"]
    op.send(driver.timers(4, [(b"a", 1)]))
    assert len(op.expect("BatchResult")["outputs"]) == 1


def test_undeclared_stream_is_a_clear_error(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "duck.py"))
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 0, None, b"ok"), (0, 0, 1, 0, None, b"undeclared")]))
    failed = op.expect("Failed")
    assert failed["index"] == 1
    assert "UndeclaredStreamError: stream 'nowhere' is not declared in metadata ostreams ['a', 'b']" in failed["error"]


def test_init_failure_answers_failed_batch_0_and_exits_non_zero(spawn, tmp_path):
    op = spawn(LIFECYCLE, {"SLUICE_TEST_FAIL": "init", "SLUICE_TEST_MARKER": str(tmp_path / "m")})
    op.send(driver.hello())
    op.expect("Metadata")
    failed = op.expect("Failed")
    assert failed["batch_id"] == 0 and failed["index"] == 0xFFFFFFFF
    assert "init refuses to start" in failed["error"]
    op.read_eof()
    code, stderr = op.wait()
    assert code == 1 and "init refuses to start" in stderr


def test_produce_in_init_is_refused(spawn, tmp_path):
    op = spawn(LIFECYCLE, {"SLUICE_TEST_FAIL": "produce-in-init", "SLUICE_TEST_MARKER": str(tmp_path / "m")})
    op.send(driver.hello())
    op.expect("Metadata")
    assert "NotInBatchError" in op.expect("Failed")["error"]
    assert op.wait()[0] == 1


def test_invalid_metadata_answers_failed_before_metadata(spawn, tmp_path):
    op = spawn(LIFECYCLE, {"SLUICE_TEST_FAIL": "metadata", "SLUICE_TEST_MARKER": str(tmp_path / "m")})
    op.send(driver.hello())
    failed = op.expect("Failed")
    assert failed["batch_id"] == 0 and "Metadata.name must be a non-empty str" in failed["error"]
    assert op.wait()[0] == 1


def test_unsupported_version_answers_failed_naming_ours(spawn):
    op = spawn(os.path.join(EXAMPLES, "identity.py"))
    op.send(driver.frame(0x01, struct.pack(">H", 2) + b"whatever a version 2 Hello holds"))
    failed = op.expect("Failed")
    assert failed["batch_id"] == 0 and "version 2 is not supported; this SDK speaks 1" in failed["error"]
    assert op.wait()[0] == 1


def started_identity(spawn):
    op = spawn(os.path.join(EXAMPLES, "identity.py"))
    op.start()
    return op


def assert_protocol_exit(op, fragment):
    op.read_eof()
    code, stderr = op.wait()
    assert code == 2, stderr
    assert "protocol error" in stderr and fragment in stderr, stderr


def test_length_0_exits_without_waiting(spawn):
    op = started_identity(spawn)
    op.send(struct.pack(">I", 0))       # stdin stays open: the SDK must not wait for more
    op.read_eof()
    assert_protocol_exit(op, "frame length is 0")


def test_oversized_length_exits_without_reading_the_body(spawn):
    op = started_identity(spawn)
    op.send(struct.pack(">IB", 64 * 1024 * 1024 + 1, 0x03))
    assert_protocol_exit(op, "over the 67108864-byte limit")


def test_truncated_frame_exits(spawn):
    op = started_identity(spawn)
    data = driver.records(1, [(0, 0, 0, 0, b"k", b"v" * 100)])
    op.send(data[:-30])
    op.close_input()
    assert_protocol_exit(op, "input ended inside a frame")


def test_truncated_length_field_exits(spawn):
    op = started_identity(spawn)
    op.send(b"\x00\x00")
    op.close_input()
    assert_protocol_exit(op, "length field")


def test_record_running_past_its_frame_exits(spawn):
    op = started_identity(spawn)
    good = driver.records(1, [(0, 0, 0, 0, b"k", b"value")])
    body = bytearray(good[4:])
    struct.pack_into(">I", body, 1 + 8 + 4 + 26 + 1, 1000)    # the value's length, far past the frame's end
    op.send(driver.u32(len(body)) + bytes(body))
    assert_protocol_exit(op, "past the end of the frame")


def test_count_that_cannot_fit_exits(spawn):
    op = started_identity(spawn)
    op.send(driver.frame(0x03, driver.u64(1) + driver.u32(1_000_000)))
    assert_protocol_exit(op, "count 1000000 cannot fit")


def test_bytes_left_over_exit(spawn):
    op = started_identity(spawn)
    op.send(driver.frame(0x03, driver.u64(1) + driver.u32(0) + b"extra"))
    assert_protocol_exit(op, "left over")


def test_input_index_out_of_range_exits(spawn):
    op = started_identity(spawn)
    op.send(driver.records(1, [(1, 0, 0, 0, None, b"v")]))
    assert_protocol_exit(op, "input index 1")


def test_unknown_message_type_exits(spawn):
    op = started_identity(spawn)
    op.send(driver.frame(0x7F, b""))
    assert_protocol_exit(op, "unknown message type 0x7f")


def test_batch_before_hello_exits(spawn):
    op = spawn(os.path.join(EXAMPLES, "identity.py"))
    op.send(driver.records(1, []))
    assert_protocol_exit(op, "expected Hello")


def test_outputs_past_the_frame_limit_fail_the_record_that_crossed_it(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "amplifier.py"))
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 0, None, b"small"), (0, 0, 1, 0, None, b"big"), (0, 0, 2, 0, None, b"x")]))
    failed = op.expect("Failed")
    assert failed["batch_id"] == 1 and failed["index"] == 1 and "OutputLimitError" in failed["error"]
    op.send(driver.records(2, [(0, 0, 0, 0, None, b"small")]))
    assert op.expect("BatchResult")["outputs"] == [(0, None, b"small", [])]


def test_outputs_past_the_limit_fail_the_batch_even_when_the_error_is_caught(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "amplifier.py"), {"SLUICE_TEST_SWALLOW": "1"})
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 0, None, b"big"), (0, 0, 1, 0, None, b"x")]))
    failed = op.expect("Failed")
    assert failed["batch_id"] == 1 and failed["index"] == 0xFFFFFFFF and "frame limit" in failed["error"]


EXHAUSTED = os.path.join(TEST_OPERATORS, "exhausted.py")


def test_running_out_of_a_limited_resource_exits_3_instead_of_failing_the_record(spawn):
    for trigger, words in [(b"memory", "MemoryError"), (b"files", "Too many open files"),
                           (b"threads", "can't start new thread")]:
        op = spawn(EXHAUSTED)
        op.start()
        op.send(driver.records(1, [(0, 0, 0, 0, None, trigger)]))
        code, stderr = op.wait()
        assert code == 3, (trigger, code, stderr)
        assert words in stderr, stderr


def test_an_ordinary_os_error_still_answers_failed(spawn):
    op = spawn(EXHAUSTED)
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 0, None, b"ordinary"), (0, 0, 1, 0, None, b"fine")]))
    failed = op.expect("Failed")
    assert failed["index"] == 0 and "No such file or directory" in failed["error"]
