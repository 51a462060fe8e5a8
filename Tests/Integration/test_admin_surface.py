"""The admin surface of issue #12 through real admin clients: CreatePartitions, DeleteRecords, ListOffsets with
max timestamp, DescribeLogDirs, OffsetDelete, DescribeProducers, plus the client-visible group and metadata
fixes (Metadata v0 with an empty topic list, commits to unknown topics, the protocol type of an emptied group,
authorized operations).

confluent-kafka 2.16 has no describe_log_dirs, describe_producers or delete_consumer_group_offsets: those go
through kafka-python's KafkaAdminClient (3.x), which has them.
"""

from __future__ import annotations

import struct
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka import ConsumerGroupTopicPartitions, TopicCollection
from confluent_kafka.admin import AdminClient, NewPartitions, OffsetSpec
from kafka import KafkaProducer
from kafka import TopicPartition as KafkaPythonTopicPartition
from kafka.admin import KafkaAdminClient

import confluent_client
import raw_kafka
from group_helpers import group_broker
from kafka_checks import wait_until

TIMEOUT_S = 30


def error_code(error: BaseException) -> int | None:
    """The Kafka error code inside a confluent-kafka exception."""
    if error.args and hasattr(error.args[0], "code"):
        return error.args[0].code()
    return None


def produce(bootstrap: str, topic: str, values: list[bytes], partition: int = 0,
            timestamps_ms: list[int] | None = None) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
    errors = []
    for index, value in enumerate(values):
        extra = {"timestamp": timestamps_ms[index]} if timestamps_ms else {}
        producer.produce(topic, value=value, partition=partition,
                         on_delivery=lambda error, _: errors.append(error) if error else None, **extra)
        producer.flush(TIMEOUT_S)  # one batch per record: several batches, record offsets predictable
    assert producer.flush(TIMEOUT_S) == 0 and not errors, errors


def partition_count(admin: AdminClient, topic: str) -> int:
    return len(admin.list_topics(topic=topic, timeout=10).topics[topic].partitions)


def list_offset(admin: AdminClient, topic: str, partition: int, spec: OffsetSpec):
    tp = TopicPartition(topic, partition)
    return admin.list_offsets({tp: spec}, request_timeout=15)[tp].result(timeout=TIMEOUT_S)


# CreatePartitions ----------------------------------------------------------------------------------------------

