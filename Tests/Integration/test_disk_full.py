"""A full disk is an error, never a crash: the data dir on a small tmpfs is filled with confluent-kafka until the
broker answers KAFKA_STORAGE_ERROR; the broker stays up, `topic create` fails cleanly and leaves no directory,
the record sequence that used to kill it with SIGBUS (a 5,000-byte record then a 100-byte one after a few pages
were freed) is an error at most, produces succeed again once space is freed (no restart), and after kill -9
every acknowledged record is read back.

Mounting needs root; elsewhere the test is skipped, saying so.
"""

from __future__ import annotations

import errno
import os
import random
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Producer, TopicPartition

import confluent_client

TMPFS_SIZE = "64m"
BALLAST_BYTES = 8 * 1024 * 1024
VALUE_BYTES = 10_000
# Small segments, so filling the disk rolls many times and a roll meets the full disk too; the batch limit
# must not exceed the segment size (the broker refuses the combination, naming both keys).
CONFIG = """
[storage]
segment_size_bytes = 1048576
min_free_bytes = 0
[limits]
batch_size_bytes_max = 1048576
"""
FILL_TIMEOUT_S = 30.0
TOPIC = "full"


def value_for(seq: int, size: int = VALUE_BYTES) -> bytes:
    """Incompressible, and the same every time for a given seq, so read-back can check it without keeping it."""
    return random.Random(seq).randbytes(size)


@pytest.fixture
def tmpfs_broker(make_broker):
    """A broker (not started) whose data dir is a fresh 64 MiB tmpfs, unmounted after the broker is killed."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the data dir needs root")
    broker = make_broker(extra_args=(), start=False)
    if not broker.persistent:
        pytest.skip(f"{broker.peer} keeps data in memory only")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(broker.data_dir)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    config_path = broker.work_dir / "sluice.toml"
    config_path.write_text(CONFIG)
    broker.extra_args = ("--config", str(config_path))
    try:
        yield broker
    finally:
        broker.kill9()
        subprocess.run(["umount", "-l", str(broker.data_dir)], check=False)


class Delivery:
    """Delivery reports of one producer: acknowledged (offset -> seq, size) and the errors."""

    def __init__(self):
        self.acked: dict[int, tuple[int, int]] = {}
        self.errors: list[KafkaError] = []

    def callback(self, seq: int, size: int):
        def delivered(error, message):
            if error is None:
                self.acked[message.offset()] = (seq, size)
            else:
                self.errors.append(error)
        return delivered


def make_producer(broker) -> Producer:
    # No retries: KAFKA_STORAGE_ERROR is retriable, and the test wants to see it rather than a timeout.
    return Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5, "retries": 0,
                     "message.timeout.ms": 10000, "enable.idempotence": False})


def produce_one(producer: Producer, delivery: Delivery, seq: int, size: int) -> None:
    producer.produce(TOPIC, key=f"k{seq}".encode(), value=value_for(seq, size), partition=0,
                     on_delivery=delivery.callback(seq, size))
    assert producer.flush(15) == 0, "delivery report not received within 15 s"


def fill_remaining_space(path: Path) -> None:
    """Writes `path` until the file system says ENOSPC: whatever room the broker's last failure left goes."""
    with open(path, "wb", buffering=0) as file:
        for chunk_size in (1 << 20, 1 << 16, 1 << 12, 512, 1):
            chunk = b"\0" * chunk_size
            while True:
                try:
                    file.write(chunk)
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break


