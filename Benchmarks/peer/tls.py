#!/usr/bin/env python3
"""TLS benchmark: produce and consume 1 KiB records over SASL_SSL (SCRAM-SHA-512) beside PLAINTEXT, same broker,
same run, same client (Benchmarks/peer/bench_client.c, librdkafka), fsync never so the disk does not mask the
cost of encryption. Targets (issue #11): TLS produce >= 60% and consume >= 50% of plaintext.

    python3 Benchmarks/peer/tls.py            # 500,000 records per case, median of 3
    python3 Benchmarks/peer/tls.py --quick    # harness check

Tansu 0.6 (the peer of run.py) is not run: its listener takes no TLS or SASL settings.
"""
from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sluice", default=str(peer.REPO / ".build/release/sluice"))
    options = parser.parse_args()
    count, repeat = (50_000, 1) if options.quick else (options.count, options.repeat)
    client, version, _ = peer.build_client("auto")
    peer.RESULTS.mkdir(parents=True, exist_ok=True)
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
            figures: dict[str, list[float]] = {}
            for rep in range(repeat):
                for name, endpoint, extra in (("plaintext", plain, []), ("sasl_ssl", secured, tls_args(broker))):
                    topic = f"tls-{name}-{rep}-{int(time.time())}"
                    created = peer.run_client(client, "create", endpoint, ["-t", topic] + extra, 30)
                    assert created.get("ok"), created
                    produced = peer.run_client(client, "produce", endpoint,
                                               ["-t", topic, "-s", "1024", "-n", str(count), "-l", "5"] + extra, 300)
                    consumed = peer.run_client(client, "consume", endpoint,
                                               ["-t", topic, "-n", str(produced.get("delivered", 0))] + extra, 300)
                    assert produced.get("ok") and consumed.get("ok"), (produced, consumed)
                    figures.setdefault(f"{name} produce", []).append(produced["mb_per_s"])
                    figures.setdefault(f"{name} consume", []).append(consumed["mb_per_s"])
                    peer.log(f"{name} r{rep}: produce {produced['mb_per_s']:.1f} MB/s, consume {consumed['mb_per_s']:.1f} MB/s")
        finally:
            broker.stop()
    median = {key: statistics.median(values) for key, values in figures.items()}
    produce_ratio = median["sasl_ssl produce"] / median["plaintext produce"]
    consume_ratio = median["sasl_ssl consume"] / median["plaintext consume"]
    print(f"librdkafka {version.get('version')}, 1 KiB x {count:,}, median of {repeat}, fsync never\n")
    print("| case | PLAINTEXT MB/s | SASL_SSL MB/s | SASL_SSL / PLAINTEXT | target |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| produce 1 KiB | {median['plaintext produce']:.1f} | {median['sasl_ssl produce']:.1f} | {produce_ratio:.2f} | "
          f"≥ 0.60: {'PASS' if produce_ratio >= 0.6 else 'FAIL'} |")
    print(f"| consume 1 KiB | {median['plaintext consume']:.1f} | {median['sasl_ssl consume']:.1f} | {consume_ratio:.2f} | "
          f"≥ 0.50: {'PASS' if consume_ratio >= 0.5 else 'FAIL'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