def test_create_partitions_grows_a_topic_durably_and_never_shrinks_it(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    confluent_client.create_topic(broker.bootstrap, "growing", partitions=2)

    admin.create_partitions([NewPartitions("growing", 4)], validate_only=True)["growing"].result(timeout=TIMEOUT_S)
    assert partition_count(admin, "growing") == 2, "validate_only must not add partitions"

    admin.create_partitions([NewPartitions("growing", 4)])["growing"].result(timeout=TIMEOUT_S)
    wait_until(lambda: partition_count(admin, "growing") == 4, 15, "metadata to show 4 partitions")
    produce(broker.bootstrap, "growing", [b"in-new-partition"], partition=3)
    records = confluent_client.read(broker.bootstrap, "growing", {3: 0}, {3: 1})
    assert [r.value for r in records] == [b"in-new-partition"]

    for count in (3, 4):
        with pytest.raises(KafkaException) as refused:
            admin.create_partitions([NewPartitions("growing", count)])["growing"].result(timeout=TIMEOUT_S)
        assert error_code(refused.value) == KafkaError.INVALID_PARTITIONS, refused.value
    with pytest.raises(KafkaException) as unknown:
        admin.create_partitions([NewPartitions("no-such-topic", 3)])["no-such-topic"].result(timeout=TIMEOUT_S)
    assert error_code(unknown.value) == KafkaError.UNKNOWN_TOPIC_OR_PART, unknown.value

    broker.restart()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    assert partition_count(admin, "growing") == 4
    assert [r.value for r in confluent_client.read(broker.bootstrap, "growing", {3: 0}, {3: 1})] == [b"in-new-partition"]


def test_create_partitions_with_kafka_python(broker):
    confluent_client.create_topic(broker.bootstrap, "grown-by-python", partitions=1)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        admin.create_partitions({"grown-by-python": 3})
        admin.create_partitions({"grown-by-python": {"count": 5, "assignments": [[1], [1]]}})
        described = admin.describe_topics(["grown-by-python"])
        assert len(described[0]["partitions"]) == 5, described
    finally:
        admin.close()


# DeleteRecords and ListOffsets ---------------------------------------------------------------------------------

def test_delete_records_moves_the_log_start_durably(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    confluent_client.create_topic(broker.bootstrap, "trimmed", partitions=1)
    produce(broker.bootstrap, "trimmed", [f"v{i}".encode() for i in range(10)])

    deleted = admin.delete_records([TopicPartition("trimmed", 0, 4)], request_timeout=15)
    assert list(deleted.values())[0].result(timeout=TIMEOUT_S).low_watermark == 4
    assert list_offset(admin, "trimmed", 0, OffsetSpec.earliest()).offset == 4
    assert list_offset(admin, "trimmed", 0, OffsetSpec.latest()).offset == 10

    with pytest.raises(KafkaException) as beyond:
        list(admin.delete_records([TopicPartition("trimmed", 0, 11)], request_timeout=15).values())[0].result(
            timeout=TIMEOUT_S)
    assert error_code(beyond.value) == KafkaError.OFFSET_OUT_OF_RANGE, beyond.value

    # A fetch below the log start is out of range: the consumer resets to the earliest, which is now 4.
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "trim-reader",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition("trimmed", 0, 1)])
        message = None
        deadline = time.monotonic() + TIMEOUT_S
        while message is None and time.monotonic() < deadline:
            polled = consumer.poll(0.5)
            if polled is not None and polled.error() is None:
                message = polled
        assert message is not None and message.offset() == 4 and message.value() == b"v4"
    finally:
        consumer.close()

    broker.restart()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    assert list_offset(admin, "trimmed", 0, OffsetSpec.earliest()).offset == 4, "the log start survives a restart"


def test_delete_records_to_the_high_watermark_with_kafka_python(broker):
    confluent_client.create_topic(broker.bootstrap, "emptied", partitions=1)
    produce(broker.bootstrap, "emptied", [b"a", b"b", b"c"])
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        result = admin.delete_records({KafkaPythonTopicPartition("emptied", 0): -1})
        assert result[KafkaPythonTopicPartition("emptied", 0)]["low_watermark"] == 3, result
    finally:
        admin.close()
    confluent_admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    assert list_offset(confluent_admin, "emptied", 0, OffsetSpec.earliest()).offset == 3


