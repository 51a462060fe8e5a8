"""kafka-python and aiokafka consumer groups: commit, close, and a new consumer in the group resumes exactly at the
committed offsets; after `kill -9` of the broker the committed offsets are intact (OffsetFetch through the
client, `sluice group describe`) and a consumer resumes exactly there again.

Each consumer processes records one at a time and stops after an arbitrary count (so commits land inside
fetched batches), then commits offset-of-last-processed + 1 per partition explicitly.
"""

from __future__ import annotations

import asyncio
import time
from typing import Optional

import pytest

import confluent_client
from group_helpers import describe_group, group_broker

PARTITIONS = 3
PER_PARTITION = 1000
TIMEOUT_S = 60.0


def produce(bootstrap: str, topic: str) -> None:
    producer = confluent_client.producer(bootstrap, **{"linger.ms": 5})
    for seq in range(PARTITIONS * PER_PARTITION):
        producer.produce(topic, key=str(seq).encode(), value=f"{seq % PARTITIONS}:{seq // PARTITIONS}".encode(),
                         partition=seq % PARTITIONS)
    assert producer.flush(30) == 0


class KafkaPythonGroup:
    name = "kafka-python"

    def __init__(self, bootstrap: str, topic: str, group: str):
        self.bootstrap, self.topic, self.group = bootstrap, topic, group

    def consume(self, count: int) -> tuple[dict[int, int], dict[int, int]]:
        """Join the group, process `count` records, commit them; (first offset read, committed) per partition."""
        from kafka import KafkaConsumer, TopicPartition
        from kafka.structs import OffsetAndMetadata

        consumer = KafkaConsumer(self.topic, bootstrap_servers=self.bootstrap, group_id=self.group,
                                 enable_auto_commit=False, auto_offset_reset="earliest",
                                 session_timeout_ms=10000, heartbeat_interval_ms=1000)
        first: dict[int, int] = {}
        processed: dict[int, int] = {}
        done = 0
        deadline = time.monotonic() + TIMEOUT_S
        try:
            while done < count:
                assert time.monotonic() < deadline, f"{self.name}: only {done} of {count} records in {TIMEOUT_S} s"
                for tp, messages in consumer.poll(timeout_ms=200, max_records=300).items():
                    for m in messages:
                        if done >= count:
                            break
                        assert m.value == f"{tp.partition}:{m.offset}".encode(), (tp, m.offset, m.value)
                        first.setdefault(tp.partition, m.offset)
                        assert m.offset == processed.get(tp.partition, first[tp.partition] - 1) + 1, (
                            f"{self.name}: partition {tp.partition}: offset {m.offset} after {processed.get(tp.partition)}")
                        processed[tp.partition] = m.offset
                        done += 1
            offsets = {TopicPartition(self.topic, p): OffsetAndMetadata(o + 1, "", -1) for p, o in processed.items()}
            consumer.commit(offsets)
            committed = {p: o + 1 for p, o in processed.items()}
            for p, o in committed.items():
                seen = consumer.committed(TopicPartition(self.topic, p))
                assert seen == o, f"{self.name}: committed({p}) right after committing {o}: {seen}"
            return first, committed
        finally:
            consumer.close(autocommit=False)

    def committed(self) -> dict[int, Optional[int]]:
        """OffsetFetch through a consumer of the group that does not join it."""
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group, enable_auto_commit=False)
        try:
            return {p: consumer.committed(TopicPartition(self.topic, p)) for p in range(PARTITIONS)}
        finally:
            consumer.close(autocommit=False)


