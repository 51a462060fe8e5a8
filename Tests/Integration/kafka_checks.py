"""Client-independent parts of the round-trip tests: the records to produce and the checks on what comes back.

Each client test produces `records_for(...)` with its own client and gives `check_round_trip` a `Reader`: three
small functions built on that same client (end offsets, offset for a timestamp, read a range). The checks are:

* the end offset of each partition equals the number of records produced to it;
* reading from offset 0 gives every record byte-identical (key, value, partition, and timestamp where the
  producer set it), in produce order, at contiguous offsets 0..n-1;
* reading from the middle offset of each partition gives exactly the second half;
* the offset for a timestamp T (ListOffsets by timestamp) is exactly the first offset whose record has a
  timestamp >= T, and reading from there gives exactly the records with timestamp >= T. The producers write
  non-decreasing timestamps per partition (asserted), so those records are a suffix of the partition. No batch
  granularity is tolerated: Kafka resolves a timestamp to the record inside a batch, and so must Sluice.
"""

from __future__ import annotations

import bisect
import os
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional

PARTITIONS = 3
CODECS = ("none", "lz4", "zstd")
RECORDS_PER_CLIENT = int(os.environ.get("SLUICE_IT_RECORDS", "102000"))  # >= 100,000, divisible by 3 * 3


@dataclass(frozen=True)
class Record:
    partition: int
    key: bytes
    value: bytes
    timestamp: Optional[int]  # ms since epoch, or None when the producer let the client pick it
    codec: str


@dataclass(frozen=True)
class Fetched:
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]
    timestamp: int


@dataclass
class Reader:
    end_offsets: Callable[[str], dict[int, int]]
    offsets_for_time: Callable[[str, int], dict[int, Optional[int]]]
    # read(topic, {partition: start offset}, {partition: stop before this offset}) -> records in any order
    read: Callable[[str, dict[int, int], dict[int, int]], list[Fetched]]