def test_list_offsets_max_timestamp(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    confluent_client.create_topic(broker.bootstrap, "stamped", partitions=1)
    empty = list_offset(admin, "stamped", 0, OffsetSpec.max_timestamp())
    assert empty.offset == -1, f"an empty partition has no max-timestamp record: {empty}"
    base = 1_700_000_000_000
    produce(broker.bootstrap, "stamped", [b"a", b"b", b"c", b"d"],
            timestamps_ms=[base + 1_000, base + 9_000, base + 3_000, base + 9_000])
    found = list_offset(admin, "stamped", 0, OffsetSpec.max_timestamp())
    assert (found.offset, found.timestamp) == (1, base + 9_000), found
    assert list_offset(admin, "stamped", 0, OffsetSpec.earliest()).offset == 0
    assert list_offset(admin, "stamped", 0, OffsetSpec.latest()).offset == 4
    assert list_offset(admin, "stamped", 0, OffsetSpec.for_timestamp(base + 2_000)).offset == 1


# DescribeLogDirs, DescribeProducers, OffsetDelete (kafka-python) -------------------------------------------------

def test_describe_log_dirs_with_kafka_python(broker):
    confluent_client.create_topic(broker.bootstrap, "sized", partitions=2)
    produce(broker.bootstrap, "sized", [b"x" * 100] * 5, partition=1)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        described = admin.describe_log_dirs()
    finally:
        admin.close()
    # One broker with one log dir holding the topic's two partitions; partition 1 has the five records.
    assert len(described) == 1 and len(described[0]["log_dirs"]) == 1, described
    log_dir = described[0]["log_dirs"][0]
    assert log_dir["error_code"] == 0 and log_dir["log_dir"].endswith("data"), log_dir
    assert log_dir["total_bytes"] > 0 and 0 < log_dir["usable_bytes"] <= log_dir["total_bytes"], log_dir
    topics = {topic["name"]: topic for topic in log_dir["topics"]}
    sizes = {p["partition_index"]: p["partition_size"] for p in topics["sized"]["partitions"]}
    assert sizes[0] == 0 and sizes[1] > 500, log_dir
    assert all(p["offset_lag"] == 0 for p in topics["sized"]["partitions"])


def test_describe_producers_with_kafka_python(broker):
    confluent_client.create_topic(broker.bootstrap, "idempotent", partitions=1)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    base = 1_700_000_000_000
    for index, value in enumerate((b"a", b"b", b"c")):
        producer.produce("idempotent", value=value, partition=0, timestamp=base + index)
    assert producer.flush(TIMEOUT_S) == 0
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        states = admin.describe_producers([KafkaPythonTopicPartition("idempotent", 0)])
    finally:
        admin.close()
    state = states[KafkaPythonTopicPartition("idempotent", 0)]
    assert len(state.active_producers) == 1, state
    only = state.active_producers[0]
    assert only.producer_id >= 0 and only.producer_epoch >= 0 and only.last_sequence == 2, state
    assert only.coordinator_epoch == -1 and only.current_transaction_start_offset == -1, state
    assert only.last_timestamp == base + 2, state


def test_offset_delete_with_kafka_python(broker):
    confluent_client.create_topic(broker.bootstrap, "committed", partitions=2)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    request = ConsumerGroupTopicPartitions("offset-owner", [TopicPartition("committed", 0, 5),
                                                            TopicPartition("committed", 1, 7)])
    admin.alter_consumer_group_offsets([request])["offset-owner"].result(timeout=TIMEOUT_S)

    python_admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        python_admin.delete_group_offsets("offset-owner", [KafkaPythonTopicPartition("committed", 0)])
        remaining = python_admin.list_group_offsets("offset-owner")["offset-owner"]
    finally:
        python_admin.close()
    partitions = {tp.partition: value.offset for tp, value in remaining.items() if value.offset >= 0}
    assert partitions == {1: 7}, remaining

    broker.restart()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("offset-owner")])["offset-owner"]
    offsets = {tp.partition: tp.offset for tp in listed.result(timeout=TIMEOUT_S).topic_partitions if tp.offset >= 0}
    assert offsets == {1: 7}, "the deletion is durable"


# Client-visible fixes ------------------------------------------------------------------------------------------

def test_commit_to_an_unknown_topic_is_refused(broker):
    confluent_client.create_topic(broker.bootstrap, "known", partitions=1)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    request = ConsumerGroupTopicPartitions("committer", [TopicPartition("known", 0, 3),
                                                         TopicPartition("does-not-exist", 0, 5),
                                                         TopicPartition("known", 9, 1)])
    future = admin.alter_consumer_group_offsets([request])["committer"]
    try:
        result = future.result(timeout=TIMEOUT_S)
        errors = {(tp.topic, tp.partition): tp.error for tp in result.topic_partitions}
        assert errors[("known", 0)] is None
        assert errors[("does-not-exist", 0)].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
        assert errors[("known", 9)].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    except KafkaException as error:
        assert "UNKNOWN_TOPIC_OR_PART" in str(error) or error_code(error) == KafkaError.UNKNOWN_TOPIC_OR_PART, error
    listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("committer")])["committer"]
    stored = {(tp.topic, tp.partition) for tp in listed.result(timeout=TIMEOUT_S).topic_partitions if tp.offset >= 0}
    assert ("does-not-exist", 0) not in stored and ("known", 9) not in stored