class AiokafkaGroup:
    name = "aiokafka"

    def __init__(self, bootstrap: str, topic: str, group: str):
        self.bootstrap, self.topic, self.group = bootstrap, topic, group

    def consume(self, count: int) -> tuple[dict[int, int], dict[int, int]]:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        async def run():
            consumer = AIOKafkaConsumer(self.topic, bootstrap_servers=self.bootstrap, group_id=self.group,
                                        enable_auto_commit=False, auto_offset_reset="earliest",
                                        session_timeout_ms=10000, heartbeat_interval_ms=1000)
            await consumer.start()
            first: dict[int, int] = {}
            processed: dict[int, int] = {}
            done = 0
            deadline = time.monotonic() + TIMEOUT_S
            try:
                while done < count:
                    assert time.monotonic() < deadline, f"{self.name}: only {done} of {count} records in {TIMEOUT_S} s"
                    batches = await consumer.getmany(timeout_ms=200, max_records=300)
                    for tp, messages in batches.items():
                        for m in messages:
                            if done >= count:
                                break
                            assert m.value == f"{tp.partition}:{m.offset}".encode(), (tp, m.offset, m.value)
                            first.setdefault(tp.partition, m.offset)
                            assert m.offset == processed.get(tp.partition, first[tp.partition] - 1) + 1
                            processed[tp.partition] = m.offset
                            done += 1
                committed = {p: o + 1 for p, o in processed.items()}
                await consumer.commit({TopicPartition(self.topic, p): o for p, o in committed.items()})
                for p, o in committed.items():
                    seen = await consumer.committed(TopicPartition(self.topic, p))
                    assert seen == o, f"{self.name}: committed({p}) right after committing {o}: {seen}"
                return first, committed
            finally:
                await consumer.stop()

        return asyncio.run(run())

    def committed(self) -> dict[int, Optional[int]]:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        async def run():
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group,
                                        enable_auto_commit=False)
            await consumer.start()
            try:
                return {p: await consumer.committed(TopicPartition(self.topic, p)) for p in range(PARTITIONS)}
            finally:
                await consumer.stop()

        return asyncio.run(run())


@pytest.mark.parametrize("client_class", [KafkaPythonGroup, AiokafkaGroup], ids=["kafka-python", "aiokafka"])
def test_group_commits_resume_and_survive_kill9(make_broker, client_class):
    broker = group_broker(make_broker, fsync="always")
    topic, group = f"resume-{client_class.name}", f"resume-{client_class.name}"
    confluent_client.create_topic(broker.bootstrap, topic, partitions=PARTITIONS)
    produce(broker.bootstrap, topic)
    client = client_class(broker.bootstrap, topic, group)

    # 1. A first consumer reads part of the topic and commits.
    first, committed = client.consume(1234)
    assert first == {p: 0 for p in first} and committed, (first, committed)
    assert client.committed() == {p: committed.get(p) for p in range(PARTITIONS)}

    # 2. A new consumer in the group starts exactly at the committed offsets (0 where nothing was committed).
    resumed_first, committed2 = client.consume(1345)
    for p, offset in resumed_first.items():
        assert offset == committed.get(p, 0), (
            f"{client.name}: partition {p}: new consumer started at {offset}, committed offset was {committed.get(p)}")
    after_two = {p: committed2.get(p, committed.get(p)) for p in range(PARTITIONS)}
    assert sum(after_two[p] or 0 for p in range(PARTITIONS)) == 1234 + 1345, after_two
    print(f"{client.name}: committed {committed}, then resumed at {resumed_first} and committed {after_two}")

    # 3. kill -9; the committed offsets are intact.
    broker.kill9()
    broker.start()
    assert client.committed() == after_two, f"{client.name}: committed offsets after kill -9"
    _, rows = describe_group(broker, group)
    for p in range(PARTITIONS):
        row = rows.get((topic, p))
        if after_two[p] is None:
            assert row is None or row.committed is None, row
            continue
        assert row is not None, f"describe shows no row for partition {p}: {rows}"
        assert (row.committed, row.end, row.lag) == (after_two[p], PER_PARTITION, PER_PARTITION - after_two[p]), row

    # 4. And a consumer after the crash resumes exactly there, reading everything that is left.
    left = PARTITIONS * PER_PARTITION - sum(after_two[p] or 0 for p in range(PARTITIONS))
    resumed_first, final = client.consume(left)
    for p, offset in resumed_first.items():
        assert offset == (after_two[p] or 0), (
            f"{client.name}: after kill -9, partition {p} resumed at {offset}, committed offset was {after_two[p]}")
    assert {p: final.get(p, after_two[p]) for p in range(PARTITIONS)} == {p: PER_PARTITION for p in range(PARTITIONS)}
