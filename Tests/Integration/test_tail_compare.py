"""The debugging commands against the real broker: `sluice tail` and `sluice compare` read what confluent-kafka
produced (keys, binary values, headers, explicit timestamps); `sluice ops` and `sluice logs` describe a real
operator that dead-letters a record and is swapped."""

from __future__ import annotations

import datetime
import json
import queue
import re
import signal
import subprocess
import threading
import time

import confluent_kafka
import pytest

from operator_support import create_topic, read_all, sluice_cli, wait_for, write_operator

BASE_MS = 1_764_064_800_000  # 2025-11-25T10:00:00.000Z


@pytest.fixture(autouse=True)
def sluice_only(broker):
    if broker.peer != "sluice":
        pytest.skip("the CLI is Sluice's own")


def sluice(broker, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([broker.binary, *args, "--broker", broker.bootstrap],
                          capture_output=True, text=True, timeout=timeout)


def tail_lines(broker, *args: str) -> list[str]:
    result = sluice(broker, "tail", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


def iso(milliseconds: int) -> str:
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def produce(broker, topic: str, records: list[dict]) -> None:
    """Each record: partition, key, value, and optionally headers and timestamp (ms)."""
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5,
                                         "partitioner": "murmur2_random"})
    failures = []
    for record in records:
        extra = {name: record[name] for name in ("partition", "headers", "timestamp") if name in record}
        producer.produce(topic, key=record.get("key"), value=record.get("value"),
                         on_delivery=lambda error, _: error and failures.append(str(error)), **extra)
    assert producer.flush(30) == 0 and not failures, failures


# tail ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def debug_stream(broker):
    """'debug': partition 0 holds 15 text records with headers, one second apart from BASE_MS; partition 1
    holds a binary key with a 1000-byte binary value, a null key and value, and an empty value."""
    create_topic(broker, "debug", 2)
    produce(broker, "debug", [
        {"partition": 0, "key": f"user-{i}".encode(), "value": f'say "hi" {i}\nbye'.encode(),
         "headers": [("trace", f"t{i}".encode()), ("raw", b"\x00\xff")], "timestamp": BASE_MS + i * 1000}
        for i in range(15)
    ] + [
        {"partition": 1, "key": b"\xff\x01", "value": bytes(range(250)) * 4, "timestamp": BASE_MS},
        {"partition": 1, "key": None, "value": None, "timestamp": BASE_MS + 1},
        {"partition": 1, "key": b"k", "value": b"", "timestamp": BASE_MS + 2},
    ])
    return "debug"


def text_line(i: int) -> str:
    return (f'0:{i} {iso(BASE_MS + i * 1000)} key="user-{i}" value="say \\"hi\\" {i}\\nbye" '
            f'headers: trace="t{i}" raw=0x00ff')


def test_tail_shows_the_last_records_of_each_partition_and_stops(broker, debug_stream):
    lines = tail_lines(broker, debug_stream)
    assert lines[:10] == [text_line(i) for i in range(5, 15)]
    hex_shown = bytes(range(48)).hex()
    assert lines[10:] == [
        f"1:0 {iso(BASE_MS)} key=0xff01 value=0x{hex_shown}… (1000 bytes)",
        f"1:1 {iso(BASE_MS + 1)} key=null value=null",
        f'1:2 {iso(BASE_MS + 2)} key="k" value=""',
    ]
    assert tail_lines(broker, debug_stream, "-n", "2") == [text_line(13), text_line(14)] + lines[11:]
    assert tail_lines(broker, debug_stream, "--partition", "1", "-n", "1") == lines[12:]
    full = tail_lines(broker, debug_stream, "--partition", "1", "--full", "-n", "3")[0]
    assert full == f"1:0 {iso(BASE_MS)} key=0xff01 value=0x{(bytes(range(250)) * 4).hex()}"


def test_tail_from_earliest_an_offset_and_a_time(broker, debug_stream):
    assert tail_lines(broker, debug_stream, "--from", "earliest", "--partition", "0") == [
        text_line(i) for i in range(15)]
    assert len(tail_lines(broker, debug_stream, "--from", "earliest")) == 18
    assert tail_lines(broker, debug_stream, "--from", "earliest", "--max", "3", "--partition", "0") == [
        text_line(i) for i in range(3)]
    assert tail_lines(broker, debug_stream, "--from", "12", "--partition", "0") == [text_line(i) for i in (12, 13, 14)]
    assert tail_lines(broker, debug_stream, "--from", "latest") == []
    # The time index: the first record at or after the time, in each partition (partition 1 is older).
    assert tail_lines(broker, debug_stream, "--from", iso(BASE_MS + 11_000)) == [text_line(i) for i in range(11, 15)]
    assert tail_lines(broker, debug_stream, "--from", iso(BASE_MS + 10_500), "--partition", "0") == [
        text_line(i) for i in range(11, 15)]
    assert tail_lines(broker, debug_stream, "--from", "2025-11-25T10:00:00.001Z", "--partition", "1") == [
        f"1:1 {iso(BASE_MS + 1)} key=null value=null", f'1:2 {iso(BASE_MS + 2)} key="k" value=""']


