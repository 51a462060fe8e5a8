"""Static membership (KIP-345) with confluent-kafka: a member with `group.instance.id` that restarts within its
session timeout gets its partitions back without a rebalance.

Two members (instance ids static-a, static-b) share a 4-partition topic. static-a closes (librdkafka sends no
LeaveGroup for a static member) and a new consumer with the same instance id starts a moment later; then the
same for static-b. Checked each time: the new incarnation is assigned exactly the partitions the old one had;
the other member sees no revoke or assign callback; the group stays at the same generation (probed with a raw
Heartbeat, which the broker answers ILLEGAL_GENERATION for any generation but the current one) with the same
two instance ids; and the new incarnation resumes at the offsets the old one committed. One of the two is the
group's leader, and librdkafka joins with JoinGroup v5 (no KIP-814 skip-assignment): Kafka still answers a
restarted static leader at the same generation, without a rebalance.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

import confluent_client
from group_helpers import RawGroupClient, group_broker, probe_generation, wait_for

TOPIC = "static"
GROUP = "static-group"
PARTITIONS = 4
PER_PARTITION = 200
SESSION_TIMEOUT_MS = 10000
QUIET_AFTER_S = 4.0   # how long static-b is watched for callbacks after static-a is back (4 heartbeats)


@dataclass
class Member:
    instance: str
    bootstrap: str
    assigned: set[int] = field(default_factory=set)
    callbacks: list[tuple[str, float, tuple[int, ...]]] = field(default_factory=list)
    first_offsets: dict[int, int] = field(default_factory=dict)
    processed: dict[int, int] = field(default_factory=dict)   # partition -> next offset, committed per record
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    error: str | None = None
    read_limit: int | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name=self.instance, daemon=True)
        self.thread.start()

    def run(self) -> None:
        def on_assign(_c, partitions):
            parts = tuple(sorted(tp.partition for tp in partitions))
            self.callbacks.append(("assign", time.monotonic(), parts))
            self.assigned |= set(parts)

        def on_revoke(_c, partitions):
            parts = tuple(sorted(tp.partition for tp in partitions))
            self.callbacks.append(("revoke", time.monotonic(), parts))
            self.assigned -= set(parts)

        consumer = Consumer({
            "bootstrap.servers": self.bootstrap, "group.id": GROUP, "group.instance.id": self.instance,
            "client.id": self.instance, "session.timeout.ms": SESSION_TIMEOUT_MS, "heartbeat.interval.ms": 1000,
            "enable.auto.commit": False, "auto.offset.reset": "earliest", "partition.assignment.strategy": "range",
            **({"debug": "cgrp,protocol"} if os.environ.get("SLUICE_IT_RDKAFKA_DEBUG") else {}),  # librdkafka group trace
        })
        try:
            consumer.subscribe([TOPIC], on_assign=on_assign, on_revoke=on_revoke)
            read = 0
            while not self.stop.is_set():
                message = consumer.poll(0.1)
                if message is None or (self.read_limit is not None and read >= self.read_limit):
                    continue
                if message.error() is not None:
                    self.error = str(message.error())
                    continue
                p = message.partition()
                self.first_offsets.setdefault(p, message.offset())
                self.processed[p] = message.offset() + 1
                consumer.commit(offsets=[TopicPartition(TOPIC, p, message.offset() + 1)], asynchronous=False)
                read += 1
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = f"{type(error).__name__}: {error}"
        finally:
            consumer.close()  # a static member: no LeaveGroup

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), f"{self.instance} did not close"


def restart_without_rebalance(broker, restarting: Member, other: Member) -> Member:
    """Close `restarting` (no LeaveGroup) and start a new consumer with its instance id; check that it gets the same
    partitions, resumes at its commits, and that `other` sees no rebalance and the generation does not move."""
    raw = RawGroupClient(broker.port)
    try:
        before = raw.describe_group(GROUP)
        assert before.state == "Stable" and len(before.members) == 2, before
        other_id = next(m for m, client, _ in before.members if client == other.instance)
        generation = probe_generation(broker.port, GROUP, other_id, other.instance)
        other_callbacks = list(other.callbacks)
        partitions = set(restarting.assigned)
        committed = {p: restarting.processed.get(p) for p in partitions}

        closed_at = time.monotonic()
        restarting.close()
        assert restarting.error is None, restarting.error
        new = Member(restarting.instance, broker.bootstrap)
        new.start()
        wait_for(lambda: new.assigned, SESSION_TIMEOUT_MS / 1000 - 2, f"the restarted {new.instance} to be assigned")
        restarted_in = time.monotonic() - closed_at
        assert restarted_in < SESSION_TIMEOUT_MS / 1000, f"restart took {restarted_in:.1f} s, beyond the session"
        wait_for(lambda: set(new.first_offsets) >= {p for p in partitions if (committed[p] or 0) < PER_PARTITION},
                 15, f"the restarted {new.instance} to read")
        time.sleep(QUIET_AFTER_S)

        assert new.assigned == partitions, (
            f"restarted {new.instance} got {sorted(new.assigned)}, the old one had {sorted(partitions)}")
        assert other.callbacks == other_callbacks, (
            f"{other.instance} saw a rebalance while {new.instance} restarted (closed at {closed_at:.3f}): "
            f"callbacks before {other_callbacks}, now {other.callbacks}; broker stderr tail:\n{broker.stderr_tail(30)}")
        for p, offset in committed.items():
            if (offset or 0) < PER_PARTITION:
                assert new.first_offsets.get(p) == (offset or 0), (
                    f"restarted {new.instance} started partition {p} at {new.first_offsets.get(p)}; committed was {offset}")
        after = raw.describe_group(GROUP)
        assert after.state == "Stable" and len(after.members) == 2, after
        assert any(m == other_id for m, _, _ in after.members), f"{other.instance}'s member id changed: {before} -> {after}"
        now = probe_generation(broker.port, GROUP, other_id, other.instance)
        assert now == generation, f"the generation moved from {generation} to {now} while {new.instance} restarted"
        print(f"{new.instance} restarted in {restarted_in:.1f} s, generation {generation} kept, "
              f"partitions {sorted(partitions)} back, {other.instance} callbacks {other.callbacks}")
        return new
    finally:
        raw.close()


def test_static_members_restart_keeps_partitions_without_rebalance(make_broker):
    """Both members restart in turn, so the group's leader is among them whichever it is: Kafka rebalances for
    neither (a static leader's rejoin is answered at the same generation)."""
    broker = group_broker(make_broker, rebalance_delay_ms=1000)
    confluent_client.create_topic(broker.bootstrap, TOPIC, partitions=PARTITIONS)
    producer = confluent_client.producer(broker.bootstrap)
    for seq in range(PARTITIONS * PER_PARTITION):
        producer.produce(TOPIC, value=str(seq).encode(), partition=seq % PARTITIONS)
    assert producer.flush(30) == 0

    a = Member("static-a", broker.bootstrap, read_limit=150)   # both leave part of their partitions unread
    b = Member("static-b", broker.bootstrap, read_limit=150)
    members = [a, b]
    try:
        a.start()
        b.start()
        wait_for(lambda: len(a.assigned) + len(b.assigned) == PARTITIONS and not (a.assigned & b.assigned)
                 and sum(a.processed.values()) >= 150 and sum(b.processed.values()) >= 150, 30,
                 "both static members assigned and reading")
        time.sleep(1.0)  # let the last commits land and the group settle
        for m in (a, b):
            assert len(m.callbacks) == 1 and m.callbacks[0][0] == "assign", f"{m.instance} callbacks: {m.callbacks}"

        a2 = restart_without_rebalance(broker, a, b)
        members.append(a2)
        b2 = restart_without_rebalance(broker, b, a2)
        members.append(b2)

        # The admin API agrees: two members, the same instance ids.
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        described = admin.describe_consumer_groups([GROUP], request_timeout=10)[GROUP].result(timeout=15)
        instances = sorted(m.group_instance_id for m in described.members)
        assert instances == ["static-a", "static-b"], described
    finally:
        for member in members:
            if member.thread is not None and member.thread.is_alive():
                member.close()
    for member in members:
        assert member.error is None, f"{member.instance}: {member.error}"
