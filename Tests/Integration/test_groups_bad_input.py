"""Group requests no well-behaved client sends, over a raw socket: unknown members and generations get Kafka's
error codes, and a member that stops heartbeating is removed once its session timeout has passed (not before)."""

from __future__ import annotations

import time

from group_helpers import (ILLEGAL_GENERATION, NONE, UNKNOWN_MEMBER_ID, RawGroupClient,
                           assignment, group_broker, wait_for)

SESSION_TIMEOUT_MS = 6000  # the broker's minimum (Kafka's group.min.session.timeout.ms default)


def test_unknown_member_and_generation_get_kafka_error_codes(make_broker):
    broker = group_broker(make_broker)
    client = RawGroupClient(broker.port)
    try:
        # A group nobody joined: heartbeat and join with an invented member id.
        assert client.heartbeat("no-such-group", 1, "bogus-member") == UNKNOWN_MEMBER_ID
        joined = client.join_group("no-such-group", member_id="bogus-member")
        assert joined.error == UNKNOWN_MEMBER_ID, f"JoinGroup v1 with an invented member id: {joined}"

        # A real one-member group (JoinGroup v1 with an empty member id, then SyncGroup as leader).
        group = "bad-input"
        joined = client.join_group(group, session_timeout_ms=SESSION_TIMEOUT_MS)
        assert joined.error == NONE, f"first JoinGroup: {joined}"
        assert joined.member_id and joined.leader == joined.member_id and joined.generation >= 1, joined
        assert [m for m, _ in joined.members] == [joined.member_id], joined
        generation, member = joined.generation, joined.member_id
        error, data = client.sync_group(group, generation, member, {member: assignment({"t": [0]})})
        assert error == NONE and data == assignment({"t": [0]}), (error, data)
        assert client.heartbeat(group, generation, member) == NONE

        # Unknown member in a live group, wrong generations for a known member.
        assert client.heartbeat(group, generation, "bogus-member") == UNKNOWN_MEMBER_ID
        assert client.heartbeat(group, generation + 1, member) == ILLEGAL_GENERATION
        assert client.heartbeat(group, generation - 1, member) == ILLEGAL_GENERATION
        error, _ = client.sync_group(group, generation + 7, member, {})
        assert error == ILLEGAL_GENERATION, f"SyncGroup with a wrong generation: error {error}"
        error, _ = client.sync_group(group, generation, "bogus-member", {})
        assert error == UNKNOWN_MEMBER_ID, f"SyncGroup from an unknown member: error {error}"
        joined = client.join_group(group, member_id="bogus-member", session_timeout_ms=SESSION_TIMEOUT_MS)
        assert joined.error == UNKNOWN_MEMBER_ID, f"JoinGroup v1 with an unknown member id in a live group: {joined}"
        assert client.leave_group(group, "bogus-member") == UNKNOWN_MEMBER_ID

        # None of that disturbed the real member.
        assert client.heartbeat(group, generation, member) == NONE
        described = client.describe_group(group)
        assert (described.error, described.state, [m for m, _, _ in described.members]) == (NONE, "Stable", [member])

        # Leaving removes it; afterwards its heartbeats are refused.
        assert client.leave_group(group, member) == NONE
        described = client.describe_group(group)
        assert described.state in ("Empty", "Dead") and described.members == [], described
        assert client.heartbeat(group, generation, member) == UNKNOWN_MEMBER_ID
    finally:
        client.close()
    assert broker.alive(), f"broker died; stderr tail:\n{broker.stderr_tail()}"


def test_silent_member_is_removed_after_its_session_timeout(make_broker):
    broker = group_broker(make_broker)
    group = "silent"
    client = RawGroupClient(broker.port)
    observer = RawGroupClient(broker.port)
    try:
        joined = client.join_group(group, session_timeout_ms=SESSION_TIMEOUT_MS, rebalance_timeout_ms=SESSION_TIMEOUT_MS)
        assert joined.error == NONE, joined
        error, _ = client.sync_group(group, joined.generation, joined.member_id,
                                     {joined.member_id: assignment({"t": [0]})})
        assert error == NONE, f"SyncGroup: error {error}"
        last_contact = time.monotonic()  # the SyncGroup answer; from now on the member says nothing

        described = observer.describe_group(group)
        assert described.state == "Stable" and [m for m, _, _ in described.members] == [joined.member_id], described

        # Half-way through the session it is still there.
        time.sleep(SESSION_TIMEOUT_MS / 2000)
        described = observer.describe_group(group)
        assert [m for m, _, _ in described.members] == [joined.member_id], (
            f"member gone after {time.monotonic() - last_contact:.1f} s of a {SESSION_TIMEOUT_MS} ms session: {described}")

        # Gone shortly after the session timeout.
        gone = wait_for(lambda: observer.describe_group(group).members == [] and time.monotonic(),
                        SESSION_TIMEOUT_MS / 1000 + 5, "the silent member to be removed", interval_s=0.2)
        waited = gone - last_contact
        assert waited >= SESSION_TIMEOUT_MS / 1000 - 0.5, f"removed after {waited:.1f} s, before its session timeout"
        described = observer.describe_group(group)
        # Empty, or Dead once the coordinator has dropped the idle group (it has no committed offsets).
        assert described.state in ("Empty", "Dead") and described.members == [], described
        # Its next heartbeat learns that it is no longer a member.
        error = client.heartbeat(group, joined.generation, joined.member_id)
        assert error == UNKNOWN_MEMBER_ID, f"heartbeat from the expired member: error {error}"
        print(f"silent member removed {waited:.1f} s after its last request (session {SESSION_TIMEOUT_MS} ms)")
    finally:
        client.close()
        observer.close()
    assert broker.alive(), f"broker died; stderr tail:\n{broker.stderr_tail()}"