def sluice_cli(broker, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([broker.binary, *args, "--broker", broker.bootstrap], capture_output=True, timeout=60)


def metric(broker, name: str) -> float | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_full_disk_is_an_error_and_writes_resume_once_space_is_freed(tmpfs_broker):
    broker = tmpfs_broker
    ballast = broker.data_dir / "ballast"
    ballast.write_bytes(b"\0" * BALLAST_BYTES)
    broker.start()
    confluent_client.create_topic(broker.bootstrap, TOPIC, partitions=1)

    # Fill the disk: produce until the broker answers KAFKA_STORAGE_ERROR.
    producer = make_producer(broker)
    delivery = Delivery()
    seq = 0
    deadline = time.monotonic() + FILL_TIMEOUT_S
    while not delivery.errors:
        assert time.monotonic() < deadline, f"no storage error after {len(delivery.acked)} records"
        for _ in range(50):
            producer.produce(TOPIC, key=f"k{seq}".encode(), value=value_for(seq), partition=0,
                             on_delivery=delivery.callback(seq, VALUE_BYTES))
            seq += 1
        assert producer.flush(15) == 0
    codes = {error.code() for error in delivery.errors}
    assert codes == {KafkaError.KAFKA_STORAGE_ERROR}, f"unexpected errors: {delivery.errors[:3]}"
    assert broker.alive(), f"broker died on a full disk; stderr tail:\n{broker.stderr_tail()}"
    filled_count = len(delivery.acked)
    assert filled_count > 1000, f"only {filled_count} records before the disk was full"
    print(f"disk full after {filled_count} acknowledged records ({len(delivery.errors)} refused)")

    # Take the last bytes too, then: topic creation fails cleanly and leaves nothing behind.
    filler = broker.data_dir / "filler"
    fill_remaining_space(filler)
    created = sluice_cli(broker, "topic", "create", "on-full-disk", "--partitions", "2")
    assert created.returncode != 0, "creating a topic on a full disk succeeded"
    assert not (broker.data_dir / "topics" / "on-full-disk").exists(), "a failed create left its directory"
    assert broker.alive()

    # Free a few pages, then the sequence that used to SIGBUS in OffsetIndex.append: an error at most.
    os.truncate(filler, max(0, filler.stat().st_size - 3 * 4096))
    before = len(delivery.errors)
    produce_one(producer, delivery, seq, 5000)
    produce_one(producer, delivery, seq + 1, 100)
    seq += 2
    assert broker.alive(), f"broker died after space was freed a little; stderr tail:\n{broker.stderr_tail()}"
    assert {error.code() for error in delivery.errors[before:]} <= {KafkaError.KAFKA_STORAGE_ERROR}
    assert (metric(broker, "sluice_appends_refused_disk_full_total") or 0) >= 1
    assert metric(broker, "sluice_data_dir_available_bytes") is not None

    # Free the ballast: writes resume by themselves, no restart; enough of them to roll segments again.
    ballast.unlink()
    filler.unlink()
    errors_before = len(delivery.errors)
    acked_before = len(delivery.acked)
    produce_one(producer, delivery, seq, 5000)
    produce_one(producer, delivery, seq + 1, 100)
    seq += 2
    for _ in range(4):
        for _ in range(100):
            producer.produce(TOPIC, key=f"k{seq}".encode(), value=value_for(seq), partition=0,
                             on_delivery=delivery.callback(seq, VALUE_BYTES))
            seq += 1
        assert producer.flush(15) == 0
    assert len(delivery.errors) == errors_before, f"produce failed after space was freed: {delivery.errors[-3:]}"
    assert len(delivery.acked) == acked_before + 402
    del producer

    # kill -9 and back: every acknowledged record is there, exactly.
    broker.kill9()
    broker.start()
    client = confluent_client.consumer(broker.bootstrap)
    try:
        low, end = client.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=10, cached=False)
    finally:
        client.close()
    assert low == 0
    stored = {record.offset: record for record in confluent_client.read(broker.bootstrap, TOPIC, {0: 0}, {0: end})}
    assert sorted(stored) == list(range(end)), "offsets are not contiguous after the restart"
    missing = []
    for offset, (record_seq, size) in delivery.acked.items():
        record = stored.get(offset)
        if record is None or record.key != f"k{record_seq}".encode() or record.value != value_for(record_seq, size):
            missing.append(offset)
    assert not missing, (f"{len(missing)} of {len(delivery.acked)} acknowledged records missing or different "
                         f"after kill -9, e.g. offsets {missing[:5]}; stderr tail:\n{broker.stderr_tail()}")