def test_tail_follow_prints_records_produced_after_it_started(broker, debug_stream):
    process = subprocess.Popen([broker.binary, "tail", debug_stream, "--follow", "--partition", "0", "-n", "1",
                                "--broker", broker.bootstrap],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in process.stdout], daemon=True).start()
    try:
        assert lines.get(timeout=20) == text_line(14)
        produce(broker, debug_stream, [{"partition": 0, "key": b"late", "value": b"arrived", "timestamp": BASE_MS}])
        assert lines.get(timeout=20) == f'0:15 {iso(BASE_MS)} key="late" value="arrived"'
        assert process.poll() is None, "--follow stopped by itself"
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=10)
    assert status == 0 and process.stderr.read() == ""


def test_tail_unknown_stream_and_partition_are_one_line(broker, debug_stream):
    missing = sluice(broker, "tail", "no-such-stream")
    assert missing.returncode != 0 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == ["Error: stream no-such-stream does not exist"]
    partition = sluice(broker, "tail", debug_stream, "--partition", "7")
    assert partition.returncode != 0
    assert partition.stderr.strip().splitlines() == ["Error: stream debug has no partition 7 (it has 2)"]
    bad_start = sluice(broker, "tail", debug_stream, "--from", "yesterday")
    assert bad_start.returncode != 0 and "--from" in bad_start.stderr


