"""Replay from a timestamp with every client: kcat (`-o s@T`), confluent-kafka, kafka-python and aiokafka look up
the offset for T (ListOffsets by timestamp), seek there and read to the end; each must get exactly the records
whose timestamp is >= T, per partition: none missing, none extra, in offset order.

Records carry explicit, strictly increasing timestamps (base + 2*seq ms, so odd targets fall between two
records) and are produced in several flushed batches, so targets land inside batches, not only on their edges.
"""

from __future__ import annotations

import asyncio
import subprocess
import time

from confluent_kafka import OFFSET_END, TopicPartition as CTopicPartition

import confluent_client

PARTITIONS = 3
RECORDS = 6000
FLUSHES = 8
READ_TIMEOUT_S = 60.0
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def timestamp_of(seq: int) -> int:
    return BASE_MS + 2 * seq


def produce(bootstrap: str, topic: str) -> None:
    producer = confluent_client.producer(bootstrap, **{"compression.type": "lz4", "linger.ms": 5})
    errors = []
    per_flush = RECORDS // FLUSHES + 1
    for seq in range(RECORDS):
        producer.produce(topic, key=f"k{seq}".encode(), value=f"replay:{seq}".encode(), partition=seq % PARTITIONS,
                         timestamp=timestamp_of(seq), on_delivery=lambda e, m: e and errors.append(e))
        if seq % per_flush == per_flush - 1:
            assert producer.flush(30) == 0
    assert producer.flush(30) == 0
    assert not errors, errors[:5]


def expected_from(target: int) -> dict[int, list[tuple[int, bytes, int]]]:
    """(offset, value, timestamp) of every record with timestamp >= target, per partition."""
    want: dict[int, list] = {p: [] for p in range(PARTITIONS)}
    for seq in range(RECORDS):
        p, offset = seq % PARTITIONS, seq // PARTITIONS
        if timestamp_of(seq) >= target:
            want[p].append((offset, f"replay:{seq}".encode(), timestamp_of(seq)))
    return want


def check(client: str, target: int, got: dict[int, list[tuple[int, bytes, int]]]) -> None:
    want = expected_from(target)
    for p in range(PARTITIONS):
        have = got.get(p, [])
        if have != want[p]:
            have_offsets = [o for o, _, _ in have]
            want_offsets = [o for o, _, _ in want[p]]
            raise AssertionError(
                f"{client}: from timestamp {target}, partition {p}: got {len(have)} records (offsets "
                f"{have_offsets[:3]}..{have_offsets[-3:]}), expected {len(want[p])} (offsets {want_offsets[:3]}.."
                f"{want_offsets[-3:]}); first differing: "
                f"{next(((h, w) for h, w in zip(have, want[p]) if h != w), 'length only')}")


def end_offset(p: int) -> int:
    return len(range(p, RECORDS, PARTITIONS))


# One reader per client: target timestamp -> {partition: [(offset, value, timestamp)]} -----------------------------

def read_kcat(bootstrap: str, topic: str, target: int) -> dict[int, list]:
    got = {}
    for p in range(PARTITIONS):
        result = subprocess.run(
            ["kcat", "-C", "-b", bootstrap, "-t", topic, "-p", str(p), "-o", f"s@{target}", "-e", "-q",
             "-f", "%o %T %s\n"], capture_output=True, timeout=READ_TIMEOUT_S)
        assert result.returncode == 0, f"kcat -o s@{target} -p {p}: exit {result.returncode}: {result.stderr!r}"
        rows = []
        for line in result.stdout.decode().splitlines():
            offset, ts, value = line.split(" ", 2)
            rows.append((int(offset), value.encode(), int(ts)))
        got[p] = rows
    return got