def test_an_emptied_consumer_group_keeps_its_protocol_type(make_broker):
    broker = group_broker(make_broker, rebalance_delay_ms=100)
    confluent_client.create_topic(broker.bootstrap, "group-input", partitions=1)
    produce(broker.bootstrap, "group-input", [b"one"])
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "emptied", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe(["group-input"])
    deadline = time.monotonic() + TIMEOUT_S
    message = None
    while message is None and time.monotonic() < deadline:
        polled = consumer.poll(0.5)
        if polled is not None and polled.error() is None:
            message = polled
    assert message is not None
    consumer.commit(message=message, asynchronous=False)
    consumer.close()  # LeaveGroup: the group is now empty

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    time.sleep(0.3)  # past a coordinator tick, so an idle group's state machine is dropped too
    listed = admin.list_consumer_groups(request_timeout=10).result(timeout=TIMEOUT_S)
    listing = {group.group_id: group for group in listed.valid}["emptied"]
    assert listing.is_simple_consumer_group is False, listing
    described = admin.describe_consumer_groups(["emptied"], request_timeout=10)["emptied"].result(timeout=TIMEOUT_S)
    assert described.is_simple_consumer_group is False and not described.members, described


def test_metadata_v0_with_an_empty_topic_list_means_all_topics(broker):
    confluent_client.create_topic(broker.bootstrap, "listed-a", partitions=1)
    confluent_client.create_topic(broker.bootstrap, "listed-b", partitions=2)
    sock = raw_kafka.connect(broker.port)
    try:
        sock.sendall(raw_kafka.request_frame(3, 0, 7, struct.pack(">i", 0)))  # Metadata v0, topics: []
        frame = raw_kafka.read_response(sock)
    finally:
        sock.close()
    correlation_id, broker_count = struct.unpack(">ii", frame[:8])
    assert correlation_id == 7
    position = 8
    for _ in range(broker_count):
        position += 4
        (host_length,) = struct.unpack(">h", frame[position:position + 2])
        position += 2 + host_length + 4
    (topic_count,) = struct.unpack(">i", frame[position:position + 4])
    position += 4
    topics = {}
    for _ in range(topic_count):
        error, name_length = struct.unpack(">hh", frame[position:position + 4])
        name = frame[position + 4:position + 4 + name_length].decode()
        position += 4 + name_length
        (partition_count_v0,) = struct.unpack(">i", frame[position:position + 4])
        position += 4
        for _ in range(partition_count_v0):
            position += 2 + 4 + 4
            for _ in range(2):  # replicas, isr
                (count,) = struct.unpack(">i", frame[position:position + 4])
                position += 4 + 4 * count
        topics[name] = (error, partition_count_v0)
    assert topics.get("listed-a") == (0, 1) and topics.get("listed-b") == (0, 2), topics


def test_aiokafka_metadata_v0_bootstrap_lists_every_topic(broker):
    """aiokafka bootstraps with `MetadataRequest([])`; a client that ends up at v0 (an old broker's ApiVersions, or
    a pinned version) reads that as "all topics" and assign()s from the cached metadata. aiokafka 0.14 negotiates
    its version, so the connection is pinned to Metadata v0 here to run aiokafka's own v0 encoding and parsing."""
    import asyncio

    from aiokafka.cluster import ClusterMetadata
    from aiokafka.conn import create_conn
    from aiokafka.protocol.metadata import MetadataRequest

    confluent_client.create_topic(broker.bootstrap, "aio-listed", partitions=2)

    async def bootstrap_metadata():
        conn = await create_conn("127.0.0.1", broker.port)
        try:
            conn._versions[MetadataRequest.API_KEY] = (0, 0)  # as after an old broker's ApiVersions
            return await conn.send(MetadataRequest([]))
        finally:
            conn.close()

    response = asyncio.run(bootstrap_metadata())
    assert type(response).__name__.endswith("_v0"), type(response)
    cluster = ClusterMetadata()
    cluster.update_metadata(response)
    assert cluster.partitions_for_topic("aio-listed") == {0, 1}, response


