"""Data safety under faults, the broker's side (issue #10): internal logs belong to the broker, and a
misbehaving operator (or a stream deleted under one) is contained. Every check runs the real broker and
real clients; the broker's CPU and memory are read from /proc."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from pathlib import Path

import confluent_kafka
import confluent_kafka.admin
import pytest

from operator_support import IDENTITY, create_topic, end_offsets, read_all, sluice_cli, wait_for, write_operator

# A raw-protocol operator (no SDK: the SDKs refuse undeclared outputs) that answers every Records batch with
# one output at index 7, which it never declared.
UNDECLARED_INDEX = r'''
import struct, sys

source, sink = sys.stdin.buffer, sys.stdout.buffer

def read_exact(count):
    data = b""
    while len(data) < count:
        chunk = source.read(count - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data

def read_frame():
    (length,) = struct.unpack(">I", read_exact(4))
    body = read_exact(length)
    return body[0], body[1:]

def send(message_type, body):
    sink.write(struct.pack(">IB", len(body) + 1, message_type) + body)
    sink.flush()

def string(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data

read_frame()  # Hello
send(0x81, string("{name}") + struct.pack(">H", 1) + string("{input}") + b"\x00"
     + struct.pack(">H", 1) + string("{output}"))
send(0x82, struct.pack(">I", 0))
while True:
    message_type, body = read_frame()
    if message_type == 0x05:
        send(0x85, b"")
        sys.exit(0)
    (batch_id,) = struct.unpack_from(">Q", body, 0)
    output = struct.pack(">H", 7) + struct.pack(">I", 0xFFFFFFFF) + struct.pack(">I", 1) + b"x" + struct.pack(">H", 0)
    send(0x83, struct.pack(">QI", batch_id, 1) + output + struct.pack(">I", 0))
'''

DECLARES = """
import sluice

class Declares(sluice.Computation):
    def process_record(self, ctx, record):
        pass

    def metadata(self):
        return sluice.Metadata(name="{name}", istreams=["in"], ostreams=["{output}"])

sluice.serve_computation(Declares())
"""

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@pytest.fixture(autouse=True)
def sluice_only(broker):
    if broker.peer != "sluice":
        pytest.skip("operators and internal-topic rules are Sluice's own")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_SECOND


def cpu_share(pid: int, seconds: float = 2.0) -> float:
    """The fraction of one core the process used over `seconds`."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - started)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def admin_json(broker, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}{path}", timeout=10) as answer:
        return json.loads(answer.read())


def produce(broker, topic: str, values: list[bytes]) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for value in values:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0


def dead_letters(broker, operator: str, expected: int) -> list:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "dlq-reader",
                                         "enable.auto.commit": False})
    consumer.assign([confluent_kafka.TopicPartition(f"{operator}.dlq", 0, 0)])
    records, deadline = [], time.monotonic() + 30
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for message in consumer.consume(100, timeout=0.5):
                assert not message.error(), message.error()
                records.append(message)
    finally:
        consumer.close()
    return records


def test_an_undeclared_output_index_ends_failing_with_dead_letters_and_bounded_cost(broker, tmp_path):
    create_topic(broker, "in", 1)
    operator = write_operator(tmp_path, "badindex.py", UNDECLARED_INDEX, name="badindex", input="in", output="out")
    sluice_cli(broker, "deploy", str(operator))
    pid = broker.process.pid
    time.sleep(1.0)
    rss_before = rss_mib(pid)
    # 40 records take many seconds of failing (3 attempts each, with backoff): CPU is sampled meanwhile.
    produce(broker, "in", [f"record-{n}".encode() for n in range(40)])
    wait_for(lambda: admin_json(broker, "/v1/operators/badindex")["state"] == "failing", 30, "state failing")
    share = cpu_share(pid)
    log_lines_before = len(broker.stderr_path.read_text(errors="replace").splitlines())
    time.sleep(2.0)
    log_lines = len(broker.stderr_path.read_text(errors="replace").splitlines()) - log_lines_before
    status = wait_for(lambda: (lambda s: s if s["deadLettered"] >= 40 else None)(
        admin_json(broker, "/v1/operators/badindex")), 120, "40 dead letters")
    rss_after = rss_mib(pid)
    print(f"\nbroker CPU while failing: {share:.1%} of a core; log lines in 2 s: {log_lines}; "
          f"RSS {rss_before:.1f} -> {rss_after:.1f} MiB")
    assert share < 0.25, f"broker used {share:.0%} of a core while the operator failed"
    assert log_lines <= 25, f"{log_lines} broker log lines in 2 s"
    assert rss_after - rss_before < 20, f"RSS grew from {rss_before:.1f} to {rss_after:.1f} MiB"
    assert status["state"] == "failing"
    assert "output index 7 is not a declared output" in status["reason"]
    ops = sluice_cli(broker, "ops", "badindex").stdout
    assert re.search(r"^badindex\s+1\s+failing", ops, re.M), ops
    assert "failing: its answers cannot be applied" in ops, ops
    letters = dead_letters(broker, "badindex", 40)
    assert sorted(m.value() for m in letters) == sorted(f"record-{n}".encode() for n in range(40))
    headers = dict(letters[0].headers())
    assert b"cannot be applied" in headers["sluice.error"]
    assert headers["sluice.source.stream"] == b"in"
    assert end_offsets(broker, "out") == 0, "nothing of an unappliable answer is appended"


