"""The conversation over real pipes: Hello → Metadata → Ready, batches, timers, Stop."""

import os

import pytest

import driver
from driver import EXAMPLES, TEST_OPERATORS


def example(name):
    return os.path.join(EXAMPLES, name)


def test_identity_metadata_ready_and_byte_exact_outputs(spawn):
    op = spawn(example("identity.py"))
    metadata, ready = op.start(name="identity")
    assert metadata == {"type": "Metadata", "name": "identity", "inputs": [("in", 0)], "outputs": ["out"]}
    assert ready["timers"] == []
    items = [
        (0, 3, 100, 1_700_000_000_000, b"k1", b"v1", [("trace", b"\x00\xff"), ("empty", b""), ("null", None)]),
        (0, 0, 101, 1_700_000_000_001, None, b""),
        (0, 7, 102, -5, b"", None),
        (0, 1, 103, 0, b"\x00" * 3, bytes(range(256)) * 40),
    ]
    op.send(driver.records(1, items))
    result = op.expect("BatchResult")
    assert result["batch_id"] == 1
    assert result["outputs"] == [(0, item[4], item[5], item[6] if len(item) > 6 else []) for item in items]
    assert result["timers"] == []
    op.send(driver.records(2, []))
    assert op.expect("BatchResult") == {"type": "BatchResult", "batch_id": 2, "outputs": [], "timers": []}
    op.send(driver.stop())
    op.expect("Stopped")
    code, stderr = op.wait()
    assert code == 0, stderr


def test_identity_streams_come_from_the_environment(spawn):
    op = spawn(example("identity.py"), {"SLUICE_INPUT": "orders", "SLUICE_OUTPUT": "orders-copy"})
    metadata, _ = op.start()
    assert metadata["inputs"] == [("orders", 0)] and metadata["outputs"] == ["orders-copy"]


def test_uppercase_groups_by_key(spawn):
    op = spawn(example("uppercase.py"))
    metadata, _ = op.start()
    assert metadata == {"type": "Metadata", "name": "uppercase", "inputs": [("words", 1)], "outputs": ["upper"]}
    op.send(driver.records(9, [(0, 0, 0, 1, b"a", b"hello"), (0, 0, 1, 2, b"b", "straße".encode())]))
    result = op.expect("BatchResult")
    assert result["batch_id"] == 9
    assert result["outputs"] == [(0, b"a", b"HELLO", []), (0, b"b", "STRAßE".encode(), [])]


def test_duck_typed_operator_maps_streams_and_output_indexes(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "duck.py"))
    metadata, _ = op.start()
    assert metadata["inputs"] == [("x", 0), ("y", 1)] and metadata["outputs"] == ["a", "b"]
    op.send(driver.records(1, [(0, 0, 0, 0, b"1", b"apple"), (1, 0, 0, 0, b"2", b"banana")]))
    result = op.expect("BatchResult")
    assert result["outputs"] == [(0, b"1", b"apple", []), (1, b"2", b"banana", [])]
    # No process_timer: timers are accepted and ignored.
    op.send(driver.timers(2, [(b"k", 5)]))
    assert op.expect("BatchResult") == {"type": "BatchResult", "batch_id": 2, "outputs": [], "timers": []}
    # No destroy: Stop still answers Stopped.
    op.send(driver.stop())
    op.expect("Stopped")
    code, stderr = op.wait()
    assert code == 0
    # Everything the user printed went to stderr, none of it into the frames read above.
    assert "printed at import time" in stderr and "duck saw b'apple'" in stderr and "more noise" in stderr


def test_timers_set_in_process_record_and_three_argument_process_timer(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "timers3.py"))
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 1000, b"k1", b"x"), (0, 0, 1, 2000, None, b"y")]))
    result = op.expect("BatchResult")
    assert result["outputs"] == []
    assert result["timers"] == [(b"k1", 1010), (None, 1020), (None, 2010), (None, 2020)]
    op.send(driver.timers(2, [(b"k1", 1010), (None, 1020)]))
    result = op.expect("BatchResult")
    assert result["outputs"] == [(0, b"k1", b"1010", []), (0, None, b"1020", [])]


@pytest.mark.parametrize("subclass", ["", "1"])
def test_initialize_alias_timer_in_ready_and_two_argument_process_timer(spawn, subclass):
    op = spawn(os.path.join(TEST_OPERATORS, "initialize_alias.py"), {"SLUICE_TEST_SUBCLASS": subclass})
    metadata, ready = op.start(name="alias", instance_id="alias-3", index=3, count=4)
    assert metadata["inputs"] == [] and metadata["outputs"] == ["out"]
    assert ready["timers"] == [(b"first", 1234)]
    op.send(driver.timers(1, [(b"first", 1234)]))
    result = op.expect("BatchResult")
    assert result["outputs"] == [(0, b"first", b"('alias', 'alias-3', 3, 4) 1234", [])]