def test_authorized_operations_are_reported_without_an_authorizer(broker):
    confluent_client.create_topic(broker.bootstrap, "ops", partitions=1)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    described = admin.describe_topics(TopicCollection(["ops"]), include_authorized_operations=True)["ops"].result(
        timeout=TIMEOUT_S)
    names = {str(operation).split(".")[-1] for operation in described.authorized_operations or []}
    assert {"READ", "WRITE", "DESCRIBE", "ALTER", "DELETE"} <= names, described.authorized_operations

    # The cluster's operations (Metadata v8-10 only), through a raw Metadata v8 asking for no topic.
    sock = raw_kafka.connect(broker.port)
    try:
        body = struct.pack(">i???", 0, False, True, True)  # topics: [], no auto-create, include both
        sock.sendall(raw_kafka.request_frame(3, 8, 11, body))
        frame = raw_kafka.read_response(sock)
    finally:
        sock.close()
    (cluster_operations,) = struct.unpack(">i", frame[-4:])
    (topic_count,) = struct.unpack(">i", frame[-8:-4])
    assert topic_count == 0
    # DESCRIBE (8), CREATE (5), ALTER (7), CLUSTER_ACTION (9), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11),
    # IDEMPOTENT_WRITE (12): what Kafka without an authorizer answers for the cluster.
    assert cluster_operations == sum(1 << code for code in (5, 7, 8, 9, 10, 11, 12)), bin(cluster_operations)


# With authorization on --------------------------------------------------------------------------------------------

ALICE_PASSWORD = "alice-password-1"