def test_tail_into_a_closed_pipe_exits_quietly(broker):
    create_topic(broker, "wide", 1)
    produce(broker, "wide", [{"key": f"k{i}".encode(), "value": b"v" * 200} for i in range(5_000)])
    process = subprocess.Popen([broker.binary, "tail", "wide", "--from", "earliest", "--broker", broker.bootstrap],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().startswith(b"0:0 ")
    process.stdout.close()  # like `| head -1`: the reader goes away with most of the output unwritten
    assert process.wait(timeout=20) == 0
    assert process.stderr.read() == b""


# compare ------------------------------------------------------------------------------------------------------

def keyed_records(count: int) -> list[dict]:
    """Records of 50 keys (several records each, in order), binary values, and a few without a key."""
    records = [{"key": f"key-{i % 50}".encode(), "value": f"value {i}".encode() + bytes([i % 256, 0])}
               for i in range(count)]
    return records + [{"key": None, "value": f"keyless {i}".encode()} for i in range(5)]


def compare(broker, *args: str) -> tuple[int, dict]:
    result = sluice(broker, "compare", *args, "--json")
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def counts(report: dict) -> dict:
    return {name: report[name] for name in ("recordsA", "recordsB", "matched", "differ", "onlyInA", "onlyInB")}


def test_compare_equal_streams(broker):
    records = keyed_records(1_000)
    create_topic(broker, "live", 3)
    create_topic(broker, "shadow", 1)  # another layout: pairing by key does not care
    produce(broker, "live", records)
    produce(broker, "shadow", records)
    status, report = compare(broker, "live", "shadow")
    assert status == 0
    assert counts(report) == {"recordsA": 1_005, "recordsB": 1_005, "matched": 1_005, "differ": 0, "onlyInA": 0,
                              "onlyInB": 0}
    assert report["differences"] == [] and report["keyBy"] == "key"
    text = sluice(broker, "compare", "live", "shadow")
    assert text.returncode == 0
    assert re.search(r"^match\s+1005$", text.stdout, re.M), text.stdout
    assert re.search(r"^differ\s+0$", text.stdout, re.M), text.stdout


def test_compare_counts_a_changed_and_a_missing_record(broker):
    records = keyed_records(1_000)
    create_topic(broker, "live", 3)
    create_topic(broker, "canary", 3)
    produce(broker, "live", records)
    changed = [dict(record) for record in records]
    changed[10]["value"] = b"\xffchanged"
    del changed[999]  # the last record of key-49
    produce(broker, "canary", changed)

    status, report = compare(broker, "live", "canary")
    assert status == 1
    assert counts(report) == {"recordsA": 1_005, "recordsB": 1_004, "matched": 1_003, "differ": 1, "onlyInA": 1,
                              "onlyInB": 0}
    by_kind = {difference["kind"]: difference for difference in report["differences"]}
    assert by_kind["differ"]["key"] == "key-10" and by_kind["differ"]["b"]["valueHex"] == "ff6368616e676564"
    assert by_kind["differ"]["a"]["value"] == "value 10\n\x00"
    assert by_kind["onlyInA"]["key"] == "key-49" and by_kind["onlyInA"]["sequence"] == 19

    status, report = compare(broker, "canary", "live")
    assert status == 1 and (report["onlyInA"], report["onlyInB"], report["differ"]) == (0, 1, 1)

    text = sluice(broker, "compare", "live", "canary")
    assert text.returncode == 1
    assert re.search(r"^only in live\s+1$", text.stdout, re.M), text.stdout
    assert re.search(r'^  differ  key="key-10" #0  live \d+:\d+ .* canary \d+:\d+ key="key-10" value=0xff', text.stdout,
                     re.M), text.stdout


def test_compare_by_offset_pairs_partition_positions(broker):
    create_topic(broker, "left", 2)
    create_topic(broker, "right", 2)
    base = [{"partition": i % 2, "key": f"k{i}".encode(), "value": f"v{i}".encode()} for i in range(40)]
    produce(broker, "left", base)
    produce(broker, "right", base + [{"partition": 1, "key": b"extra", "value": b"extra"}])
    status, report = compare(broker, "left", "right", "--key-by", "offset")
    assert status == 1
    assert counts(report) == {"recordsA": 40, "recordsB": 41, "matched": 40, "differ": 0, "onlyInA": 0, "onlyInB": 1}
    assert report["differences"][0]["b"] == {"partition": 1, "offset": 20, "key": "extra", "value": "extra"}
    assert "key" not in report["differences"][0]


def test_compare_unknown_stream_exits_2_with_one_line(broker):
    create_topic(broker, "present", 1)
    result = sluice(broker, "compare", "present", "absent")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == ["Error: stream absent does not exist"]


# ops and logs -------------------------------------------------------------------------------------------------

NOISY = """
import sys, sluice

class Noisy(sluice.Computation):
    def process_record(self, ctx, record):
        print("{label} saw " + record.data.decode(), file=sys.stderr, flush=True)
        if b"poison" in record.data:
            raise ValueError("cannot digest " + record.data.decode())
        ctx.produce_record("noisy-out", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="noisy", istreams=["noisy-in"], ostreams=["noisy-out"])

sluice.serve_computation(Noisy())
"""


def test_ops_shows_last_errors_and_dead_letters_and_logs_name_version_and_instance(broker, tmp_path):
    create_topic(broker, "noisy-in", 1)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    first = write_operator(tmp_path / "v1", "noisy.py", NOISY, label="first")
    second = write_operator(tmp_path / "v2", "noisy.py", NOISY, label="second")
    sluice_cli(broker, "deploy", str(first))
    produce(broker, "noisy-in", [{"key": b"a", "value": b"fine 1"}, {"key": b"b", "value": b"poison pill"},
                                 {"key": b"c", "value": b"fine 2"}])
    assert [value for *_, value in read_all(broker, "noisy-out", 2, timeout_s=60)] == [b"fine 1", b"fine 2"]

    status = wait_for(lambda: "dead-lettered 1" in (text := sluice_cli(broker, "ops", "noisy").stdout) and text,
                      30, "the dead letter in ops")
    assert re.search(r"^records in \d+, out \d+; restarts \d+; dead-lettered 1$", status, re.M), status
    errors = status.split("last errors:\n", 1)[1].splitlines()
    assert errors and all(line.startswith("  ") for line in errors), status  # a traceback stays under its bullet
    assert any(re.match(r"^  dead-lettered noisy-in-0@1: ", line) for line in errors), status
    assert any(line.strip() == "ValueError: cannot digest poison pill" for line in errors), status
    # The dead letter itself, seen through tail.
    dead = tail_lines(broker, "noisy.dlq", "--from", "earliest")
    assert len(dead) == 1 and 'key="b" value="poison pill"' in dead[0], dead

    sluice_cli(broker, "swap", "noisy", str(second))
    produce(broker, "noisy-in", [{"key": b"d", "value": b"fine 3"}])
    logs = wait_for(lambda: "second saw fine 3" in (text := sluice_cli(broker, "logs", "noisy").stdout) and text,
                    30, "the new version's log line")
    operator_lines = [line for line in logs.splitlines() if re.search(r"(first|second) saw (fine|poison)", line)]
    assert operator_lines, logs
    for line in operator_lines:
        version = "1" if "first saw" in line else "2"
        assert re.match(rf"^\S+ v{version}#\d+ (first|second) saw ", line), line
    assert any("first saw poison pill" in line for line in operator_lines)
