"""Three confluent-kafka consumers in one group read 300,000 records from a 6-partition topic; one leaves half-way.

What is checked:
* every sequence number is read (the union has no gap) and nothing that was not produced;
* each partition is owned by one member at a time: the [assigned, revoked] intervals of different members on
  one partition never overlap, and every record was read by a member that owned its partition at that moment;
* whenever a member starts owning a partition it starts reading exactly at the partition's last committed
  offset (0 before any commit), so the survivors take over the leaver's partitions from its commits;
* a record read twice (at-least-once) lies at or after the last offset the earlier reader committed on its
  partition: nothing that was committed is ever read again;
* at the end the group's committed offsets are the end offsets.

Consumers commit explicitly (synchronously) after every 1,000 records they process, when idle, and in
on_revoke; a commit refused because of a rebalance is recorded as not done.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from confluent_kafka import Consumer, KafkaException, TopicPartition

import confluent_client
from group_helpers import describe_group, group_broker

TOPIC = "groups-300k"
PARTITIONS = 6
RECORDS = 300_000
MEMBERS = 3
LEAVER = 0
LEAVE_AFTER = 30_500          # the leaver closes after reading this many records (of ~100,000 it would get),
                              # without committing the last 500: those must be read again, and nothing else
BATCH = 1000
PROCESSING_S = 0.05           # simulated work per BATCH records, so all members are still reading when one leaves
RUN_TIMEOUT_S = 150.0
GROUP = "three-readers"


@dataclass
class Stint:
    member: int
    partition: int
    assigned_at: float
    committed_at_assign: Optional[int]   # the partition's last successful commit (by anyone) when assigned
    revoked_at: Optional[float] = None
    first_offset: Optional[int] = None
    last_commit: Optional[int] = None    # this member's last successful commit on the partition in this stint


@dataclass
class Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    committed: dict[int, int] = field(default_factory=dict)           # partition -> last committed offset
    stints: list[Stint] = field(default_factory=list)
    reads: list[tuple[int, int, int, int, float]] = field(default_factory=list)  # (member, p, offset, seq, t)
    seen: set[int] = field(default_factory=set)
    failed_commits: int = 0
    uncommitted_by_leaver: dict[int, int] = field(default_factory=dict)  # partition -> next offset read, not committed
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def produce(bootstrap: str) -> None:
    producer = confluent_client.producer(bootstrap, **{"compression.type": "lz4", "linger.ms": 20})
    errors = []
    for seq in range(RECORDS):
        while True:
            try:
                producer.produce(TOPIC, value=str(seq).encode(), key=str(seq).encode(), partition=seq % PARTITIONS,
                                 on_delivery=lambda e, m: e and errors.append(e))
                break
            except BufferError:
                producer.poll(0.05)
        if seq % 10000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    assert not errors, errors[:5]


def member(index: int, bootstrap: str, shared: Shared) -> None:
    owned: dict[int, Stint] = {}
    pending: dict[int, int] = {}   # partition -> next offset, read but not yet committed
    consumer: Optional[Consumer] = None

    def commit(partitions=None) -> None:
        offsets = {p: o for p, o in pending.items() if partitions is None or p in partitions}
        for p in offsets:
            del pending[p]
        if not offsets:
            return
        try:
            result = consumer.commit(offsets=[TopicPartition(TOPIC, p, o) for p, o in offsets.items()],
                                     asynchronous=False)
        except KafkaException as error:
            with shared.lock:
                shared.failed_commits += 1
            print(f"member {index}: commit of {offsets} refused: {error}")
            return
        with shared.lock:
            for tp in result:
                if tp.error is not None:
                    shared.failed_commits += 1
                    print(f"member {index}: commit of {tp} refused: {tp.error}")
                    continue
                shared.committed[tp.partition] = tp.offset
                if tp.partition in owned:
                    owned[tp.partition].last_commit = tp.offset

    def on_assign(_consumer, partitions):
        now = time.monotonic()
        with shared.lock:
            for tp in partitions:
                stint = Stint(index, tp.partition, now, shared.committed.get(tp.partition))
                owned[tp.partition] = stint
                shared.stints.append(stint)

    leaving = threading.Event()

    def on_revoke(_consumer, partitions):
        if not leaving.is_set():
            commit({tp.partition for tp in partitions})  # what was processed, before the partitions move
        now = time.monotonic()
        with shared.lock:
            for tp in partitions:
                stint = owned.pop(tp.partition, None)
                if stint is not None:
                    stint.revoked_at = now

    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": GROUP, "client.id": f"member-{index}",
        "enable.auto.commit": False, "auto.offset.reset": "earliest", "enable.partition.eof": False,
        "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000, "fetch.wait.max.ms": 100,
        "partition.assignment.strategy": "range",
    })
    consumer.subscribe([TOPIC], on_assign=on_assign, on_revoke=on_revoke)
    read = 0
    try:
        while not shared.stop.is_set():
            if index == LEAVER and read >= LEAVE_AFTER:
                leaving.set()  # leave as if it crashed after its last commit: what it read since is not committed
                with shared.lock:
                    shared.uncommitted_by_leaver = dict(pending)
                pending.clear()
                break
            # poll() runs rebalance callbacks before it returns a message, so ownership at return time is exact.
            message = consumer.poll(0.2)
            if message is None:
                commit()
                continue
            now = time.monotonic()
            if message.error() is not None:
                with shared.lock:
                    shared.errors.append(f"member {index}: {message.error()}")
                continue
            p, offset = message.partition(), message.offset()
            seq = int(message.value())
            with shared.lock:
                stint = owned.get(p)
                if stint is None:
                    shared.errors.append(f"member {index} read partition {p} offset {offset} without owning it")
                elif stint.first_offset is None:
                    stint.first_offset = offset
                shared.reads.append((index, p, offset, seq, now))
                shared.seen.add(seq)
                if len(shared.seen) >= RECORDS:
                    shared.stop.set()
            pending[p] = offset + 1
            read += 1
            if read % BATCH == 0:
                time.sleep(PROCESSING_S)
                commit()
        commit()
    except Exception as error:  # noqa: BLE001 - reported by the test
        with shared.lock:
            shared.errors.append(f"member {index}: {type(error).__name__}: {error}")
    finally:
        consumer.close()  # dynamic member: on_revoke for what it still owns, then LeaveGroup
        now = time.monotonic()
        with shared.lock:
            for stint in owned.values():
                stint.revoked_at = now
            owned.clear()
        print(f"member {index}: closed after reading {read} records")


def test_three_consumers_read_everything_and_take_over_from_a_leaver(make_broker):
    broker = group_broker(make_broker, rebalance_delay_ms=1000)
    confluent_client.create_topic(broker.bootstrap, TOPIC, partitions=PARTITIONS)
    started = time.monotonic()
    produce(broker.bootstrap)
    print(f"produced {RECORDS} records in {time.monotonic() - started:.1f} s")

    shared = Shared()
    threads = [threading.Thread(target=member, args=(i, broker.bootstrap, shared), name=f"member-{i}", daemon=True)
               for i in range(MEMBERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    leaver = threads[LEAVER]
    leaver.join(RUN_TIMEOUT_S)
    left_at = time.monotonic()
    with shared.lock:
        seen_when_left = len(shared.seen)
    deadline = started + RUN_TIMEOUT_S
    while not shared.stop.is_set() and time.monotonic() < deadline and broker.alive():
        time.sleep(0.2)
    shared.stop.set()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads), "a consumer thread did not finish"
    elapsed = time.monotonic() - started
    print(f"read in {elapsed:.1f} s: {len(shared.reads)} reads, {len(shared.seen)} distinct, "
          f"{shared.failed_commits} refused commits, leaver left at {seen_when_left} distinct records")
    assert broker.alive(), f"broker died; stderr tail:\n{broker.stderr_tail()}"
    assert not shared.errors, shared.errors[:10]

    # The union has no gap and nothing foreign.
    missing = sorted(set(range(RECORDS)) - shared.seen)
    assert not missing, (f"{len(missing)} records never read within {RUN_TIMEOUT_S:.0f} s (first {missing[:10]}); "
                         f"broker stderr tail:\n{broker.stderr_tail()}")
    assert shared.seen == set(range(RECORDS))
    for (m, p, offset, seq, _) in shared.reads:
        assert (seq % PARTITIONS, seq // PARTITIONS) == (p, offset), f"member {m}: seq {seq} at {p}/{offset}"

    # The leaver really left mid-way, and others read its partitions afterwards.
    leaver_stints = [s for s in shared.stints if s.member == LEAVER]
    assert leaver_stints, "the leaver was never assigned a partition"
    assert seen_when_left < RECORDS * 0.9, f"the leaver left only at {seen_when_left} records: not mid-way"
    leaver_partitions = {s.partition for s in leaver_stints}
    # ... while the others were still reading their own: each survivor is assigned partitions mid-log.
    for survivor in set(range(MEMBERS)) - {LEAVER}:
        resumed = [s for s in shared.stints if s.member == survivor and s.first_offset not in (None, 0)]
        assert resumed, f"member {survivor} never resumed a partition mid-log after the rebalance"
    taken_over = {p for (m, p, _, _, t) in shared.reads if m != LEAVER and p in leaver_partitions and t > left_at}
    assert taken_over, f"nobody read the leaver's partitions {leaver_partitions} after it left"

    # One owner at a time, per partition.
    by_partition: dict[int, list[Stint]] = defaultdict(list)
    for stint in shared.stints:
        assert stint.revoked_at is not None, f"stint never ended: {stint}"
        by_partition[stint.partition].append(stint)
    for p, stints in by_partition.items():
        stints.sort(key=lambda s: s.assigned_at)
        for before, after in zip(stints, stints[1:]):
            assert before.revoked_at <= after.assigned_at, (
                f"partition {p} owned by member {before.member} until {before.revoked_at - started:.3f} s and by "
                f"member {after.member} from {after.assigned_at - started:.3f} s: two owners at once")

    # Each stint starts at the committed offset (the takeover starts from the leaver's commits).
    for stint in shared.stints:
        if stint.first_offset is not None:
            want = stint.committed_at_assign or 0
            assert stint.first_offset == want, (
                f"member {stint.member} got partition {stint.partition} when its committed offset was "
                f"{stint.committed_at_assign} but first read offset {stint.first_offset}")

    # Duplicates (at-least-once) only after the earlier reader's last commit on that partition.
    readers: dict[tuple[int, int], list[tuple[float, int]]] = defaultdict(list)
    for (m, p, offset, _, t) in shared.reads:
        readers[(p, offset)].append((t, m))
    duplicates = {key: sorted(v) for key, v in readers.items() if len(v) > 1}
    for (p, offset), reads in duplicates.items():
        first_time, first_member = reads[0]
        stint = next(s for s in shared.stints if s.member == first_member and s.partition == p
                     and s.assigned_at <= first_time <= s.revoked_at)
        assert stint.last_commit is None or offset >= stint.last_commit, (
            f"partition {p} offset {offset} read again although member {first_member} had committed "
            f"{stint.last_commit} on it")
    for stint in sorted(shared.stints, key=lambda s: (s.partition, s.assigned_at)):
        print(f"partition {stint.partition}: member {stint.member} {stint.assigned_at - started:.2f}.."
              f"{stint.revoked_at - started:.2f} s, committed at assign {stint.committed_at_assign}, "
              f"first read {stint.first_offset}, last commit {stint.last_commit}")
    print(f"{len(duplicates)} records read more than once (after their reader's last commit)")
    # With no commit refused, the only records read twice are exactly those the leaver read after its last commit.
    if shared.failed_commits == 0:
        leaver_last = {s.partition: s.last_commit or 0 for s in leaver_stints}
        expected_again = {(p, o) for p, end in shared.uncommitted_by_leaver.items()
                          for o in range(leaver_last[p], end)}
        assert expected_again, "the leaver left nothing uncommitted; the duplicate check would be vacuous"
        assert set(duplicates) == expected_again, (
            f"read twice: {len(duplicates)} records, expected exactly the {len(expected_again)} the leaver read "
            f"after its last commit {leaver_last}; unexpected: {sorted(set(duplicates) - expected_again)[:10]}, "
            f"not re-read: {sorted(expected_again - set(duplicates))[:10]}")

    # The group's committed offsets end at the end offsets.
    _, rows = describe_group(broker, GROUP)
    ends = {p: len(range(p, RECORDS, PARTITIONS)) for p in range(PARTITIONS)}
    assert {p: rows[(TOPIC, p)].committed for p in range(PARTITIONS)} == ends, rows
    assert {p: rows[(TOPIC, p)].end for p in range(PARTITIONS)} == ends, rows
    assert all(rows[(TOPIC, p)].lag == 0 for p in range(PARTITIONS)), rows
