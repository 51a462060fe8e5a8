#!/usr/bin/env python3
"""TLS benchmark: produce and consume 1 KiB records over SASL_SSL (SCRAM-SHA-512) beside PLAINTEXT, same broker,
same run, same client. Targets (issue #11): TLS produce >= 60% and consume >= 50% of plaintext.

Two clients, each against both listeners: librdkafka (Benchmarks/peer/bench_client.c) and Apache Kafka's Java
client (Benchmarks/peer/JavaBench.java on kafka-clients 3.9, which scripts/install-deps.sh fetches).

The broker runs with `--fsync never` and its data directory on tmpfs (/dev/shm), and each case's topic is deleted
after it: what is compared is the cost of encryption, so neither the disk, nor the kernel's throttling of
writers with many dirty pages, nor (on a virtual machine) first-touch faults of guest memory never used before
may decide a figure. Without this, later cases of a run measured up to four times slower than earlier ones
with the same client on the same listener.

    python3 Benchmarks/peer/tls.py                     # 300,000 records per case, median of 3, both clients
    python3 Benchmarks/peer/tls.py --client java       # one client
    python3 Benchmarks/peer/tls.py --quick             # harness check

Tansu 0.6 (the peer of run.py) is not run: its listener takes no TLS or SASL settings.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as peer  # noqa: E402  (the peer benchmark's client build, broker runner and client runner)

PASSWORD = "benchmark-password"


def make_certificates(directory: Path) -> None:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=60)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=bench CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "broker.key", "-out", "broker.csr", "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "broker.pem", "-days", "2", "-extfile", "san.ext")


class SecuredBroker(peer.Broker):
    """run.py's broker with a second, SASL_SSL listener on `sasl_port`."""

    def __init__(self, binary: str, logdir: Path, certificates: Path):
        self.sasl_port = peer.free_port()
        self.certificates = certificates

        def argv(binary, port, admin_port, tmp):
            return [binary, "serve", "--data-dir", tmp, "--admin", f"127.0.0.1:{admin_port}", "--fsync", "never",
                    "--listener", f"PLAINTEXT://127.0.0.1:{port}", "--listener", f"SASL_SSL://127.0.0.1:{self.sasl_port}",
                    "--tls-cert", str(certificates / "broker.pem"), "--tls-key", str(certificates / "broker.key")]
        super().__init__("sluice-tls", "Sluice", argv, binary, logdir)


def tls_args(broker: SecuredBroker) -> list[str]:
    settings = {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "bench",
                "sasl.password": PASSWORD, "ssl.ca.location": str(broker.certificates / "ca.pem")}
    return [arg for key, value in settings.items() for arg in ("-X", f"{key}={value}")]


class Endpoint:
    """A broker address as run_client wants it (it reads `.bootstrap`)."""

    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap


JAVA_SOURCE = Path(__file__).resolve().parent / "JavaBench.java"
SLF4J_JAR = Path("/usr/share/java/slf4j-api.jar")


def java_classpath() -> str:
    """kafka-clients and slf4j-api, as scripts/install-deps.sh puts them (it is run when they are missing)."""
    jar = Path(os.environ.get("SLUICE_KAFKA_CLIENTS_JAR", "/var/cache/sluice/kafka-clients-3.9.jar"))
    if not jar.exists() or not SLF4J_JAR.exists() or shutil.which("java") is None:
        subprocess.run([str(peer.REPO / "scripts/install-deps.sh")], check=True, timeout=1800)
    return f"{jar}:{SLF4J_JAR}"


def java_tls_args(broker: SecuredBroker) -> list[str]:
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="bench" '
            f'password="{PASSWORD}";')
    settings = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": jaas,
                "ssl.truststore.type": "PEM", "ssl.truststore.location": str(broker.certificates / "ca.pem")}
    return [arg for key, value in settings.items() for arg in ("-X", f"{key}={value}")]


