"""confluent-kafka (librdkafka) helpers shared by several tests: topic creation, producing, and a Reader.

Consumers use manual assignment with explicit offsets (Sluice has no consumer groups yet). The Python
wrapper refuses to build a Consumer without `group.id`, so one is set, with auto commit and offset storing
off; librdkafka then also looks up a group coordinator in the background, which a broker without
FindCoordinator may leave unanswered: manual assignment does not depend on it.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kafka_checks import PARTITIONS, Fetched, Reader, Record

READ_TIMEOUT_S = 120.0


def create_topic(bootstrap: str, topic: str, partitions: int = PARTITIONS) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  operation_timeout=10, request_timeout=15)
    futures[topic].result(timeout=30)
    # Metadata may lag the create on some brokers: wait until the topic shows all its partitions.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        metadata = admin.list_topics(topic=topic, timeout=5)
        described = metadata.topics.get(topic)
        if described is not None and described.error is None and len(described.partitions) == partitions:
            return
        time.sleep(0.1)
    raise AssertionError(f"topic {topic} not visible with {partitions} partitions after creating it")


def producer(bootstrap: str, **overrides) -> Producer:
    config = {"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
              "queue.buffering.max.messages": 200000, "acks": "all"}
    config.update(overrides)
    return Producer(config)


def produce_records(bootstrap: str, topic: str, records: list[Record], codec: str,
                    on_delivery: Optional[Callable] = None) -> None:
    """Produce `records` with one producer using `codec`; fails on any delivery error."""
    errors = []

    def delivered(error, message):
        if error is not None:
            errors.append(error)

    client = producer(bootstrap, **{"compression.type": codec})
    for record in records:
        while True:
            try:
                kwargs = dict(key=record.key, value=record.value, partition=record.partition,
                              on_delivery=on_delivery or delivered)
                if record.timestamp is not None:
                    kwargs["timestamp"] = record.timestamp
                client.produce(topic, **kwargs)
                break
            except BufferError:
                client.poll(0.05)
        client.poll(0)
    remaining = client.flush(60)
    assert remaining == 0, f"{remaining} records still undelivered after 60 s"
    assert not errors, f"delivery errors: {errors[:5]}"


def consumer(bootstrap: str, **overrides) -> Consumer:
    config = {"bootstrap.servers": bootstrap, "group.id": "sluice-integration-manual-assign",
              "enable.auto.commit": False, "enable.auto.offset.store": False,
              "enable.partition.eof": False, "fetch.wait.max.ms": 100,
              "queued.max.messages.kbytes": 65536}
    config.update(overrides)
    return Consumer(config)


def read(bootstrap: str, topic: str, starts: dict[int, int], stops: dict[int, int]) -> list[Fetched]:
    """Read each partition from starts[p] up to (not including) stops[p] (end offsets are checked separately)."""
    wanted = {p: stops[p] for p, start in starts.items() if start < stops[p]}
    fetched: list[Fetched] = []
    if not wanted:
        return fetched
    client = consumer(bootstrap)
    try:
        client.assign([TopicPartition(topic, p, starts[p]) for p in wanted])
        position = dict(starts)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(position[p] < stops[p] for p in wanted):
            if time.monotonic() > deadline:
                raise AssertionError(f"confluent-kafka: reading {topic} timed out at positions {position}, "
                                     f"wanted up to {stops}")
            for message in client.consume(num_messages=10000, timeout=0.5):
                if message.error() is not None:
                    raise AssertionError(f"confluent-kafka consumer error: {message.error()}")
                p, offset = message.partition(), message.offset()
                fetched.append(Fetched(p, offset, message.key(), message.value(), message.timestamp()[1]))
                position[p] = max(position.get(p, 0), offset + 1)
        return fetched
    finally:
        client.close()


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    client = consumer(bootstrap)
    try:
        return {p: client.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                for p in range(PARTITIONS)}
    finally:
        client.close()


def offsets_for_time(bootstrap: str, topic: str, timestamp_ms: int) -> dict[int, Optional[int]]:
    client = consumer(bootstrap)
    try:
        found = client.offsets_for_times([TopicPartition(topic, p, timestamp_ms) for p in range(PARTITIONS)],
                                         timeout=10)
        result = {}
        for tp in found:
            if tp.error is not None:
                raise KafkaException(tp.error)
            result[tp.partition] = tp.offset if tp.offset >= 0 else None
        return result
    finally:
        client.close()


def reader(bootstrap: str) -> Reader:
    return Reader(
        end_offsets=lambda topic: end_offsets(bootstrap, topic),
        offsets_for_time=lambda topic, ts: offsets_for_time(bootstrap, topic, ts),
        read=lambda topic, starts, stops: read(bootstrap, topic, starts, stops),
    )