@pytest.fixture
def guarded(make_broker, broker_binary):
    """Authorization on; the loopback PLAINTEXT listener is a super user (the admin door); alice, over
    SASL_PLAINTEXT, may READ and DESCRIBE topics prefixed `alice.` and nothing else."""
    import subprocess

    from conftest import free_port

    sasl_port = free_port()
    broker = make_broker(start=False)
    broker.extra_args = ("--listener", f"PLAINTEXT://{broker.bootstrap}", "--listener",
                         f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}", "--authorization", "on",
                         "--super-users", "User:ANONYMOUS")
    broker.start()
    subprocess.run([broker_binary, "user", "create", "alice", "--password-stdin", "--broker", broker.bootstrap],
                   input=ALICE_PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=30)
    for operation in ("READ", "DESCRIBE"):
        added = subprocess.run([broker_binary, "acl", "add", "--principal", "User:alice", "--topic", "alice.", "--prefixed",
                                "--operation", operation, "--broker", broker.bootstrap],
                               text=True, capture_output=True, timeout=30)
        assert added.returncode == 0, added.stderr
    broker.alice = {"bootstrap.servers": f"127.0.0.1:{sasl_port}", "security.protocol": "SASL_PLAINTEXT",
                    "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "alice", "sasl.password": ALICE_PASSWORD}
    return broker


def test_authorized_operations_and_acls_of_the_new_apis(guarded):
    confluent_client.create_topic(guarded.bootstrap, "alice.events", partitions=1)
    produce(guarded.bootstrap, "alice.events", [b"a", b"b"])
    alice = AdminClient(guarded.alice)

    described = alice.describe_topics(TopicCollection(["alice.events"]), include_authorized_operations=True)[
        "alice.events"].result(timeout=TIMEOUT_S)
    names = {str(operation).split(".")[-1] for operation in described.authorized_operations or []}
    assert names == {"READ", "DESCRIBE"}, described.authorized_operations

    # CreatePartitions needs ALTER, DeleteRecords DELETE on the topic: alice has neither.
    with pytest.raises(KafkaException) as grow:
        alice.create_partitions([NewPartitions("alice.events", 2)])["alice.events"].result(timeout=TIMEOUT_S)
    assert error_code(grow.value) == KafkaError.TOPIC_AUTHORIZATION_FAILED, grow.value
    with pytest.raises(KafkaException) as trim:
        list(alice.delete_records([TopicPartition("alice.events", 0, 1)], request_timeout=15).values())[0].result(
            timeout=TIMEOUT_S)
    assert error_code(trim.value) == KafkaError.TOPIC_AUTHORIZATION_FAILED, trim.value
    # ListOffsets with max timestamp needs DESCRIBE, which she has.
    assert list_offset(alice, "alice.events", 0, OffsetSpec.max_timestamp()).offset in (0, 1)

    # The super user may.
    root = AdminClient({"bootstrap.servers": guarded.bootstrap})
    root.create_partitions([NewPartitions("alice.events", 2)])["alice.events"].result(timeout=TIMEOUT_S)
    assert list(root.delete_records([TopicPartition("alice.events", 0, 1)], request_timeout=15).values())[0].result(
        timeout=TIMEOUT_S).low_watermark == 1


def test_describe_groups_reports_authorized_operations(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    confluent_client.create_topic(broker.bootstrap, "ops-group-topic", partitions=1)
    request = ConsumerGroupTopicPartitions("ops-group", [TopicPartition("ops-group-topic", 0, 1)])
    admin.alter_consumer_group_offsets([request])["ops-group"].result(timeout=TIMEOUT_S)
    described = admin.describe_consumer_groups(["ops-group"], include_authorized_operations=True,
                                               request_timeout=10)["ops-group"].result(timeout=TIMEOUT_S)
    names = {str(operation).split(".")[-1] for operation in described.authorized_operations or []}
    assert names == {"READ", "DESCRIBE", "DELETE"}, described.authorized_operations


def test_list_offsets_special_timestamps_with_kafka_python(broker):
    """kafka-python negotiates ListOffsets v9 for EARLIEST_LOCAL (v8) and LATEST_TIERED (v9)."""
    from kafka.admin import OffsetSpec as PythonOffsetSpec

    confluent_client.create_topic(broker.bootstrap, "specs", partitions=1)
    base = 1_700_000_000_000
    produce(broker.bootstrap, "specs", [b"a", b"b", b"c", b"d"],
            timestamps_ms=[base + 5, base + 50, base + 20, base + 10])
    confluent_admin = AdminClient({"bootstrap.servers": broker.bootstrap})  # kept alive until the answer
    deleted = confluent_admin.delete_records([TopicPartition("specs", 0, 1)], request_timeout=15)
    assert list(deleted.values())[0].result(timeout=TIMEOUT_S).low_watermark == 1
    tp = KafkaPythonTopicPartition("specs", 0)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        answers = {spec: admin.list_partition_offsets({tp: spec})[tp] for spec in PythonOffsetSpec}
    finally:
        admin.close()
    assert answers[PythonOffsetSpec.EARLIEST].offset == 1, answers
    assert answers[PythonOffsetSpec.EARLIEST_LOCAL].offset == 1, "no tiered storage: the local start is the start"
    assert answers[PythonOffsetSpec.LATEST].offset == 4, answers
    assert answers[PythonOffsetSpec.LATEST_TIERED].offset == -1, "nothing is tiered, as Kafka answers then"
    assert (answers[PythonOffsetSpec.MAX_TIMESTAMP].offset, answers[PythonOffsetSpec.MAX_TIMESTAMP].timestamp) == (
        1, base + 50), answers


def test_offset_for_leader_epoch(broker):
    """A raw OffsetForLeaderEpoch v3: epoch 0 (the only one) ends at the high watermark; others are unknown."""
    confluent_client.create_topic(broker.bootstrap, "epochs", partitions=1)
    produce(broker.bootstrap, "epochs", [b"a", b"b", b"c"])

    def partition(index: int, current_epoch: int, epoch: int) -> bytes:
        return struct.pack(">iii", index, current_epoch, epoch)

    name = b"epochs"
    cases = [partition(0, -1, 0), partition(0, 0, 7), partition(0, 3, 0), partition(5, -1, 0)]
    body = struct.pack(">ii", -1, 1) + struct.pack(">h", len(name)) + name + struct.pack(">i", len(cases)) + b"".join(cases)
    sock = raw_kafka.connect(broker.port)
    try:
        sock.sendall(raw_kafka.request_frame(23, 3, 5, body))
        frame = raw_kafka.read_response(sock)
    finally:
        sock.close()
    correlation_id, _throttle, topic_count, name_length = struct.unpack(">iiih", frame[:14])
    assert (correlation_id, topic_count, frame[14:14 + name_length]) == (5, 1, name)
    position = 14 + name_length
    (count,) = struct.unpack(">i", frame[position:position + 4])
    position += 4
    answers = [struct.unpack(">hiiq", frame[position + 18 * i: position + 18 * (i + 1)]) for i in range(count)]
    assert answers == [
        (0, 0, 0, 3),  # epoch 0 ends at the high watermark
        (0, 0, -1, -1),  # epoch 7 is unknown: epoch -1, offset -1, as Kafka answers
        (75, 0, -1, -1),  # current epoch 3 is ahead of this broker's 0: UNKNOWN_LEADER_EPOCH
        (3, 5, -1, -1),  # no partition 5
    ], answers


def test_a_subscribed_consumer_group_picks_up_new_partitions(make_broker):
    broker = group_broker(make_broker, rebalance_delay_ms=100)
    confluent_client.create_topic(broker.bootstrap, "widening", partitions=1)
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "wideners", "auto.offset.reset": "earliest",
                         "topic.metadata.refresh.interval.ms": 500})
    consumer.subscribe(["widening"])
    try:
        produce(broker.bootstrap, "widening", [b"old"], partition=0)
        seen: dict[int, list[bytes]] = {}

        def poll_until(predicate) -> None:
            deadline = time.monotonic() + TIMEOUT_S
            while not predicate() and time.monotonic() < deadline:
                message = consumer.poll(0.2)
                if message is not None and message.error() is None:
                    seen.setdefault(message.partition(), []).append(message.value())
            assert predicate(), seen

        poll_until(lambda: seen.get(0) == [b"old"])
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_partitions([NewPartitions("widening", 3)])["widening"].result(timeout=TIMEOUT_S)
        produce(broker.bootstrap, "widening", [b"new"], partition=2)
        poll_until(lambda: seen.get(2) == [b"new"])
    finally:
        consumer.close()


def test_java_admin_client_uses_the_admin_surface(broker):
    """Apache Kafka's Java AdminClient 3.9 (kafka-clients from install-deps.sh) through every new API."""
    from java_client import run_java

    result = run_java("AdminSurface.java", broker.bootstrap, "java-surface", timeout_s=240)
    assert result == {
        "partitions": 3, "shrink_refused": "InvalidPartitionsException",
        "max_timestamp_offset": 1, "max_timestamp": 1_700_000_009_000,
        "low_watermark": 2, "earliest": 2,
        "log_dirs": 1, "partition_size_positive": True, "usable_bytes_known": True,
        "producers": 1, "producer_last_sequence": 3, "producer_last_timestamp": 1_700_000_002_000,
        "offsets_left": "[1]", "unknown_topic_commit_refused": "UnknownTopicOrPartitionException",
        "topic_operations": 8,
    }, result
