"""Living topologies: scaling an operator and running a canary next to it, under a steady load, through
the real broker, CLI and an independent client (confluent-kafka)."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from operator_support import (IDENTITY, SteadyProducer, assert_exactly_once_in_order, create_topic, end_offsets,
                              read_all, sequence_numbers, sluice_cli, wait_for, write_operator)


@pytest.fixture
def identity(broker, tmp_path):
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    create_topic(broker, "in", 6)
    create_topic(broker, "out", 6)
    versions = []
    for version in (1, 2):
        directory = tmp_path / f"v{version}"
        directory.mkdir()
        versions.append(write_operator(directory, "identity.py", IDENTITY, name="identity", input="in", output="out"))
    return versions


def scale(broker, instances: int) -> float:
    result = sluice_cli(broker, "scale", "identity", str(instances))
    match = re.search(r"to (\d+) instance\(s\); handoff gap ([0-9.]+) ms", result.stdout)
    assert match and int(match.group(1)) == instances, result.stdout
    return float(match.group(2))


def test_scale_one_to_three_to_one_under_load_copies_every_record_once(broker, identity):
    sluice_cli(broker, "deploy", str(identity[0]))
    total = 30_000
    producer = SteadyProducer(broker, "in", total, rate=3_000)
    producer.start()
    time.sleep(2.0)
    gaps = [scale(broker, 3)]
    ops = sluice_cli(broker, "ops").stdout
    assert re.search(r"^identity\s+1\s+running\s+in\s+out\s+3\s", ops, re.M), ops
    detail = sluice_cli(broker, "ops", "identity").stdout
    for index, partitions in ((1, "in-0,in-3"), (2, "in-1,in-4"), (3, "in-2,in-5")):
        assert re.search(rf"^{index}\s+v1#\d+ \[{index}/3\]\s+running\s+{partitions}\s", detail, re.M), detail
    time.sleep(3.0)
    gaps.append(scale(broker, 1))
    producer.join(120)
    assert not producer.failures, producer.failures
    records = read_all(broker, "out", total)
    assert_exactly_once_in_order(records, total)
    assert len(records) == total
    print(f"\nscale handoff gaps: 1→3 {gaps[0]:.1f} ms, 3→1 {gaps[1]:.1f} ms")
    assert re.search(r"^identity\s+1\s+running\s+in\s+out\s+1\s", sluice_cli(broker, "ops").stdout, re.M)


def test_scale_errors_are_one_clear_line(broker, identity):
    sluice_cli(broker, "deploy", str(identity[0]))
    for arguments, message in ((("scale", "identity", "0"), "instances must be 1 to 64"),
                               (("scale", "nobody", "2"), "no operator named nobody"),
                               (("promote", "identity"), "has no canary"),
                               (("abort", "identity"), "has no canary")):
        result = sluice_cli(broker, *arguments, check=False)
        assert result.returncode != 0
        assert message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_canary_then_promote_under_load(broker, identity):
    sluice_cli(broker, "deploy", str(identity[0]))
    total = 24_000
    producer = SteadyProducer(broker, "in", total, rate=3_000)
    producer.start()
    time.sleep(2.0)
    started = sluice_cli(broker, "deploy", str(identity[1]), "--name", "identity", "--canary").stdout
    assert "canary identity version 2 runs next to version 1, writing out@2" in started, started
    detail = sluice_cli(broker, "ops", "identity").stdout
    assert "canary: version 2" in detail, detail
    topology = json.loads(sluice_cli(broker, "graph", "--format", "json").stdout)
    assert {"stream": "out@2", "operator": "identity", "direction": "output"}.items() <= next(
        edge for edge in topology["edges"] if edge["stream"] == "out@2").items(), topology["edges"]
    assert next(op for op in topology["operators"] if op["name"] == "identity")["canaryVersion"] == 2
    time.sleep(3.0)
    promoted = sluice_cli(broker, "promote", "identity").stdout
    assert re.search(r"promoted: swapped identity from version 1 to 2; handoff gap [0-9.]+ ms", promoted), promoted
    producer.join(120)
    assert not producer.failures, producer.failures

    live = read_all(broker, "out", total)
    assert_exactly_once_in_order(live, total)
    assert len(live) == total, "the live stream has every record exactly once across the promotion"

    # The canary stopped at the promotion: its shadow stream is complete.
    shadow = read_all(broker, "out@2", end_offsets(broker, "out@2"))
    numbers = sequence_numbers(shadow)
    assert numbers, "the canary wrote its shadow stream"
    assert len(numbers) == len(set(numbers)), "the canary copied each record once"
    assert len(numbers) < total, "the canary started where the live version was, not at the beginning"
    comparison = subprocess.run([broker.binary, "compare", "out", "out@2", "--json", "--broker", broker.bootstrap],
                                capture_output=True, text=True, timeout=120)
    assert comparison.stdout, comparison.stderr
    report = json.loads(comparison.stdout)
    assert report["matched"] == len(numbers) and report["differ"] == 0 and report["onlyInB"] == 0, report
    assert report["onlyInA"] == total - len(numbers), report
    assert comparison.returncode == 1, "records only in the live stream are reported as missing"
    assert "canary" not in sluice_cli(broker, "ops", "identity").stdout


def test_abort_drops_the_canary_and_keeps_the_live_version(broker, identity):
    sluice_cli(broker, "deploy", str(identity[0]))
    sluice_cli(broker, "deploy", str(identity[1]), "--name", "identity", "--canary")
    again = sluice_cli(broker, "deploy", str(identity[1]), "--name", "identity", "--canary", check=False)
    assert again.returncode != 0 and "already has a canary (v2)" in again.stderr, again.stderr
    aborted = sluice_cli(broker, "abort", "identity").stdout
    assert "aborted the canary of identity; version 1 runs alone" in aborted, aborted
    producer = SteadyProducer(broker, "in", 1_000, rate=5_000)
    producer.start()
    producer.join(60)
    assert_exactly_once_in_order(read_all(broker, "out", 1_000), 1_000)
    wait_for(lambda: "running" in sluice_cli(broker, "ops", "identity").stdout, 10, "the live version running")