def test_deleting_a_stream_in_use_is_refused_unless_forced_and_then_pauses(broker, tmp_path):
    create_topic(broker, "in", 1)
    create_topic(broker, "out", 1)
    operator = write_operator(tmp_path, "identity.py", IDENTITY, name="identity", input="in", output="out")
    sluice_cli(broker, "deploy", str(operator))
    produce(broker, "in", [f"a-{n}".encode() for n in range(10)])
    wait_for(lambda: end_offsets(broker, "out") == 10, 30, "10 outputs")

    refused = sluice_cli(broker, "topic", "delete", "in", "--broker", broker.bootstrap, check=False)
    assert refused.returncode != 0
    assert "used by operator identity" in refused.stderr and "--force" in refused.stderr, refused.stderr
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap})
    with pytest.raises(confluent_kafka.KafkaException) as kafka_refusal:
        admin.delete_topics(["in"])["in"].result(30)
    assert kafka_refusal.value.args[0].code() == confluent_kafka.KafkaError.POLICY_VIOLATION
    assert end_offsets(broker, "in") == 10, "the refused delete kept the stream"

    forced = sluice_cli(broker, "topic", "delete", "in", "--force", "--broker", broker.bootstrap)
    assert "deleted topic in; paused identity" in forced.stdout
    status = admin_json(broker, "/v1/operators/identity")
    assert status["state"] == "paused" and "stream in was deleted" in status["reason"], status
    assert "paused: stream in was deleted" in sluice_cli(broker, "ops", "identity").stdout
    share = cpu_share(broker.process.pid)
    assert share < 0.15, f"broker used {share:.0%} of a core with the operator's input deleted"

    # Recreated: the committed offset 10 is past the new log's end, so the operator reads it from its start.
    create_topic(broker, "in", 1)
    produce(broker, "in", [f"b-{n}".encode() for n in range(3)])
    assert "running" in sluice_cli(broker, "resume", "identity").stdout
    records = read_all(broker, "out", 13)
    assert sorted(value for _, _, _, value in records)[-3:] == [b"b-0", b"b-1", b"b-2"]
    status = wait_for(lambda: (lambda s: s if s["lag"] == 0 and s["recordsIn"] >= 13 else None)(
        admin_json(broker, "/v1/operators/identity")), 30, "the recreated input processed")
    assert any("past the log end" in line for line in status["lastErrors"]), status["lastErrors"]


@pytest.mark.parametrize("output", ["__consumer_offsets.0", "__x", "out@3"])
def test_deploying_an_operator_that_declares_a_broker_or_shadow_stream_is_refused(broker, tmp_path, output):
    create_topic(broker, "in", 1)
    topics_before = sorted(os.listdir(broker.data_dir / "topics"))
    operator = write_operator(tmp_path, "declares.py", DECLARES, name="declares", output=output)
    refused = sluice_cli(broker, "deploy", str(operator), check=False)
    assert refused.returncode != 0
    assert ("internal to the broker" in refused.stderr) or ("contains '@'" in refused.stderr), refused.stderr
    assert sorted(os.listdir(broker.data_dir / "topics")) == topics_before, "a refused deploy created a stream"
    assert admin_json(broker, "/v1/operators") == []


def test_clients_can_neither_produce_to_nor_fetch_the_offsets_log(broker):
    # A committed offset makes sure the offsets log has records to steal.
    create_topic(broker, "in", 1)
    produce(broker, "in", [b"x"])
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "g",
                                         "auto.offset.reset": "earliest"})
    consumer.subscribe(["in"])
    wait_for(lambda: consumer.poll(0.5) is not None, 30, "a record")
    consumer.commit(asynchronous=False)
    consumer.close()

    for topic in ("__consumer_offsets", "__consumer_offsets.0"):
        errors = []
        producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "message.timeout.ms": 5000})
        producer.produce(topic, value=b"forged", on_delivery=lambda error, _: errors.append(error))
        producer.flush(15)
        assert errors and errors[0] is not None, f"a produce to {topic} was accepted"

    reader = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "thief",
                                       "enable.auto.commit": False})
    reader.assign([confluent_kafka.TopicPartition("__consumer_offsets.0", 0, 0)])
    refusal, deadline = None, time.monotonic() + 20
    try:
        while refusal is None and time.monotonic() < deadline:
            message = reader.poll(0.5)
            if message is None:
                continue
            assert message.error() is not None, "a client read the offsets log"
            refusal = message.error()
    finally:
        reader.close()
    assert refusal is not None and refusal.code() == confluent_kafka.KafkaError.TOPIC_AUTHORIZATION_FAILED, refusal
