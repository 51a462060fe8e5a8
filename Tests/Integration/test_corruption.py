"""Corruption is detected, reported and contained; recovery never deletes intact data.

Produce enough to roll many small segments, stop cleanly, then damage the data directory the way the
issue did (a flipped value byte in the middle of a sealed segment, a garbage recovery checkpoint) plus two
broken indexes (one truncated, one zeroed). Start, `kill -9`, start again. Every intact batch must still be
readable (exact count and contents), the damaged batch must be reported (an error-level log line and the
`/metrics` counter) and answer CORRUPT_MESSAGE to a fetch at its offset, and no segment file is removed.
"""

from __future__ import annotations

import re
import struct
import time
import urllib.request

import pytest
from confluent_kafka import KafkaError, TopicPartition

import confluent_client

TOPIC = "corruption"
RECORDS = 12_000
SEGMENT_SIZE_BYTES = 64 * 1024
BATCH_SIZE_BYTES_MAX = 32 * 1024  # a segment must hold the largest batch
SCRUB_BYTES_PER_SECOND = 64 * 1024 * 1024
DETECT_TIMEOUT_S = 30.0

# Kafka record batch v2 header fields (Sources/RecordFormat/RecordBatchHeader.swift).
BASE_OFFSET_AT, BATCH_LENGTH_AT, LAST_OFFSET_DELTA_AT, HEADER_BYTES, LOG_OVERHEAD_BYTES = 0, 8, 23, 61, 12


def batches(path) -> list[tuple[int, int, int, int]]:
    """(position, size, base offset, last offset) of each batch of a segment file."""
    data = path.read_bytes()
    found, position = [], 0
    while position + HEADER_BYTES <= len(data):
        base, length = struct.unpack_from(">qi", data, position + BASE_OFFSET_AT)
        (last_delta,) = struct.unpack_from(">i", data, position + LAST_OFFSET_DELTA_AT)
        size = length + LOG_OVERHEAD_BYTES
        found.append((position, size, base, base + last_delta))
        position += size
    return found


def scrape_metric(broker, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def read_range(bootstrap: str, start: int, stop: int) -> list[tuple[int, bytes]]:
    """(offset, key) of every record in [start, stop) of partition 0; errors past `stop` are not its business
    (reading up to the fence, the next fetch is the one that gets CORRUPT_MESSAGE)."""
    client = confluent_client.consumer(bootstrap)
    fetched: list[tuple[int, bytes]] = []
    try:
        client.assign([TopicPartition(TOPIC, 0, start)])
        position = start
        deadline = time.monotonic() + 120
        while position < stop:
            assert time.monotonic() < deadline, f"reading [{start}, {stop}) timed out at {position}"
            for message in client.consume(num_messages=10000, timeout=0.5):
                if message.error() is not None:
                    assert position >= stop, f"consumer error at {position}: {message.error()}"
                    continue
                if message.offset() < stop:
                    fetched.append((message.offset(), message.key()))
                position = max(position, message.offset() + 1)
        return fetched
    finally:
        client.close()


def end_offset(bootstrap: str) -> int:
    client = confluent_client.consumer(bootstrap)
    try:
        return client.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=10, cached=False)[1]
    finally:
        client.close()


