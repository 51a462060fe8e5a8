"""Fault soak: a steady load through a two-operator pipeline while the broker is killed with SIGKILL in the
middle of swaps, scales and canary promotions, many times. The final stream must equal the input exactly:
nothing lost, nothing twice, order kept per key (Docs/durability.md, Docs/decisions/0003).

Bounded: SLUICE_SOAK_ROUNDS rounds (default 12), each a few seconds."""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time

import confluent_kafka
import pytest

from operator_support import (IDENTITY, assert_exactly_once_in_order, create_topic, read_all, sluice_cli, wait_for,
                              write_operator)

ROUNDS = int(os.environ.get("SLUICE_SOAK_ROUNDS", "12"))


class IdempotentProducer(threading.Thread):
    """Writes `seq-N` records (key = value) at about `rate` per second through broker restarts: idempotent, so a
    retry after a crash never doubles an input record (what the soak checks is the operators' output)."""

    def __init__(self, broker, topic: str, count: int, rate: float):
        super().__init__(daemon=True)
        self.producer = confluent_kafka.Producer({
            "bootstrap.servers": broker.bootstrap, "linger.ms": 5, "acks": "all", "enable.idempotence": True,
            "partitioner": "murmur2_random", "message.timeout.ms": 120_000, "reconnect.backoff.max.ms": 200,
        })
        self.topic, self.count, self.rate = topic, count, rate
        self.failures: list[str] = []
        self.delivered = 0

    def run(self) -> None:
        started = time.monotonic()
        for index in range(self.count):
            delay = started + index / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            value = f"seq-{index:08d}".encode()
            while True:
                try:
                    self.producer.produce(self.topic, key=value, value=value, on_delivery=self._delivered)
                    break
                except BufferError:
                    self.producer.poll(0.1)
            self.producer.poll(0)
        remaining = self.producer.flush(180)
        if remaining:
            self.failures.append(f"{remaining} records not delivered")

    def _delivered(self, error, message) -> None:
        if error is not None:
            self.failures.append(str(error))
        else:
            self.delivered += 1


def operators_running(broker) -> bool:
    result = sluice_cli(broker, "ops", check=False)
    return result.returncode == 0 and "copy" in result.stdout and "relay" in result.stdout


def test_kill_9_during_swaps_scales_and_promotions_keeps_the_output_exact(make_broker, tmp_path):
    broker = make_broker(fsync="always")
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    for topic in ("in", "mid", "out"):
        create_topic(broker, topic, 3)
    versions = {}
    for name, source, target in (("copy", "in", "mid"), ("relay", "mid", "out")):
        for version in (1, 2):
            directory = tmp_path / f"{name}-v{version}"
            directory.mkdir()
            versions[name, version] = write_operator(directory, f"{name}.py", IDENTITY, name=name, input=source,
                                                     output=target)
    sluice_cli(broker, "deploy", str(versions["copy", 1]))
    sluice_cli(broker, "deploy", str(versions["relay", 1]))

    total = ROUNDS * 1_500
    producer = IdempotentProducer(broker, "in", total, rate=600)
    producer.start()
    rng = random.Random(20261203)
    swapped = {"copy": 1, "relay": 1}
    instances = 1
    actions = []
    for round_index in range(ROUNDS):
        time.sleep(0.5)
        action = ("swap", "scale", "promote")[round_index % 3]
        if action == "swap":
            name = rng.choice(["copy", "relay"])
            swapped[name] = 3 - swapped[name]
            command = ["swap", name, str(versions[name, swapped[name]])]
        elif action == "scale":
            instances = 3 if instances == 1 else 1
            command = ["scale", "copy", str(instances)]
        else:
            # A canary of relay runs a while, then the promotion is cut short by the kill.
            canary = sluice_cli(broker, "deploy", str(versions["relay", 3 - swapped["relay"]]), "--name", "relay",
                                "--canary", check=False)
            if canary.returncode != 0 and "canary" not in canary.stderr:
                raise AssertionError(canary.stderr)
            time.sleep(0.5)
            command = ["promote", "relay"]
        cli = subprocess.Popen([broker.binary, *command, "--admin", f"127.0.0.1:{broker.admin_port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed_after_s = rng.uniform(0.05, 1.2)
        time.sleep(killed_after_s)
        broker.kill9()
        cli.kill()
        cli.wait()
        actions.append(f"{' '.join(command)} killed after {killed_after_s:.2f} s")
        broker.start()
        wait_for(lambda: operators_running(broker), 60, "the operators to come back")

    producer.join(240)
    assert not producer.failures, producer.failures[:5]
    records = read_all(broker, "out", total, timeout_s=180)
    print(f"\n{len(actions)} kills: " + "; ".join(actions))
    assert_exactly_once_in_order(records, total)
    assert len(records) == total
