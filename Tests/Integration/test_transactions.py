"""Transactions end to end with real clients (decision 0004).

1. confluent-kafka (librdkafka): a transactional producer commits records and consumer offsets
   (`send_offsets_to_transaction`), aborts a transaction, commits another; a `read_committed` consumer sees the
   committed records only, a `read_uncommitted` one sees all of them, and the group's offset is the one the
   transaction committed.
2. A second producer with the same transactional id fences the first: the first's open transaction is aborted
   and its commit fails as fenced.
3. `kill -9` of the broker in the middle of a transaction: after the restart the open transaction is aborted,
   every committed record is still there, `read_committed` readers are not held back, and the id works again.
4. kafka-python and aiokafka transactional producers, read back with `read_committed`.

Only the `make_broker` fixture of conftest.py is used; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TIMEOUT_S = 30.0
INVALID_TXN_STATE = 48


def create_topics(bootstrap: str, *names: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names])
    for future in futures.values():
        future.result(timeout=TIMEOUT_S)


def transactional_producer(bootstrap: str, transactional_id: str, **overrides) -> Producer:
    config = {
        "bootstrap.servers": bootstrap,
        "transactional.id": transactional_id,
        "transaction.timeout.ms": 20000,
        "linger.ms": 5,
    }
    config.update(overrides)
    producer = Producer(config)
    producer.init_transactions(TIMEOUT_S)
    return producer


def produce(producer: Producer, topic: str, values: list[str], partitions: int = 1) -> None:
    for index, value in enumerate(values):
        producer.produce(topic, value=value.encode(), partition=index % partitions)
    assert producer.flush(TIMEOUT_S) == 0


def read_all(bootstrap: str, topic: str, isolation: str, partitions: int = 1) -> list[str]:
    """Every value of `topic` from the start, reading until each partition reports its end."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"reader-{isolation}-{time.monotonic_ns()}",
        "isolation.level": isolation,
        "enable.partition.eof": True,
        "enable.auto.commit": False,
    })
    try:
        consumer.assign([TopicPartition(topic, partition, 0) for partition in range(partitions)])
        values: list[str] = []
        at_end: set[int] = set()
        deadline = time.monotonic() + TIMEOUT_S
        while len(at_end) < partitions:
            assert time.monotonic() < deadline, f"{isolation} read of {topic} did not reach the end: {values}"
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() == -191:  # _PARTITION_EOF
                    at_end.add(message.partition())
                    continue
                raise KafkaException(message.error())
            at_end.discard(message.partition())
            values.append(message.value().decode())
        return values
    finally:
        consumer.close()


