"""Operators end to end: deploy, swap under load, pause, crash, timers, dead letters, restart, Swift SDK.
Every check reads the real output streams back with an independent client (confluent-kafka)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from operator_support import (IDENTITY, SteadyProducer, assert_exactly_once_in_order, create_topic, end_offsets,
                              percentile, read_all, sequence_numbers, sluice_cli, wait_for, write_operator)

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pipeline(broker, tmp_path):
    """A 3-partition input and output and two versions of an identity operator."""
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    create_topic(broker, "in", 3)
    create_topic(broker, "out", 3)
    versions = []
    for version in (1, 2):
        directory = tmp_path / f"v{version}"
        directory.mkdir()
        versions.append(write_operator(directory, "identity.py", IDENTITY, name="identity", input="in", output="out"))
    return versions


def test_swap_twenty_times_under_load_loses_and_repeats_nothing(broker, pipeline):
    first, second = pipeline
    deployed = sluice_cli(broker, "deploy", str(first))
    assert "deployed identity version 1" in deployed.stdout
    total = 50_000
    producer = SteadyProducer(broker, "in", total, rate=2_500)
    producer.start()
    gaps = []
    for swap in range(20):
        time.sleep(0.4)
        result = sluice_cli(broker, "swap", "identity", str(second if swap % 2 == 0 else first))
        match = re.search(r"handoff gap ([0-9.]+) ms", result.stdout)
        assert match, result.stdout
        gaps.append(float(match.group(1)))
    producer.join(120)
    assert not producer.failures, producer.failures
    records = read_all(broker, "out", total)
    assert_exactly_once_in_order(records, total)
    assert len(records) == total
    print(f"\nhandoff gaps over 20 swaps: p50 {percentile(gaps, 0.5):.1f} ms, "
          f"p99 {percentile(gaps, 0.99):.1f} ms, max {max(gaps):.1f} ms")
    ops = sluice_cli(broker, "ops").stdout
    assert re.search(r"^identity\s+21\s+running", ops, re.M), ops


def test_pause_under_load_then_resume(broker, pipeline):
    sluice_cli(broker, "deploy", str(pipeline[0]))
    total = 20_000
    producer = SteadyProducer(broker, "in", total, rate=4_000)
    producer.start()
    time.sleep(1.0)
    assert "paused" in sluice_cli(broker, "pause", "identity").stdout
    paused_at = end_offsets(broker, "out")
    time.sleep(2.0)
    assert end_offsets(broker, "out") == paused_at, "the operator produced while paused"
    lag = sluice_cli(broker, "ops", "identity").stdout
    assert "paused" in lag
    assert "running" in sluice_cli(broker, "resume", "identity").stdout
    producer.join(60)
    assert not producer.failures
    records = read_all(broker, "out", total)
    assert_exactly_once_in_order(records, total)


def test_kill_9_of_the_operator_process_loses_nothing(broker, pipeline, tmp_path):
    killable = write_operator(tmp_path, "identity_killable.py", IDENTITY, name="identity", input="in", output="out")
    sluice_cli(broker, "deploy", str(killable))
    total = 20_000
    producer = SteadyProducer(broker, "in", total, rate=5_000)
    producer.start()
    time.sleep(1.5)
    pids = subprocess.run(["pgrep", "-f", "identity_killable.py"], capture_output=True, text=True).stdout.split()
    assert pids, "the operator process is not running"
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    producer.join(60)
    records = read_all(broker, "out", total, timeout_s=60)
    numbers = sequence_numbers(records)
    assert set(numbers) == set(range(total)), "records were lost"
    repeated = len(numbers) - len(set(numbers))
    assert repeated <= 5_000, f"{repeated} repeats: more than the one uncommitted batch"
    status = sluice_cli(broker, "ops", "identity").stdout
    assert re.search(r"restarts [1-9]", status), status


def test_source_operator_with_timers(broker, tmp_path):
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    source = write_operator(tmp_path, "ticker.py", """
        import time, sluice

        class Ticker(sluice.Computation):
            def init(self, ctx):
                self.count = 0
                ctx.set_timer("tick", int(time.time() * 1000) + 50)

            def process_timer(self, ctx, key, when):
                self.count += 1
                ctx.produce_record("ticks", str(self.count), "tick %d" % self.count)
                ctx.set_timer("tick", int(time.time() * 1000) + 50)

            def metadata(self):
                return sluice.Metadata(name="ticker", istreams=[], ostreams=["ticks"])

        sluice.serve_computation(Ticker())
    """)
    sluice_cli(broker, "deploy", str(source))
    wait_for(lambda: end_offsets(broker, "ticks") >= 10, 30, "ten ticks")
    records = read_all(broker, "ticks", 10)
    counts = [int(value.decode().split()[1]) for *_, value in records]
    assert counts[:10] == list(range(1, 11))


def test_poison_record_goes_to_the_dead_letter_stream(broker, tmp_path):
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    create_topic(broker, "orders", 1)
    poison = write_operator(tmp_path, "picky.py", """
        import sluice

        class Picky(sluice.Computation):
            def process_record(self, ctx, record):
                if b"poison" in record.data:
                    raise ValueError("cannot digest " + record.data.decode())
                ctx.produce_record("accepted", record.key, record.data)

            def metadata(self):
                return sluice.Metadata(name="picky", istreams=["orders"], ostreams=["accepted"])

        sluice.serve_computation(Picky())
    """)
    sluice_cli(broker, "deploy", str(poison))
    producer = SteadyProducer(broker, "orders", 100, rate=1_000)
    producer.run()
    import confluent_kafka
    p = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
    p.produce("orders", key=b"bad", value=b"poison pill")
    p.flush(10)
    after = SteadyProducer(broker, "orders", 100, rate=1_000, start_at=100)
    after.run()
    accepted = read_all(broker, "accepted", 200, timeout_s=60)
    assert sorted(sequence_numbers(accepted)) == list(range(200))
    dead = read_all(broker, "picky.dlq", 1, timeout_s=30)
    assert [value for *_, value in dead] == [b"poison pill"]
    status = sluice_cli(broker, "ops", "picky").stdout
    assert "dead-lettered 1" in status and "cannot digest" in status, status


def test_operators_come_back_after_a_broker_restart(broker, pipeline):
    sluice_cli(broker, "deploy", str(pipeline[0]))
    SteadyProducer(broker, "in", 3_000, rate=10_000).run()
    wait_for(lambda: end_offsets(broker, "out") >= 3_000, 60, "the first 3000 records")
    broker.restart()
    SteadyProducer(broker, "in", 3_000, rate=10_000, start_at=3_000).run()
    records = read_all(broker, "out", 6_000, timeout_s=60)
    assert_exactly_once_in_order(records, 6_000)
    assert re.search(r"^identity\s+1\s+running", sluice_cli(broker, "ops").stdout, re.M)


def test_cli_errors_are_one_clear_line(broker, tmp_path):
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    unknown = sluice_cli(broker, "pause", "nobody", check=False)
    assert unknown.returncode != 0 and "nobody" in unknown.stderr and len(unknown.stderr.strip().splitlines()) == 1
    text = tmp_path / "notes.txt"
    text.write_text("just words\n")
    not_operator = sluice_cli(broker, "deploy", str(text), check=False)
    assert not_operator.returncode != 0 and "not an operator" in not_operator.stderr
    silent = write_operator(tmp_path, "silent.py", "print('hello')\n")
    refused = sluice_cli(broker, "deploy", str(silent), check=False, timeout=60)
    assert refused.returncode != 0 and "not an operator" in refused.stderr, refused.stderr
    streamless = write_operator(tmp_path, "streamless.py", """
        import sluice

        class Nothing(sluice.Computation):
            def metadata(self):
                return sluice.Metadata(name="nothing", istreams=[], ostreams=[])

        sluice.serve_computation(Nothing())
    """)
    no_streams = sluice_cli(broker, "deploy", str(streamless), check=False)
    assert no_streams.returncode != 0 and "stream" in no_streams.stderr
    missing_input = write_operator(tmp_path, "orphan.py", IDENTITY, name="orphan", input="no-such-stream", output="o")
    orphan = sluice_cli(broker, "deploy", str(missing_input), check=False)
    assert orphan.returncode != 0 and "no-such-stream" in orphan.stderr
    directory = tmp_path / "dir"
    directory.mkdir()
    needs_run = sluice_cli(broker, "deploy", str(directory), check=False)
    assert needs_run.returncode != 0 and "--run" in needs_run.stderr


def test_logs_show_operator_stderr(broker, tmp_path):
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    chatty = write_operator(tmp_path, "chatty.py", """
        import sys, sluice

        class Chatty(sluice.Computation):
            def init(self, ctx):
                print("chatty says hello", file=sys.stderr, flush=True)

            def process_record(self, ctx, record):
                pass

            def metadata(self):
                return sluice.Metadata(name="chatty", istreams=["anything"], ostreams=["nowhere"])

        sluice.serve_computation(Chatty())
    """)
    create_topic(broker, "anything", 1)
    sluice_cli(broker, "deploy", str(chatty))
    logs = wait_for(lambda: "chatty says hello" in sluice_cli(broker, "logs", "chatty").stdout
                    and sluice_cli(broker, "logs", "chatty").stdout, 20, "the operator's log line")
    assert "v1" in logs


def swift_identity_operator() -> str:
    """The Swift identity operator (Examples/IdentityOperator, built on SluiceOperator); scripts/test.sh
    builds it, and so does this function when it is missing."""
    configured = os.environ.get("SLUICE_SWIFT_OPERATOR")
    if configured:
        return configured
    path = REPO_ROOT / ".build" / "release" / "identity-operator"
    if not path.exists():
        subprocess.run(["swift", "build", "-c", "release", "--product", "identity-operator"], cwd=REPO_ROOT, check=True)
    return str(path)


def test_swift_operator_deployed_and_swapped(broker, pipeline):
    swift_operator = swift_identity_operator()
    deployed = sluice_cli(broker, "deploy", swift_operator)
    assert "deployed identity version 1: in → out" in deployed.stdout, deployed.stdout
    total = 20_000
    producer = SteadyProducer(broker, "in", total, rate=5_000)
    producer.start()
    time.sleep(1.0)
    to_python = sluice_cli(broker, "swap", "identity", str(pipeline[0]))
    assert "from version 1 to 2" in to_python.stdout
    time.sleep(1.0)
    back = sluice_cli(broker, "swap", "identity", swift_operator)
    assert "from version 2 to 3" in back.stdout
    producer.join(60)
    records = read_all(broker, "out", total)
    assert_exactly_once_in_order(records, total)
    logs = sluice_cli(broker, "ops", "identity").stdout
    assert re.search(r"^identity\s+3\s+running", logs, re.M), logs