def test_source_counter_starts_from_its_init_timer(spawn):
    op = spawn(example("source_counter.py"), {"SLUICE_INTERVAL_MS": "250"})
    metadata, ready = op.start()
    assert metadata == {"type": "Metadata", "name": "source_counter", "inputs": [], "outputs": ["counts"]}
    [(key, first)] = ready["timers"]
    assert key == b"tick" and first > 1_600_000_000_000
    time_ms = first
    for batch_id, count in ((1, b"0"), (2, b"1"), (3, b"2")):
        op.send(driver.timers(batch_id, [(b"tick", time_ms)]))
        result = op.expect("BatchResult")
        assert result["outputs"] == [(0, b"tick", count, [])]
        assert result["timers"] == [(b"tick", time_ms + 250)]
        time_ms += 250


def test_stop_calls_destroy_then_stopped_and_exit_0(spawn, tmp_path):
    marker = tmp_path / "marker"
    op = spawn(os.path.join(TEST_OPERATORS, "lifecycle.py"), {"SLUICE_TEST_MARKER": str(marker)})
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 0, b"k", b"v")]))
    op.expect("BatchResult")
    assert not marker.exists()
    op.send(driver.stop())
    op.expect("Stopped")
    op.read_eof()
    code, stderr = op.wait()
    assert code == 0
    assert marker.read_text() == "destroyed"
    assert "destroy called" in stderr


def test_end_of_input_between_frames_exits_0_after_destroy(spawn, tmp_path):
    marker = tmp_path / "marker"
    op = spawn(os.path.join(TEST_OPERATORS, "lifecycle.py"), {"SLUICE_TEST_MARKER": str(marker)})
    op.start()
    op.close_input()
    op.read_eof()
    code, stderr = op.wait()
    assert code == 0 and marker.read_text() == "destroyed"
    assert "without Stop" in stderr


def test_identity_v2_matches_identity_unless_tagged(spawn):
    items = [(0, 0, 0, 0, b"k", b"v", [("h", b"1")]), (0, 0, 1, 0, None, b"w")]
    results = {}
    for name, env in (("v1", {}), ("v2", {}), ("v2-tagged", {"SLUICE_TAG": "v2"})):
        op = spawn(example("identity.py" if name == "v1" else "identity_v2.py"), env)
        metadata, _ = op.start()
        results[name + "-metadata"] = metadata
        op.send(driver.records(1, items))
        results[name] = op.expect("BatchResult")
    assert results["v1"] == results["v2"]
    assert results["v1-metadata"] == results["v2-metadata"]
    assert results["v2-tagged"]["outputs"] == [(0, b"k", b"v", [("h", b"1"), ("sluice-version", b"v2")]),
                                               (0, None, b"w", [("sluice-version", b"v2")])]


def test_large_batch_round_trips(spawn):
    op = spawn(example("identity.py"))
    op.start()
    items = [(0, i % 4, i, i, b"key-%d" % i, b"%0100d" % i) for i in range(5000)]
    op.send(driver.records(1, items))
    result = op.expect("BatchResult")
    assert [(key, value) for _, key, value, _ in result["outputs"]] == [(item[4], item[5]) for item in items]


def test_prints_raw_writes_and_child_processes_go_to_stderr_without_the_runtime_variable(spawn):
    op = spawn(os.path.join(TEST_OPERATORS, "printer.py"), protocol_env=False)
    op.start()
    op.send(driver.records(1, [(0, 0, 0, 0, b"k", b"hello")]))
    assert op.expect("BatchResult")["outputs"] == [(0, b"k", b"hello", [])]
    op.send(driver.stop())
    op.expect("Stopped")
    op.read_eof()
    code, stderr = op.wait()
    assert code == 0
    for line in ("init printing", "record hello", "raw write to descriptor 1", "child process output"):
        assert line in stderr


def test_a_buffered_print_before_serve_computation_goes_to_stderr_without_the_runtime_variable(spawn):
    # Best effort only: it works because a pipe's stdout is block-buffered, so unset PYTHONUNBUFFERED.
    op = spawn(os.path.join(TEST_OPERATORS, "duck.py"), {"PYTHONUNBUFFERED": None}, protocol_env=False)
    op.start()
    op.send(driver.stop())
    op.expect("Stopped")
    code, stderr = op.wait()
    assert code == 0 and "printed at import time" in stderr
