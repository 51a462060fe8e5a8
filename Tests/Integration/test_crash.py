"""kill -9 mid-stream with `--fsync always`: every acknowledged record survives, exactly, and appends resume."""

import time

import pytest
from confluent_kafka import Producer

import confluent_client
from kafka_checks import PARTITIONS, split_by_partition

ACKED_BEFORE_KILL = 30_000
PRODUCE_TIMEOUT_S = 60.0


def test_kill9_keeps_every_acknowledged_record(make_broker):
    broker = make_broker(fsync="always")
    if not broker.persistent:
        pytest.skip(f"{broker.peer} keeps data in memory only")
    topic = "crash"
    confluent_client.create_topic(broker.bootstrap, topic)

    sent: dict[bytes, bytes] = {}             # key -> value of every record handed to the producer
    acked: dict[tuple[int, int], tuple[bytes, bytes]] = {}  # (partition, offset) -> (key, value)
    failed = []

    def delivered(error, message):
        if error is None:
            acked[(message.partition(), message.offset())] = (message.key(), message.value())
        else:
            failed.append(error)

    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5,
                         "compression.type": "lz4", "message.timeout.ms": 10000,
                         "queue.buffering.max.messages": 100000})
    seq = 0
    killed_at = None
    deadline = time.monotonic() + PRODUCE_TIMEOUT_S
    # Produce continuously; kill the broker once enough records are acknowledged, while more are in flight,
    # and keep producing for a moment after the kill.
    while killed_at is None or time.monotonic() < killed_at + 0.5:
        assert time.monotonic() < deadline, f"only {len(acked)} records acknowledged in {PRODUCE_TIMEOUT_S} s"
        key, value = f"crash-{seq}".encode(), f"value-{seq}-".encode() + bytes(seq % 200)
        try:
            producer.produce(topic, key=key, value=value, partition=seq % PARTITIONS, on_delivery=delivered)
            sent[key] = value
            seq += 1
        except BufferError:
            producer.poll(0.01)
        producer.poll(0)
        if killed_at is None and len(acked) >= ACKED_BEFORE_KILL:
            broker.kill9()
            killed_at = time.monotonic()
    # Whatever the producer still holds is not acknowledged: drop it before the broker comes back.
    producer.purge()
    producer.flush(15)
    del producer
    acked_count = len(acked)
    print(f"crash: {seq} records sent, {acked_count} acknowledged, {len(failed)} failed at the kill")
    assert acked_count >= ACKED_BEFORE_KILL

    broker.start()
    ends = confluent_client.end_offsets(broker.bootstrap, topic)
    log = split_by_partition(confluent_client.read(broker.bootstrap, topic, {p: 0 for p in range(PARTITIONS)}, ends))
    stored = {}
    for p, records in log.items():
        offsets = sorted(r.offset for r in records)
        assert offsets == list(range(ends[p])), f"partition {p}: offsets not contiguous from 0 to {ends[p]}"
        for r in records:
            stored[(p, r.offset)] = (r.key, r.value)
            assert sent.get(r.key) == r.value, f"partition {p} offset {r.offset}: record never sent: {r.key!r}"
    lost = [(tp, kv) for tp, kv in acked.items() if stored.get(tp) != kv]
    assert not lost, (f"{len(lost)} of {acked_count} acknowledged records are missing or different after kill -9, "
                      f"e.g. {lost[:3]}; broker stderr:\n{broker.stderr_tail()}")

    # New appends land after the recovered log and read back.
    after = [(f"after-{i}".encode(), f"after-value-{i}".encode(), i % PARTITIONS) for i in range(300)]
    new_acks = {}

    def delivered_after(error, message):
        assert error is None, f"append after recovery failed: {error}"
        new_acks[message.key()] = (message.partition(), message.offset())

    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    for key, value, p in after:
        producer.produce(topic, key=key, value=value, partition=p, on_delivery=delivered_after)
    assert producer.flush(30) == 0
    assert len(new_acks) == len(after)
    for key, (p, offset) in new_acks.items():
        assert offset >= ends[p], f"append after recovery got offset {offset}, below the recovered end {ends[p]}"
    new_ends = confluent_client.end_offsets(broker.bootstrap, topic)
    tail = split_by_partition(confluent_client.read(broker.bootstrap, topic, ends, new_ends))
    got = {r.key: (r.partition, r.offset, r.value) for records in tail.values() for r in records}
    for key, value, p in after:
        assert got.get(key) == (p, new_acks[key][1], value), f"record {key!r} not read back after recovery"