def read_confluent(bootstrap: str, topic: str, target: int) -> dict[int, list]:
    consumer = confluent_client.consumer(bootstrap, **{"group.id": "replay-confluent"})
    try:
        found = consumer.offsets_for_times([CTopicPartition(topic, p, target) for p in range(PARTITIONS)], timeout=10)
        starts = {}
        for tp in found:
            assert tp.error is None, f"confluent-kafka offsets_for_times: {tp.error}"
            starts[tp.partition] = tp.offset
        got = {p: [] for p in range(PARTITIONS)}
        # An offset of -1 (OFFSET_END) means no record is that recent: nothing to read there.
        live = {p: o for p, o in starts.items() if o != OFFSET_END}
        assert all(o >= 0 for o in live.values()), f"confluent-kafka offsets_for_times({target}): {starts}"
        if not live:
            return got
        consumer.assign([CTopicPartition(topic, p, o) for p, o in live.items()])
        position = dict(live)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(position[p] < end_offset(p) for p in live):
            assert time.monotonic() < deadline, f"confluent-kafka read timed out at {position}"
            for message in consumer.consume(num_messages=5000, timeout=0.5):
                assert message.error() is None, message.error()
                p = message.partition()
                got[p].append((message.offset(), message.value(), message.timestamp()[1]))
                position[p] = message.offset() + 1
        return got
    finally:
        consumer.close()


def read_kafka_python(bootstrap: str, topic: str, target: int) -> dict[int, list]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=500,
                             request_timeout_ms=30000)
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        found = consumer.offsets_for_times({tp: target for tp in partitions})
        got = {p: [] for p in range(PARTITIONS)}
        live = {tp.partition: found[tp].offset for tp in partitions if found[tp] is not None}
        if not live:
            return got
        consumer.assign([TopicPartition(topic, p) for p in live])
        for p, o in live.items():
            consumer.seek(TopicPartition(topic, p), o)
        position = dict(live)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(position[p] < end_offset(p) for p in live):
            assert time.monotonic() < deadline, f"kafka-python read timed out at {position}"
            for tp, messages in consumer.poll(timeout_ms=500, max_records=5000).items():
                for m in messages:
                    got[tp.partition].append((m.offset, m.value, m.timestamp))
                    position[tp.partition] = m.offset + 1
        return got
    finally:
        consumer.close()


def read_aiokafka(bootstrap: str, topic: str, target: int) -> dict[int, list]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def run():
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            found = await consumer.offsets_for_times({tp: target for tp in partitions})
            live = {tp.partition: found[tp].offset for tp in partitions if found[tp] is not None}
            got = {p: [] for p in range(PARTITIONS)}
            if not live:
                return got
            consumer.assign([TopicPartition(topic, p) for p in live])
            for p, o in live.items():
                consumer.seek(TopicPartition(topic, p), o)
            position = dict(live)
            deadline = time.monotonic() + READ_TIMEOUT_S
            while any(position[p] < end_offset(p) for p in live):
                assert time.monotonic() < deadline, f"aiokafka read timed out at {position}"
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, messages in batches.items():
                    for m in messages:
                        got[tp.partition].append((m.offset, m.value, m.timestamp))
                        position[tp.partition] = m.offset + 1
            return got
        finally:
            await consumer.stop()

    return asyncio.run(run())


READERS = {"kcat": read_kcat, "confluent-kafka": read_confluent, "kafka-python": read_kafka_python,
           "aiokafka": read_aiokafka}


def test_replay_from_timestamp_with_every_client(broker):
    topic = "replay"
    confluent_client.create_topic(broker.bootstrap, topic, partitions=PARTITIONS)
    produce(broker.bootstrap, topic)
    targets = {
        "between two records": timestamp_of(RECORDS // 2) - 1,        # odd: no record has exactly this time
        "exactly a record's": timestamp_of(RECORDS * 2 // 3 + 1),
        "before everything": BASE_MS - 1000,
        "after everything": timestamp_of(RECORDS - 1) + 1,
    }
    failures = []
    for client, read in READERS.items():
        for label, target in targets.items():
            started = time.monotonic()
            try:
                check(client, target, read(broker.bootstrap, topic, target))
            except AssertionError as error:
                failures.append(f"{client}, target {label} ({target}): {error}")
            print(f"{client}: replay from {label} ({target}) in {time.monotonic() - started:.1f} s")
    assert not failures, "\n".join(failures)
