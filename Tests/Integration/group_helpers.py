"""Helpers for the consumer-group tests: a broker with a short initial rebalance delay, the `sluice group` CLI,
and just enough of the classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups)
to speak it over a raw socket, where a test needs to send what no well-behaved client sends.

Raw requests use old, non-flexible versions (JoinGroup v1, SyncGroup v0, Heartbeat v0/v3, LeaveGroup v0,
DescribeGroups v0), encoded by hand from the Kafka protocol guide, so the bytes do not depend on any client
library's choices.
"""

from __future__ import annotations

import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import raw_kafka

# Kafka API keys and error codes used here.
JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, SYNC_GROUP, DESCRIBE_GROUPS = 11, 12, 13, 14, 15
NONE, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS = 0, 22, 25, 27

CLI_TIMEOUT_S = 60


def group_broker(make_broker, rebalance_delay_ms: int = 200, **kwargs):
    """A broker whose `groups.initial_rebalance_delay_ms` comes from a config file (`sluice serve --config`)."""
    probe = make_broker(start=False, **kwargs)
    config = Path(probe.work_dir) / "groups.toml"
    config.write_text(f"[groups]\ninitial_rebalance_delay_ms = {rebalance_delay_ms}\n")
    probe.extra_args = probe.extra_args + ("--config", str(config))
    probe.start()
    return probe


# The sluice CLI ------------------------------------------------------------------------------------------------

