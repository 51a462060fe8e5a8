"""The `sluice` CLI (topic, produce, consume) against the real broker, checked with an independent client."""

from __future__ import annotations

import datetime
import subprocess
import time

import pytest
from kafka.partitioner.default import murmur2


def sluice(broker, *args: str, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [broker.binary, *args, "--broker", broker.bootstrap],
        input=stdin, capture_output=True, timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"sluice {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}")
    return result


def test_topic_commands(broker):
    if broker.peer != "sluice":
        pytest.skip("the CLI is Sluice's own")
    created = sluice(broker, "topic", "create", "cli-topics", "--partitions", "3")
    assert b"created topic cli-topics with 3 partitions" in created.stdout
    listed = sluice(broker, "topic", "list").stdout.decode()
    assert any(line.split() == ["cli-topics", "3"] for line in listed.splitlines()), listed
    described = sluice(broker, "topic", "describe", "cli-topics").stdout.decode().splitlines()
    rows = [line.split() for line in described if line[:1].isdigit()]
    assert rows == [[str(p), "0", "0", "0"] for p in range(3)], described

    again = sluice(broker, "topic", "create", "cli-topics", check=False)
    assert again.returncode != 0
    assert "already exists" in again.stderr.decode() and len(again.stderr.decode().strip().splitlines()) == 1

    sluice(broker, "topic", "delete", "cli-topics")
    assert "cli-topics" not in sluice(broker, "topic", "list").stdout.decode()
    missing = sluice(broker, "topic", "describe", "cli-topics", check=False)
    assert missing.returncode != 0 and "UNKNOWN_TOPIC_OR_PARTITION" in missing.stderr.decode()


@pytest.mark.parametrize("compression", ["none", "zstd", "lz4", "gzip", "snappy"])
def test_produce_and_consume_round_trip(broker, compression):
    if broker.peer != "sluice":
        pytest.skip("the CLI is Sluice's own")
    topic = f"cli-{compression}"
    sluice(broker, "topic", "create", topic, "--partitions", "3")
    count = 20_000
    lines = [f"key-{i}\tvalue {i} {'x' * (i % 50)}" for i in range(count)]
    before_ms = int(time.time() * 1000)
    produced = sluice(broker, "produce", topic, "--key-separator", "\t", "--compression", compression,
                      stdin=("\n".join(lines) + "\n").encode())
    assert f"produced {count} records".encode() in produced.stderr

    # Every record comes back once, keyed records on Kafka's murmur2 partition, in order within a partition.
    seen = []
    for partition in range(3):
        out = sluice(broker, "consume", topic, "--partition", str(partition), "--exit-at-end",
                     "--print-key").stdout.decode().splitlines()
        for line in out:
            key, value = line.split("\t", 1)
            assert (murmur2(key.encode()) & 0x7FFFFFFF) % 3 == partition, key
            seen.append(line)
        numbers = [int(line.split("\t", 1)[0].removeprefix("key-")) for line in out]
        assert numbers == sorted(numbers)
    assert sorted(seen) == sorted(lines)

    # -n stops after COUNT; --from an offset starts there; --from a time before the produce reads everything.
    first_five = sluice(broker, "consume", topic, "--partition", "0", "-n", "5").stdout.decode().splitlines()
    assert len(first_five) == 5
    from_offset = sluice(broker, "consume", topic, "--partition", "0", "--from", "3", "-n", "2",
                         "--print-offset").stdout.decode().splitlines()
    assert [line.split(":")[1] for line in from_offset] == ["3", "4"]
    iso = datetime.datetime.fromtimestamp((before_ms - 1000) / 1000, datetime.timezone.utc).isoformat()
    all_by_time = sluice(broker, "consume", topic, "--from", iso, "--exit-at-end").stdout.decode().splitlines()
    assert len(all_by_time) == count
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    none_by_time = sluice(broker, "consume", topic, "--from", future.isoformat(), "--exit-at-end")
    assert none_by_time.stdout == b""


def test_cli_errors_are_one_clear_line(broker):
    if broker.peer != "sluice":
        pytest.skip("the CLI is Sluice's own")
    bad_from = sluice(broker, "consume", "anything", "--from", "yesterday-ish", check=False)
    assert bad_from.returncode != 0 and "--from" in bad_from.stderr.decode()
    unknown = sluice(broker, "consume", "no-such-topic", "-n", "1", check=False)
    assert unknown.returncode != 0 and "UNKNOWN_TOPIC_OR_PARTITION" in unknown.stderr.decode()
    unreachable = subprocess.run([broker.binary, "topic", "list", "--broker", "127.0.0.1:1"],
                                 capture_output=True, timeout=60)
    assert unreachable.returncode != 0 and "cannot reach the broker" in unreachable.stderr.decode()