def high_watermark(bootstrap: str, topic: str, isolation: str, partition: int = 0) -> int:
    """ListOffsets "latest": the log end, or under read_committed the last stable offset."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks", "isolation.level": isolation})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=TIMEOUT_S)[1]
    finally:
        consumer.close()


def test_commit_abort_and_offsets_with_confluent_kafka(make_broker):
    broker = make_broker(fsync="always")
    create_topics(broker.bootstrap, "txn-out", "txn-in", partitions=2)
    producer = transactional_producer(broker.bootstrap, "confluent-txn")
    # read_committed: librdkafka then asks OffsetFetch with require_stable.
    group = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "txn-group", "enable.auto.commit": False,
                      "isolation.level": "read_committed"})
    try:
        producer.begin_transaction()
        produce(producer, "txn-out", [f"first-{index}" for index in range(6)], partitions=2)
        producer.send_offsets_to_transaction(
            [TopicPartition("txn-in", 0, 42), TopicPartition("txn-in", 1, 7)], group.consumer_group_metadata(),
            TIMEOUT_S,
        )
        # Pending: OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT, which librdkafka retries.
        with pytest.raises(KafkaException) as unstable:
            group.committed([TopicPartition("txn-in", 0)], timeout=2)
        assert unstable.value.args[0].code() == KafkaError._TIMED_OUT, unstable.value
        producer.commit_transaction(TIMEOUT_S)

        producer.begin_transaction()
        produce(producer, "txn-out", [f"aborted-{index}" for index in range(6)], partitions=2)
        producer.send_offsets_to_transaction(
            [TopicPartition("txn-in", 0, 99)], group.consumer_group_metadata(), TIMEOUT_S
        )
        producer.abort_transaction(TIMEOUT_S)

        producer.begin_transaction()
        produce(producer, "txn-out", [f"second-{index}" for index in range(4)], partitions=2)
        producer.commit_transaction(TIMEOUT_S)

        committed = read_all(broker.bootstrap, "txn-out", "read_committed", partitions=2)
        assert sorted(committed) == sorted([f"first-{i}" for i in range(6)] + [f"second-{i}" for i in range(4)])
        uncommitted = read_all(broker.bootstrap, "txn-out", "read_uncommitted", partitions=2)
        assert len(uncommitted) == 16 and sum(value.startswith("aborted-") for value in uncommitted) == 6

        offsets = group.committed([TopicPartition("txn-in", 0), TopicPartition("txn-in", 1)], timeout=TIMEOUT_S)
        assert [(tp.partition, tp.offset) for tp in offsets] == [(0, 42), (1, 7)], "the aborted 99 is not there"
    finally:
        group.close()


def test_a_second_producer_with_the_same_id_fences_the_first(make_broker):
    broker = make_broker()
    create_topics(broker.bootstrap, "fenced")
    zombie = transactional_producer(broker.bootstrap, "fencing-txn")
    zombie.begin_transaction()
    produce(zombie, "fenced", ["zombie-0", "zombie-1"])
    # While it is open, "latest" for a read_committed reader is the last stable offset (ListOffsets isolation 1).
    assert high_watermark(broker.bootstrap, "fenced", "read_committed") == 0
    assert high_watermark(broker.bootstrap, "fenced", "read_uncommitted") == 2

    successor = transactional_producer(broker.bootstrap, "fencing-txn")
    with pytest.raises(KafkaException) as raised:
        zombie.commit_transaction(TIMEOUT_S)
    error = raised.value.args[0]
    assert error.fatal() or "fenced" in error.str().lower(), error

    successor.begin_transaction()
    produce(successor, "fenced", ["successor-0"])
    successor.commit_transaction(TIMEOUT_S)
    assert read_all(broker.bootstrap, "fenced", "read_committed") == ["successor-0"]
    assert read_all(broker.bootstrap, "fenced", "read_uncommitted") == ["zombie-0", "zombie-1", "successor-0"]


def test_kill9_mid_transaction_aborts_it_and_keeps_what_was_committed(make_broker):
    broker = make_broker(fsync="always")
    create_topics(broker.bootstrap, "crash-txn", partitions=2)
    producer = transactional_producer(broker.bootstrap, "crash-txn-id")
    producer.begin_transaction()
    produce(producer, "crash-txn", [f"kept-{index}" for index in range(10)], partitions=2)
    producer.commit_transaction(TIMEOUT_S)
    producer.begin_transaction()
    produce(producer, "crash-txn", [f"open-{index}" for index in range(10)], partitions=2)
    for partition in range(2):
        assert high_watermark(broker.bootstrap, "crash-txn", "read_committed", partition) < high_watermark(
            broker.bootstrap, "crash-txn", "read_uncommitted", partition), "the open transaction holds the LSO"

    broker.kill9()
    broker.start()

    # The open transaction was aborted at the restart (abort markers): the LSO is the log end again.
    for partition in range(2):
        assert high_watermark(broker.bootstrap, "crash-txn", "read_committed", partition) == high_watermark(
            broker.bootstrap, "crash-txn", "read_uncommitted", partition)
    committed = read_all(broker.bootstrap, "crash-txn", "read_committed", partitions=2)
    assert sorted(committed) == sorted(f"kept-{index}" for index in range(10))
    assert len(read_all(broker.bootstrap, "crash-txn", "read_uncommitted", partitions=2)) == 20

    successor = transactional_producer(broker.bootstrap, "crash-txn-id")
    successor.begin_transaction()
    produce(successor, "crash-txn", ["after-0", "after-1"], partitions=2)
    successor.commit_transaction(TIMEOUT_S)
    committed = read_all(broker.bootstrap, "crash-txn", "read_committed", partitions=2)
    assert sorted(committed) == sorted([f"kept-{index}" for index in range(10)] + ["after-0", "after-1"])


def test_kafka_python_transactions(make_broker):
    from kafka import KafkaProducer

    broker = make_broker()
    create_topics(broker.bootstrap, "kafka-python-txn")
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="kafka-python-txn")
    try:
        producer.init_transactions()
        producer.begin_transaction()
        for index in range(3):
            producer.send("kafka-python-txn", f"committed-{index}".encode(), partition=0)
        producer.commit_transaction()
        producer.begin_transaction()
        producer.send("kafka-python-txn", b"aborted", partition=0)
        producer.flush()
        producer.abort_transaction()
    finally:
        producer.close(timeout=TIMEOUT_S)
    assert read_all(broker.bootstrap, "kafka-python-txn", "read_committed") == [
        f"committed-{index}" for index in range(3)
    ]


def test_aiokafka_transactions(make_broker):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    broker = make_broker()
    create_topics(broker.bootstrap, "aiokafka-txn")

    async def run() -> list[str]:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id="aiokafka-txn")
        await asyncio.wait_for(producer.start(), TIMEOUT_S)
        try:
            async with producer.transaction():
                for index in range(3):
                    await producer.send_and_wait("aiokafka-txn", f"committed-{index}".encode(), partition=0)
            await producer.begin_transaction()
            await producer.send_and_wait("aiokafka-txn", b"aborted", partition=0)
            await producer.abort_transaction()
            async with producer.transaction():
                await producer.send_and_wait("aiokafka-txn", b"last", partition=0)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            "aiokafka-txn", bootstrap_servers=broker.bootstrap, isolation_level="read_committed",
            auto_offset_reset="earliest", enable_auto_commit=False,
        )
        await asyncio.wait_for(consumer.start(), TIMEOUT_S)
        try:
            values: list[str] = []
            deadline = time.monotonic() + TIMEOUT_S
            while len(values) < 4 and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=500)
                for messages in batches.values():
                    values.extend(message.value.decode() for message in messages)
            return values
        finally:
            await consumer.stop()

    assert asyncio.run(run()) == ["committed-0", "committed-1", "committed-2", "last"]


class Writer:
    """One transactional id driven step by step; remembers what each of its transactions became as far as the
    client knows: "committed" (commit_transaction returned), "aborted" (abort_transaction returned, or the
    transaction failed before its commit was asked) or "unknown" (the commit was asked and failed)."""

    def __init__(self, bootstrap: str, name: str):
        self.bootstrap = bootstrap
        self.name = name
        self.outcomes: dict[str, str] = {}
        self.producer = self.start_producer()
        self.current: str | None = None

    def start_producer(self) -> Producer:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                return transactional_producer(self.bootstrap, self.name, **{"message.timeout.ms": 10000})
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def begin(self, transaction: str, partitions: int) -> None:
        self.current = transaction
        try:
            self.producer.begin_transaction()
            for partition in range(partitions):
                self.producer.produce("ledger", value=f"{transaction}:{partition}".encode(), partition=partition)
            self.producer.flush(TIMEOUT_S)
        except KafkaException:
            self.fail_current("aborted")

    def end(self, commit: bool) -> None:
        transaction = self.current
        if transaction is None:
            return
        self.current = None
        try:
            if commit:
                self.producer.commit_transaction(TIMEOUT_S)
                self.outcomes[transaction] = "committed"
            else:
                self.producer.abort_transaction(TIMEOUT_S)
                self.outcomes[transaction] = "aborted"
        except KafkaException:
            self.current = transaction
            self.fail_current("unknown" if commit else "aborted")

    def fail_current(self, outcome: str) -> None:
        """The transaction failed: start over with a new producer (which aborts whatever is left open)."""
        if self.current is not None:
            self.outcomes[self.current] = outcome
            self.current = None
        self.producer = self.start_producer()


def test_no_aborted_read_torn_transaction_or_lost_commit_across_kill9(make_broker):
    partitions = 3
    broker = make_broker(fsync="always")
    create_topics(broker.bootstrap, "ledger", partitions=partitions)
    writers = [Writer(broker.bootstrap, f"writer-{index}") for index in range(2)]
    for round_index in range(8):
        for writer in writers:
            writer.begin(f"{writer.name}/{round_index}", partitions)
        if round_index in (3, 6):
            # Both writers have a transaction open on every partition: the broker dies.
            broker.kill9()
            broker.start()
        for offset, writer in enumerate(writers):
            writer.end(commit=(round_index + offset) % 3 != 2)

    seen: dict[str, set[int]] = {}
    for value in read_all(broker.bootstrap, "ledger", "read_committed", partitions=partitions):
        transaction, partition = value.rsplit(":", 1)
        seen.setdefault(transaction, set()).add(int(partition))
    outcomes = {transaction: outcome for writer in writers for transaction, outcome in writer.outcomes.items()}
    aborted_reads = [t for t, outcome in outcomes.items() if outcome == "aborted" and t in seen]
    torn = {t: sorted(parts) for t, parts in seen.items() if len(parts) != partitions}
    lost = [t for t, outcome in outcomes.items() if outcome == "committed" and t not in seen]
    assert not aborted_reads, f"aborted transactions read: {aborted_reads}"
    assert not torn, f"torn transactions: {torn}"
    assert not lost, f"committed transactions lost: {lost}"
    assert sum(outcome == "committed" for outcome in outcomes.values()) >= 6, outcomes
    assert sum(outcome == "aborted" for outcome in outcomes.values()) >= 4, outcomes


def test_a_transactional_batch_outside_the_transaction_is_refused(make_broker):
    """Over a raw socket: a transactional batch for a partition the coordinator was not told of gets
    INVALID_TXN_STATE (Kafka 3.6+'s verification) and is not written."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    from test_idempotence import RawConnection

    broker = make_broker()
    create_topics(broker.bootstrap, "unverified")
    connection = RawConnection(broker.port)
    try:
        error_code, producer_id, epoch = connection.init_producer_id("raw-txn")
        assert error_code == 0
        builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=True,
                                            producer_id=producer_id, producer_epoch=epoch, base_sequence=0,
                                            batch_size=1 << 20)
        builder.append(0, timestamp=int(time.time() * 1000), key=None, value=b"stray", headers=[])
        assert connection.produce("unverified", bytes(builder.build()))[0] == INVALID_TXN_STATE
    finally:
        connection.close()
    assert read_all(broker.bootstrap, "unverified", "read_uncommitted") == []


def test_an_expired_transaction_is_aborted_and_its_producer_fenced(make_broker):
    broker = make_broker()
    create_topics(broker.bootstrap, "expiring")
    producer = transactional_producer(
        broker.bootstrap, "expiring-txn", **{"transaction.timeout.ms": 2000, "message.timeout.ms": 2000}
    )
    producer.begin_transaction()
    produce(producer, "expiring", ["late-0", "late-1"])
    assert high_watermark(broker.bootstrap, "expiring", "read_committed") == 0, "open: the LSO holds at 0"
    # The broker checks timeouts once a second: by 4 s the transaction is aborted (two records and the abort
    # marker) and the LSO has moved past it.
    time.sleep(4)
    assert high_watermark(broker.bootstrap, "expiring", "read_committed") == 3
    assert read_all(broker.bootstrap, "expiring", "read_committed") == []
    with pytest.raises(KafkaException):
        producer.commit_transaction(TIMEOUT_S)
    successor = transactional_producer(broker.bootstrap, "expiring-txn")
    successor.begin_transaction()
    produce(successor, "expiring", ["on-time"])
    successor.commit_transaction(TIMEOUT_S)
    assert read_all(broker.bootstrap, "expiring", "read_committed") == ["on-time"]
