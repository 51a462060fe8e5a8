"""`sluice group list|describe|reset` against a group that a confluent-kafka consumer commits in.

* list shows the group (Stable, one member) while the consumer is live;
* describe shows, per partition, the committed offsets the test committed, the end offsets and their lag;
* reset while the consumer is live is refused: non-zero exit, one clear line, offsets unchanged;
* after the consumer closes, reset to an offset, to an ISO-8601 time, to earliest and to latest move the
  committed offsets (checked with describe) and a fresh consumer in the group starts exactly there.
"""

from __future__ import annotations

import datetime
import time

from confluent_kafka import Consumer, TopicPartition

import confluent_client
from group_helpers import describe_group, group_broker, list_groups, sluice, wait_for

TOPIC = "cli-group-topic"
GROUP = "cli-group"
PARTITIONS = 3
PER_PARTITION = 300
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
COMMITTED = {0: 50, 1: 120, 2: 7}


def timestamp_of(p: int, i: int) -> int:
    return BASE_MS + 10 * i + 3 * p


def iso(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def group_consumer(bootstrap: str) -> Consumer:
    return Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 10000, "client.id": "cli-test-consumer"})


def wait_assigned(consumer: Consumer) -> None:
    deadline = time.monotonic() + 30
    while len(consumer.assignment()) < PARTITIONS:
        assert time.monotonic() < deadline, f"consumer not assigned all partitions: {consumer.assignment()}"
        message = consumer.poll(0.2)  # what it reads is not committed (auto commit is off)
        assert message is None or message.error() is None, message.error()


def first_offsets(bootstrap: str) -> dict[int, int]:
    """A fresh consumer in the group: the first offset it reads from each partition (it commits nothing)."""
    consumer = group_consumer(bootstrap)
    consumer.subscribe([TOPIC])
    first: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 30
        while len(first) < PARTITIONS:
            assert time.monotonic() < deadline, f"fresh consumer read only {first}"
            message = consumer.poll(0.2)
            if message is None:
                continue
            assert message.error() is None, message.error()
            first.setdefault(message.partition(), message.offset())
        return first
    finally:
        consumer.close()


def committed_in_describe(broker) -> dict[int, int]:
    _, rows = describe_group(broker, GROUP)
    return {p: rows[(TOPIC, p)].committed for p in range(PARTITIONS) if (TOPIC, p) in rows}


def wait_no_members(broker) -> None:
    wait_for(lambda: describe_group(broker, GROUP)[0].endswith(", 0 members"), 15,
             "describe to show the group without members")


def test_group_cli_list_describe_and_reset(make_broker):
    broker = group_broker(make_broker)
    confluent_client.create_topic(broker.bootstrap, TOPIC, partitions=PARTITIONS)
    producer = confluent_client.producer(broker.bootstrap)
    for i in range(PER_PARTITION):
        for p in range(PARTITIONS):
            producer.produce(TOPIC, value=f"{p}:{i}".encode(), partition=p, timestamp=timestamp_of(p, i))
    assert producer.flush(30) == 0

    consumer = group_consumer(broker.bootstrap)
    consumer.subscribe([TOPIC])
    closed = False
    try:
        wait_assigned(consumer)
        result = consumer.commit(offsets=[TopicPartition(TOPIC, p, o) for p, o in COMMITTED.items()],
                                 asynchronous=False)
        assert all(tp.error is None for tp in result), result

        # list: the group, live.
        groups = list_groups(broker)
        assert GROUP in groups, groups
        assert groups[GROUP][:2] == ["Stable", "1"], f"sluice group list: {GROUP} {groups[GROUP]}"

        # describe: committed, end and lag per partition, and the owner.
        summary, rows = describe_group(broker, GROUP)
        assert "Stable" in summary and summary.endswith(", 1 member"), summary
        assert set(rows) == {(TOPIC, p) for p in range(PARTITIONS)}, rows
        for p, committed in COMMITTED.items():
            row = rows[(TOPIC, p)]
            assert (row.committed, row.end, row.lag) == (committed, PER_PARTITION, PER_PARTITION - committed), row
            assert row.member != "-" and "cli-test-consumer" in row.member, row

        # reset while live: refused with one clear line, nothing moved.
        refused = sluice(broker, "group", "reset", GROUP, "--topic", TOPIC, "--to", "earliest", check=False)
        assert refused.returncode != 0, f"reset of a live group succeeded: {refused.stdout}"
        error_lines = refused.stderr.strip().splitlines()
        assert len(error_lines) == 1, f"expected one line on stderr, got: {refused.stderr!r}"
        assert GROUP in error_lines[0] and "member" in error_lines[0], error_lines[0]
        assert committed_in_describe(broker) == COMMITTED
    finally:
        consumer.close()
        closed = True
    assert closed
    wait_no_members(broker)
    assert list_groups(broker)[GROUP][:2] == ["Empty", "0"], list_groups(broker)

    # reset to an offset.
    out = sluice(broker, "group", "reset", GROUP, "--topic", TOPIC, "--to", "42").stdout
    assert f"reset group {GROUP} on {TOPIC} to 42" in out, out
    assert committed_in_describe(broker) == {p: 42 for p in range(PARTITIONS)}
    assert first_offsets(broker.bootstrap) == {p: 42 for p in range(PARTITIONS)}
    wait_no_members(broker)

    # reset to a time between two records: per partition, the first record at or after it.
    target = timestamp_of(0, 123) + 4
    want = {p: next(i for i in range(PER_PARTITION) if timestamp_of(p, i) >= target) for p in range(PARTITIONS)}
    assert len(set(want.values())) > 1, want  # the partitions differ, so a wrong partition mapping shows
    sluice(broker, "group", "reset", GROUP, "--topic", TOPIC, "--to", iso(target))
    assert committed_in_describe(broker) == want, f"after reset --to {iso(target)}"
    assert first_offsets(broker.bootstrap) == want
    wait_no_members(broker)

    # earliest and latest.
    sluice(broker, "group", "reset", GROUP, "--topic", TOPIC, "--to", "earliest")
    assert committed_in_describe(broker) == {p: 0 for p in range(PARTITIONS)}
    assert first_offsets(broker.bootstrap) == {p: 0 for p in range(PARTITIONS)}
    wait_no_members(broker)
    sluice(broker, "group", "reset", GROUP, "--topic", TOPIC, "--to", "latest")
    _, rows = describe_group(broker, GROUP)
    assert {p: (rows[(TOPIC, p)].committed, rows[(TOPIC, p)].lag) for p in range(PARTITIONS)} == \
        {p: (PER_PARTITION, 0) for p in range(PARTITIONS)}, rows