def sluice(broker, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([broker.binary, *args, "--broker", broker.bootstrap],
                            capture_output=True, timeout=CLI_TIMEOUT_S, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"sluice {' '.join(args)} exited {result.returncode}:\nstdout: {result.stdout}\n"
                             f"stderr: {result.stderr}\nbroker stderr tail:\n{broker.stderr_tail()}")
    return result


@dataclass(frozen=True)
class DescribedPartition:
    topic: str
    partition: int
    member: str
    committed: Optional[int]
    end: Optional[int]
    lag: Optional[int]


def _number(text: str) -> Optional[int]:
    return None if text == "-" else int(text)


def describe_group(broker, group: str) -> tuple[str, dict[tuple[str, int], DescribedPartition]]:
    """`sluice group describe GROUP`: (the summary line, {(topic, partition): row}).

    The table is TOPIC PARTITION MEMBER COMMITTED END LAG; MEMBER may contain spaces ("client (host)"), so a
    row is split as the first two words, the last three, and whatever lies between.
    """
    out = sluice(broker, "group", "describe", group).stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines and lines[0].startswith(f"group {group}:"), f"unexpected describe output:\n{out}"
    header = [i for i, line in enumerate(lines) if line.split()[:2] == ["TOPIC", "PARTITION"]]
    assert header, f"no TOPIC PARTITION header in describe output:\n{out}"
    rows = {}
    for line in lines[header[0] + 1:]:
        words = line.split()
        assert len(words) >= 6, f"describe row with fewer than 6 columns: {line!r}\n{out}"
        row = DescribedPartition(words[0], int(words[1]), " ".join(words[2:-3]), _number(words[-3]),
                                 _number(words[-2]), _number(words[-1]))
        assert (row.topic, row.partition) not in rows, f"partition listed twice: {line!r}\n{out}"
        rows[(row.topic, row.partition)] = row
    return lines[0], rows


def list_groups(broker) -> dict[str, list[str]]:
    """`sluice group list`: {group: [STATE, MEMBERS, ASSIGNOR...]}."""
    out = sluice(broker, "group", "list").stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines and lines[0].split()[:3] == ["GROUP", "STATE", "MEMBERS"], f"unexpected list output:\n{out}"
    return {line.split()[0]: line.split()[1:] for line in lines[1:]}


# Raw group protocol --------------------------------------------------------------------------------------------

def _string(text: Optional[str]) -> bytes:
    if text is None:
        return struct.pack(">h", -1)
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def _bytes(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        assert self.pos + size <= len(self.data), f"response too short: {self.data.hex()}"
        values = struct.unpack(fmt, self.data[self.pos:self.pos + size])
        self.pos += size
        return values[0] if len(values) == 1 else values

    def string(self) -> Optional[str]:
        length = self.take(">h")
        if length < 0:
            return None
        text = self.data[self.pos:self.pos + length].decode()
        self.pos += length
        return text

    def bytes(self) -> Optional[bytes]:
        length = self.take(">i")
        if length < 0:
            return None
        data = self.data[self.pos:self.pos + length]
        self.pos += length
        return data

    def done(self) -> None:
        assert self.pos == len(self.data), (
            f"{len(self.data) - self.pos} unread bytes at the end of the response: {self.data.hex()}")


def subscription(topics: list[str]) -> bytes:
    """ConsumerProtocolSubscription v0: version, topics, user data."""
    return struct.pack(">hi", 0, len(topics)) + b"".join(_string(t) for t in topics) + _bytes(b"")


def assignment(partitions: dict[str, list[int]]) -> bytes:
    """ConsumerProtocolAssignment v0: version, [topic, [partition]], user data."""
    body = struct.pack(">hi", 0, len(partitions))
    for topic, parts in partitions.items():
        body += _string(topic) + struct.pack(">i", len(parts)) + b"".join(struct.pack(">i", p) for p in parts)
    return body + _bytes(b"")


@dataclass
class JoinResult:
    error: int
    generation: int
    protocol: Optional[str]
    leader: str
    member_id: str
    members: list[tuple[str, bytes]]


@dataclass
class DescribedGroup:
    error: int
    group: str
    state: str
    protocol_type: str
    protocol: str
    members: list[tuple[str, str, str]]  # (member id, client id, client host)


class RawGroupClient:
    """One connection; one request at a time, each answered before the next is sent."""

    def __init__(self, port: int, timeout_s: float = 30.0, client_id: str = "sluice-it-raw"):
        self.sock = raw_kafka.connect(port, timeout_s)
        self.client_id = client_id
        self.correlation = 0

    def close(self) -> None:
        self.sock.close()

    def call(self, api_key: int, version: int, body: bytes) -> Reader:
        self.correlation += 1
        self.sock.sendall(raw_kafka.request_frame(api_key, version, self.correlation, body, client_id=self.client_id))
        frame = raw_kafka.read_response(self.sock)
        reader = Reader(frame)
        correlation = reader.take(">i")
        assert correlation == self.correlation, f"correlation id {correlation}, expected {self.correlation}"
        return reader

    def join_group(self, group: str, member_id: str = "", session_timeout_ms: int = 6000,
                   rebalance_timeout_ms: int = 10000, topics: tuple[str, ...] = ("t",)) -> JoinResult:
        """JoinGroup v1 (no MEMBER_ID_REQUIRED round, no instance id) offering the 'range' protocol."""
        body = (_string(group) + struct.pack(">ii", session_timeout_ms, rebalance_timeout_ms) + _string(member_id)
                + _string("consumer") + struct.pack(">i", 1) + _string("range") + _bytes(subscription(list(topics))))
        r = self.call(JOIN_GROUP, 1, body)
        error, generation = r.take(">hi")
        protocol, leader, member = r.string(), r.string(), r.string()
        members = [(r.string(), r.bytes()) for _ in range(r.take(">i"))]
        r.done()
        return JoinResult(error, generation, protocol, leader, member, members)

    def sync_group(self, group: str, generation: int, member_id: str,
                   assignments: dict[str, bytes]) -> tuple[int, bytes]:
        body = _string(group) + struct.pack(">i", generation) + _string(member_id) + struct.pack(">i", len(assignments))
        for member, data in assignments.items():
            body += _string(member) + _bytes(data)
        r = self.call(SYNC_GROUP, 0, body)
        error, data = r.take(">h"), r.bytes()
        r.done()
        return error, data

    def heartbeat(self, group: str, generation: int, member_id: str,
                  instance_id: Optional[str] = None, version: int = 0) -> int:
        body = _string(group) + struct.pack(">i", generation) + _string(member_id)
        if version >= 3:
            body += _string(instance_id)
        r = self.call(HEARTBEAT, version, body)
        if version >= 1:
            r.take(">i")  # throttle time
        error = r.take(">h")
        r.done()
        return error

    def leave_group(self, group: str, member_id: str) -> int:
        r = self.call(LEAVE_GROUP, 0, _string(group) + _string(member_id))
        error = r.take(">h")
        r.done()
        return error

    def describe_group(self, group: str) -> DescribedGroup:
        r = self.call(DESCRIBE_GROUPS, 0, struct.pack(">i", 1) + _string(group))
        count = r.take(">i")
        assert count == 1, f"DescribeGroups for one group answered {count} groups"
        error = r.take(">h")
        group_id, state, protocol_type, protocol = r.string(), r.string(), r.string(), r.string()
        members = []
        for _ in range(r.take(">i")):
            member, client, host = r.string(), r.string(), r.string()
            r.bytes()
            r.bytes()
            members.append((member, client, host))
        r.done()
        return DescribedGroup(error, group_id, state, protocol_type, protocol, members)


def probe_generation(port: int, group: str, member_id: str, instance_id: Optional[str] = None,
                     limit: int = 50) -> int:
    """The group's current generation, found by heartbeating as `member_id` with generations 1..limit: the broker
    answers ILLEGAL_GENERATION to every wrong one and NONE to the right one (a heartbeat changes nothing else).
    Heartbeat v3 carries the instance id, so a static member is not fenced by the probe."""
    client = RawGroupClient(port)
    try:
        answers = {}
        for generation in range(1, limit + 1):
            error = client.heartbeat(group, generation, member_id, instance_id, version=3)
            answers[generation] = error
            if error == NONE:
                return generation
            assert error == ILLEGAL_GENERATION, (
                f"Heartbeat v3 group={group} member={member_id} instance={instance_id} generation={generation}: "
                f"error {error}, expected 0 or ILLEGAL_GENERATION (22)")
        raise AssertionError(f"no generation in 1..{limit} accepted for member {member_id}: {answers}")
    finally:
        client.close()


def wait_for(predicate, timeout_s: float, what: str, interval_s: float = 0.1):
    """Polls predicate() until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what} (last: {last!r})")
