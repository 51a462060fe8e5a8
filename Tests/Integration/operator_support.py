"""Helpers for the operator tests: the CLI against a broker's admin API, producers and readers."""

from __future__ import annotations

import subprocess
from collections import Counter
import textwrap
import threading
import time
from pathlib import Path

import confluent_kafka
import confluent_kafka.admin

IDENTITY = """
import os, sluice

class Identity(sluice.Computation):
    def process_record(self, ctx, record):
        ctx.produce_record("{output}", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="{name}", istreams=["{input}"], ostreams=["{output}"])

sluice.serve_computation(Identity())
"""


def write_operator(directory: Path, file_name: str, source: str, **names: str) -> Path:
    path = directory / file_name
    path.write_text(textwrap.dedent(source).format(**names))
    return path


def sluice_cli(broker, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [broker.binary, *args, "--admin", f"127.0.0.1:{broker.admin_port}"],
        capture_output=True, timeout=timeout, text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"sluice {' '.join(args)} exited {result.returncode}: {result.stderr}\n"
                             f"broker log:\n{broker.stderr_tail()}")
    return result


def create_topic(broker, name: str, partitions: int) -> None:
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([confluent_kafka.admin.NewTopic(name, partitions, 1)])[name].result(30)


class SteadyProducer(threading.Thread):
    """Writes `count` sequence-numbered records (key = value = 'seq-N') at about `rate` per second."""

    def __init__(self, broker, topic: str, count: int, rate: float, start_at: int = 0):
        super().__init__(daemon=True)
        # murmur2 like the runtime (and the Java client), so a key's input and output partitions match
        # and "in order within each partition" can be read straight off the output.
        self.producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 2,
                                                  "acks": "all", "partitioner": "murmur2_random"})
        self.topic, self.count, self.rate, self.start_at = topic, count, rate, start_at
        self.failures: list[str] = []

    def run(self) -> None:
        started = time.monotonic()
        for index in range(self.count):
            sequence = self.start_at + index
            due = started + index / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            value = f"seq-{sequence:08d}".encode()
            self.producer.produce(self.topic, key=value, value=value, on_delivery=self._delivered)
            self.producer.poll(0)
        remaining = self.producer.flush(60)
        if remaining:
            self.failures.append(f"{remaining} records not delivered")

    def _delivered(self, error, message) -> None:
        if error is not None:
            self.failures.append(str(error))


def read_all(broker, topic: str, expected: int, timeout_s: float = 120.0) -> list[tuple[int, int, bytes, bytes]]:
    """Reads the topic from the beginning until `expected` records were seen (or the timeout), as
    (partition, offset, key, value) tuples."""
    metadata = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(topic, timeout=30)
    partitions = sorted(metadata.topics[topic].partitions)
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "test-reader",
                                         "enable.auto.commit": False})
    consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in partitions])
    records = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for message in consumer.consume(10_000, timeout=0.5):
                if message.error():
                    raise AssertionError(f"read {topic}: {message.error()}")
                records.append((message.partition(), message.offset(), message.key(), message.value()))
    finally:
        consumer.close()
    return records


def end_offsets(broker, topic: str) -> int:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "test-ends"})
    try:
        metadata = consumer.list_topics(topic, timeout=30)
        total = 0
        for partition in metadata.topics[topic].partitions:
            _, high = consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, partition), timeout=30)
            total += high
        return total
    finally:
        consumer.close()


def wait_for(condition, timeout_s: float, what: str, interval_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def sequence_numbers(records) -> list[int]:
    return [int(value.decode().removeprefix("seq-")) for _, _, _, value in records]


def assert_exactly_once_in_order(records, expected_count: int) -> None:
    """Every `seq-N` for N < expected_count exactly once, and in order within each output partition."""
    numbers = sequence_numbers(records)
    duplicates = [n for n, c in Counter(numbers).items() if c > 1]
    assert not duplicates, f"{len(duplicates)} records processed twice, e.g. {duplicates[:5]}"
    missing = sorted(set(range(expected_count)) - set(numbers))
    assert not missing, f"{len(missing)} records lost, e.g. {missing[:5]}"
    by_partition: dict[int, list[int]] = {}
    for partition, _, _, value in sorted(records, key=lambda r: (r[0], r[1])):
        by_partition.setdefault(partition, []).append(int(value.decode().removeprefix("seq-")))
    for partition, sequence in by_partition.items():
        assert sequence == sorted(sequence), f"output partition {partition} is out of order"
