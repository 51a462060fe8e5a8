#!/usr/bin/env python3
"""End-to-end operator throughput and swap handoff gaps, through a real broker.

For each operator (Python identity on the bundled SDK, Swift identity built from SluiceOperator):
start `sluice serve` on free loopback ports with a temp data dir, preload N records of SIZE bytes into a
1-partition input, deploy the identity operator, and time from the deploy until the output holds N
records (read by polling the output's end offset). Records/s = N / that time. Then, with a producer
writing a steady load, swap the operator SWAPS times and report the handoff gaps (p50, p99, max).

    python3 Benchmarks/operators/run.py [--records 2000000] [--size 100] [--swaps 20] [--only python|swift]

Builds `sluice` and `identity-operator` in release mode first unless SLUICE_BIN / SLUICE_SWIFT_OPERATOR
point at built ones. Targets (issue "Operators"): Swift ≥ 1,000,000 records/s, Python ≥ 200,000
records/s, handoff gap p99 < 20 ms.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import confluent_kafka
import confluent_kafka.admin

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_IDENTITY = os.path.join(REPO, "examples", "python", "identity.py")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(product):
    subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(REPO, ".build", "release", product)


class Broker:
    def __init__(self, binary):
        self.binary = binary
        self.directory = tempfile.mkdtemp(prefix="sluice-opbench-")
        self.port, self.admin_port = free_port(), free_port()
        self.log = open(os.path.join(self.directory, "broker.log"), "wb")
        self.process = subprocess.Popen(
            [binary, "serve", "--data-dir", os.path.join(self.directory, "data"), "--listen", f"127.0.0.1:{self.port}",
             "--admin", f"127.0.0.1:{self.admin_port}", "--fsync", "interval:1000"],
            stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.admin_port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the broker did not start")

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def cli(self, *args):
        result = subprocess.run([self.binary, *args, "--admin", f"127.0.0.1:{self.admin_port}"],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise SystemExit(f"sluice {' '.join(args)}: {result.stderr}")
        return result.stdout

    def stop(self):
        self.process.terminate()
        self.process.wait(30)
        shutil.rmtree(self.directory, ignore_errors=True)


def create_topics(broker, partitions):
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap})
    for future in admin.create_topics([confluent_kafka.admin.NewTopic(t, partitions, 1) for t in ("in", "out")]).values():
        future.result(30)


def preload(broker, count, size):
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20,
                                         "batch.size": 1_000_000, "queue.buffering.max.messages": 2_000_000,
                                         "compression.type": "none"})
    value = b"x" * size
    for index in range(count):
        while True:
            try:
                producer.produce("in", key=b"k%07d" % (index % 1_000_000), value=value)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)


def output_count(consumer):
    total = 0
    metadata = consumer.list_topics("out", timeout=30)
    for partition in metadata.topics["out"].partitions:
        total += consumer.get_watermark_offsets(confluent_kafka.TopicPartition("out", partition), timeout=30)[1]
    return total


def throughput(broker_binary, operator_path, records, size):
    broker = Broker(broker_binary)
    try:
        create_topics(broker, 1)
        preload(broker, records, size)
        consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "bench-watch"})
        started = time.monotonic()
        broker.cli("deploy", operator_path, "--name", "identity", "--env", "SLUICE_INPUT=in", "--env", "SLUICE_OUTPUT=out")
        while output_count(consumer) < records:
            if time.monotonic() - started > 600:
                raise SystemExit("the operator did not finish within 600 s")
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        consumer.close()
        return records / elapsed, elapsed
    finally:
        broker.stop()


def handoff_gaps(broker_binary, operator_path, swaps):
    broker = Broker(broker_binary)
    try:
        create_topics(broker, 3)
        broker.cli("deploy", operator_path, "--name", "identity", "--env", "SLUICE_INPUT=in", "--env", "SLUICE_OUTPUT=out")
        stop = threading.Event()

        def load():
            producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 1})
            sequence = 0
            while not stop.is_set():
                for _ in range(100):
                    producer.produce("in", key=b"%d" % sequence, value=b"v" * 100)
                    sequence += 1
                producer.poll(0)
                time.sleep(0.01)  # about 10,000 records/s
            producer.flush(30)

        thread = threading.Thread(target=load, daemon=True)
        thread.start()
        gaps = []
        for _ in range(swaps):
            time.sleep(0.3)
            line = broker.cli("swap", "identity", operator_path, "--env", "SLUICE_INPUT=in", "--env", "SLUICE_OUTPUT=out")
            gaps.append(float(re.search(r"handoff gap ([0-9.]+) ms", line).group(1)))
        stop.set()
        thread.join(60)
        return sorted(gaps)
    finally:
        broker.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--swaps", type=int, default=20)
    parser.add_argument("--only", choices=["python", "swift"])
    options = parser.parse_args()
    broker_binary = os.environ.get("SLUICE_BIN") or build("sluice")
    operators = {}
    if options.only in (None, "python"):
        operators["Python identity"] = PYTHON_IDENTITY
    if options.only in (None, "swift"):
        operators["Swift identity"] = os.environ.get("SLUICE_SWIFT_OPERATOR") or build("identity-operator")
    print(f"| operator | records/s ({options.records:,} × {options.size} B, end to end) | handoff gap p50 / p99 / max ({options.swaps} swaps, ms) |")
    print("| --- | --- | --- |")
    for label, path in operators.items():
        rate, _ = throughput(broker_binary, path, options.records, options.size)
        gaps = handoff_gaps(broker_binary, path, options.swaps)
        p99 = gaps[min(len(gaps) - 1, round(0.99 * (len(gaps) - 1)))]
        print(f"| {label} | {rate:,.0f} | {gaps[len(gaps) // 2]:.1f} / {p99:.1f} / {gaps[-1]:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