def fetch_error_at(bootstrap: str, offset: int) -> KafkaError | None:
    """The error confluent-kafka reports when consuming from `offset` (None if a record came back)."""
    client = confluent_client.consumer(bootstrap)
    try:
        client.assign([TopicPartition(TOPIC, 0, offset)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for message in client.consume(num_messages=10, timeout=0.5):
                if message.error() is not None:
                    return message.error()
                return None
        raise AssertionError(f"no record and no error at offset {offset} within 20 s")
    finally:
        client.close()


def test_flipped_byte_garbage_checkpoint_and_broken_indexes_lose_nothing_intact(make_broker, tmp_path):
    config = tmp_path / "sluice.toml"
    config.write_text(f"[storage]\nsegment_size_bytes = {SEGMENT_SIZE_BYTES}\n"
                      f"scrub_bytes_per_second = {SCRUB_BYTES_PER_SECOND}\n"
                      f"[limits]\nbatch_size_bytes_max = {BATCH_SIZE_BYTES_MAX}\n")
    broker = make_broker(fsync="always", extra_args=("--config", str(config)))
    if not broker.persistent:
        pytest.skip(f"{broker.peer} keeps data in memory only")
    confluent_client.create_topic(broker.bootstrap, TOPIC, partitions=1)
    client = confluent_client.producer(broker.bootstrap, **{"linger.ms": 2, "batch.num.messages": 100})
    for seq in range(RECORDS):
        while True:
            try:
                client.produce(TOPIC, key=f"k{seq}".encode(), value=b"v" * 40, partition=0)
                break
            except BufferError:
                client.poll(0.05)
    assert client.flush(60) == 0
    del client
    broker.stop()

    partition_dir = broker.data_dir / "topics" / TOPIC / "0"
    logs = sorted(partition_dir.glob("*.log"))
    assert len(logs) >= 6, f"expected several segments, got {len(logs)}"
    # Damage: a value byte in the middle batch of a sealed segment in the middle of the log.
    damaged_log = logs[len(logs) // 2]
    segment_batches = batches(damaged_log)
    position, size, bad_first, bad_last = segment_batches[len(segment_batches) // 2]
    data = bytearray(damaged_log.read_bytes())
    data[position + size - 10] ^= 0x5A
    damaged_log.write_bytes(bytes(data))
    (broker.data_dir / "recovery-point-offset-checkpoint").write_bytes(b"\x00garbage\xff" * 7)
    truncated_index = logs[1].with_suffix(".index")
    truncated_index.write_bytes(truncated_index.read_bytes()[:5])
    zeroed_index = logs[2].with_suffix(".index")
    zeroed_index.write_bytes(bytes(len(zeroed_index.read_bytes())))

    broker.start()
    broker.kill9()
    # The case: an unclean stop with a garbage checkpoint, so recovery scans every segment from 0.
    (broker.data_dir / "recovery-point-offset-checkpoint").write_bytes(b"\x00garbage\xff" * 7)
    broker.start()

    deadline = time.monotonic() + DETECT_TIMEOUT_S
    while scrape_metric(broker, "sluice_partition_corrupt_ranges_total") < 1:
        assert time.monotonic() < deadline, f"damage not found in {DETECT_TIMEOUT_S} s:\n{broker.stderr_tail()}"
        time.sleep(0.2)
    while scrape_metric(broker, "sluice_scrubber_verified_bytes_total") <= 0:
        assert time.monotonic() < deadline, "the scrubber verified nothing"
        time.sleep(0.2)

    log_text = broker.stderr_path.read_text(errors="replace")
    reported = [line for line in log_text.splitlines() if "corrupt data in segment" in line]
    assert reported and all("error" in line for line in reported), reported
    assert re.search(rf"offsets \[{bad_first}, {bad_last + 1}\)", reported[-1]), reported[-1]
    assert any("found by" not in line for line in reported), "recovery's full scan reports it too"
    assert "deleted segment" not in log_text and "truncated segment" not in log_text
    assert any("ignoring the recovery checkpoint" in line and "error" in line for line in log_text.splitlines())

    # Nothing deleted, nothing cut: the same segment files, the same end offset.
    assert sorted(partition_dir.glob("*.log")) == logs
    assert end_offset(broker.bootstrap) == RECORDS

    before = read_range(broker.bootstrap, 0, bad_first)
    assert before == [(offset, f"k{offset}".encode()) for offset in range(bad_first)]
    after = read_range(broker.bootstrap, bad_last + 1, RECORDS)
    assert after == [(offset, f"k{offset}".encode()) for offset in range(bad_last + 1, RECORDS)]
    print(f"corruption: batch [{bad_first}, {bad_last}] of {damaged_log.name} fenced; "
          f"{len(before) + len(after)} of {RECORDS} records read back")

    # Kafka's CORRUPT_MESSAGE (2) is librdkafka's INVALID_MSG.
    error = fetch_error_at(broker.bootstrap, bad_first)
    assert error is not None and error.code() == KafkaError.INVALID_MSG, error
    assert fetch_error_at(broker.bootstrap, bad_last + 1) is None