def run_java(classpath: str, mode: str, endpoint: Endpoint, args: list[str], timeout: float) -> dict:
    argv = ["java", "-cp", classpath, str(JAVA_SOURCE), mode, "-b", endpoint.bootstrap, "-T", str(timeout)] + args
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 60)
    except subprocess.TimeoutExpired:
        return {"mode": mode, "ok": False, "error": "java client killed"}
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"mode": mode, "ok": False, "error": f"no JSON from the java client (rc {r.returncode}): {r.stderr[-600:]}"}
    result = json.loads(lines[-1])
    if result.get("seconds"):
        result["client_cores"] = result["client_cpu_s"] / result["seconds"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--client", choices=("librdkafka", "java", "both"), default="both")
    parser.add_argument("--sluice", default=str(peer.REPO / ".build/release/sluice"))
    options = parser.parse_args()
    count, repeat = (50_000, 1) if options.quick else (options.count, options.repeat)
    client, version, _ = peer.build_client("auto")
    clients = ["librdkafka", "java"] if options.client == "both" else [options.client]
    classpath = java_classpath() if "java" in clients else ""
    peer.RESULTS.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = "/dev/shm"  # the broker's data directory: see the module comment
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="tls-bench-") as scratch:
        certificates = Path(scratch)
        make_certificates(certificates)
        broker = SecuredBroker(options.sluice, peer.RESULTS, certificates)
        if not broker.start():
            sys.exit(f"broker did not start: {broker.error}")
        try:
            subprocess.run([options.sluice, "user", "create", "bench", "--password-stdin", "--broker", broker.bootstrap],
                           input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=30)
            plain = Endpoint(broker.bootstrap)
            secured = Endpoint(f"127.0.0.1:{broker.sasl_port}")
            for rep in range(repeat):
                for client_name in clients:
                    for name, endpoint in (("plaintext", plain), ("sasl_ssl", secured)):
                        run_case(options, client_name, client, classpath, broker, name, endpoint, count, rep, figures)
        finally:
            broker.stop()
    print(f"librdkafka {version.get('librdkafka')}, kafka-clients 3.9, 1 KiB x {count:,}, median of {repeat}, "
          f"fsync never, data on tmpfs\n")
    print("| client | case | PLAINTEXT MB/s | SASL_SSL MB/s | SASL_SSL / PLAINTEXT | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for client_name in clients:
        for case, target in (("produce", 0.6), ("consume", 0.5)):
            plain_rate = statistics.median(figures[f"{client_name} plaintext {case}"])
            tls_rate = statistics.median(figures[f"{client_name} sasl_ssl {case}"])
            ratio = tls_rate / plain_rate
            print(f"| {client_name} | {case} 1 KiB | {plain_rate:.1f} | {tls_rate:.1f} | {ratio:.2f} | "
                  f"≥ {target:.2f}: {'PASS' if ratio >= target else 'FAIL'} |")
    return 0


def run_case(options, client_name: str, client: Path, classpath: str, broker: SecuredBroker, name: str,
             endpoint: Endpoint, count: int, rep: int, figures: dict[str, list[float]]) -> None:
    """Creates a topic, produces `count` records to it and consumes them with one client, then deletes it."""
    topic = f"tls-{client_name}-{name}-{rep}-{int(time.time())}"
    secured = name == "sasl_ssl"
    created = peer.run_client(client, "create", endpoint, ["-t", topic] + (tls_args(broker) if secured else []), 30)
    assert created.get("ok"), created
    if client_name == "java":
        extra = java_tls_args(broker) if secured else []
        produced = run_java(classpath, "produce", endpoint, ["-t", topic, "-s", "1024", "-n", str(count)] + extra, 300)
        consumed = run_java(classpath, "consume", endpoint, ["-t", topic, "-n", str(produced.get("delivered", 0))] + extra, 300)
    else:
        extra = tls_args(broker) if secured else []
        produced = peer.run_client(client, "produce", endpoint,
                                   ["-t", topic, "-s", "1024", "-n", str(count), "-l", "5"] + extra, 300)
        consumed = peer.run_client(client, "consume", endpoint,
                                   ["-t", topic, "-n", str(produced.get("delivered", 0))] + extra, 300)
    assert produced.get("ok") and consumed.get("ok"), (produced, consumed)
    subprocess.run([options.sluice, "topic", "delete", topic, "--broker", broker.bootstrap],
                   check=True, capture_output=True, timeout=60)
    figures.setdefault(f"{client_name} {name} produce", []).append(produced["mb_per_s"])
    figures.setdefault(f"{client_name} {name} consume", []).append(consumed["mb_per_s"])
    peer.log(f"{client_name} {name} r{rep}: produce {produced['mb_per_s']:.1f} MB/s "
             f"(client {produced.get('client_cores', 0):.2f} cores), consume {consumed['mb_per_s']:.1f} MB/s "
             f"(client {consumed.get('client_cores', 0):.2f} cores)")


if __name__ == "__main__":
    sys.exit(main())