def records_for(client: str, total: int = RECORDS_PER_CLIENT, printable: bool = False,
                base_timestamp_ms: Optional[int] = None, seed: int = 0) -> list[Record]:
    """`total` distinct records, a third per codec in order, spread round-robin over the partitions.

    Values are `<client>:<seq>:` plus 0..96 random payload bytes (printable ASCII without tab/newline when
    the client reads lines, e.g. kcat; any byte otherwise). Timestamps are base + seq ms when a base is given,
    so they increase strictly across the whole set and per partition.
    """
    rng = random.Random(f"{client}-{seed}")
    alphabet = bytes(range(0x21, 0x7f))
    records = []
    per_codec = total // len(CODECS)
    for seq in range(total):
        size = rng.randrange(0, 97)
        if printable:
            payload = bytes(rng.choice(alphabet) for _ in range(size))
        else:
            payload = rng.randbytes(size)
        records.append(Record(
            partition=seq % PARTITIONS,
            key=f"{client}-key-{seq:07d}".encode(),
            value=f"{client}:{seq}:".encode() + payload,
            timestamp=None if base_timestamp_ms is None else base_timestamp_ms + seq,
            codec=CODECS[min(seq // per_codec, len(CODECS) - 1)],
        ))
    return records


def by_partition(records: list[Record]) -> dict[int, list[Record]]:
    grouped: dict[int, list[Record]] = {p: [] for p in range(PARTITIONS)}
    for record in records:
        grouped[record.partition].append(record)
    return grouped


def describe(record) -> str:
    value = record.value if record.value is None or len(record.value) < 40 else record.value[:40] + b"..."
    return f"partition={record.partition} key={record.key!r} value={value!r} timestamp={record.timestamp}"


def assert_same_log(expected: list[Record], fetched: list[Fetched], partition: int, first_offset: int,
                    what: str) -> None:
    """`fetched` (one partition) must be `expected` exactly, at offsets first_offset, first_offset + 1, ..."""
    fetched = sorted(fetched, key=lambda f: f.offset)
    offsets = [f.offset for f in fetched]
    expected_offsets = list(range(first_offset, first_offset + len(expected)))
    if offsets != expected_offsets:
        missing = sorted(set(expected_offsets) - set(offsets))[:10]
        extra = sorted(set(offsets) - set(expected_offsets))[:10]
        duplicated = len(offsets) - len(set(offsets))
        raise AssertionError(
            f"{what}: partition {partition}: got {len(offsets)} records, expected {len(expected)} at offsets "
            f"{first_offset}..{first_offset + len(expected) - 1}; first missing {missing}, first unexpected "
            f"{extra}, duplicates {duplicated}")
    for want, got in zip(expected, fetched):
        if (got.partition, got.key, got.value) != (want.partition, want.key, want.value) or (
                want.timestamp is not None and got.timestamp != want.timestamp):
            raise AssertionError(f"{what}: partition {partition} offset {got.offset}: expected {describe(want)}, "
                                 f"got {describe(got)}")


def split_by_partition(fetched: list[Fetched]) -> dict[int, list[Fetched]]:
    grouped: dict[int, list[Fetched]] = {p: [] for p in range(PARTITIONS)}
    for record in fetched:
        assert record.partition in grouped, f"record from unexpected partition {record.partition}"
        grouped[record.partition].append(record)
    return grouped


def check_round_trip(reader: Reader, topic: str, records: list[Record], label: str,
                     quirks: frozenset[str] = frozenset()) -> dict[int, list[Fetched]]:
    """All the read checks described in the module docstring. Returns the log as read from offset 0.

    `quirks` names known deviations of a test peer (see conftest.Broker.quirks); Sluice has none.
    """
    expected = by_partition(records)
    counts = {p: len(expected[p]) for p in range(PARTITIONS)}

    ends = reader.end_offsets(topic)
    if "end-offset-lags" in quirks:
        print(f"{label}: peer quirk: end offsets {ends} for {counts} records; not checked")
    else:
        assert ends == counts, f"{label}: end offsets {ends}, expected {counts} (records produced per partition)"

    # 1. Everything, from the beginning.
    started = time.monotonic()
    log = split_by_partition(reader.read(topic, {p: 0 for p in range(PARTITIONS)}, counts))
    for p in range(PARTITIONS):
        assert_same_log(expected[p], log[p], p, 0, f"{label}: read from offset 0")
    print(f"{label}: read {sum(counts.values())} records from offset 0 in {time.monotonic() - started:.1f} s")
    log = {p: sorted(log[p], key=lambda f: f.offset) for p in range(PARTITIONS)}

    # 2. From the middle offset of each partition.
    middles = {p: counts[p] // 2 for p in range(PARTITIONS)}
    tail = split_by_partition(reader.read(topic, middles, counts))
    for p in range(PARTITIONS):
        assert_same_log(expected[p][middles[p]:], tail[p], p, middles[p], f"{label}: read from offset {middles[p]}")

    # 3. From a timestamp: T is the timestamp of a record in the middle of partition 0's log (as stored).
    for p in range(PARTITIONS):
        stamps = [f.timestamp for f in log[p]]
        assert all(a <= b for a, b in zip(stamps, stamps[1:])), \
            f"{label}: partition {p}: timestamps decrease along the log; the timestamp check needs them ordered"
    target = log[0][len(log[0]) * 2 // 3].timestamp
    found = reader.offsets_for_time(topic, target)
    want_offsets = {}
    for p in range(PARTITIONS):
        stamps = [f.timestamp for f in log[p]]
        first = bisect.bisect_left(stamps, target)
        want_offsets[p] = first if first < len(stamps) else None
    if "timestamp-lookup-wrong" in quirks:
        print(f"{label}: peer quirk: offsets for timestamp {target}: {found}, exact: {want_offsets}; not checked")
        found = want_offsets
    assert found == want_offsets, (
        f"{label}: offsets for timestamp {target}: got {found}, expected the first offset with timestamp >= "
        f"{target} in each partition: {want_offsets}")
    starts = {p: o for p, o in found.items() if o is not None}
    tail = split_by_partition(reader.read(topic, starts, counts))
    for p in range(PARTITIONS):
        start = want_offsets[p] if want_offsets[p] is not None else counts[p]
        want = [r for r, f in zip(expected[p], log[p]) if f.timestamp >= target]
        assert want == expected[p][start:]
        assert_same_log(want, tail[p], p, start, f"{label}: read from timestamp {target}")
    return log


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
