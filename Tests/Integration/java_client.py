"""Runs the Java programs of Tests/Integration/java/ with Apache Kafka's own Java client (kafka-clients 3.9, which
scripts/install-deps.sh fetches into /var/cache/sluice) through Java's single-file source launch: no build tool.
Each program prints one JSON object per line; the last one is its result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

JAVA_DIRECTORY = Path(__file__).resolve().parent / "java"
KAFKA_CLIENTS_JAR = Path(os.environ.get("SLUICE_KAFKA_CLIENTS_JAR", "/var/cache/sluice/kafka-clients-3.9.jar"))
SLF4J_JAR = Path("/usr/share/java/slf4j-api.jar")


def classpath() -> str:
    missing = [str(path) for path in (KAFKA_CLIENTS_JAR, SLF4J_JAR) if not path.exists()]
    if shutil.which("java") is None:
        missing.append("java")
    if missing:
        pytest.fail(f"the Java client is not installed ({', '.join(missing)}): run scripts/install-deps.sh")
    return f"{KAFKA_CLIENTS_JAR}:{SLF4J_JAR}"


def run_java(program: str, *args: str, timeout_s: float = 120) -> dict:
    """The last JSON line `program` (a file of Tests/Integration/java) prints; fails the test on a crash."""
    command = ["java", "-Xss1m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath(),
               str(JAVA_DIRECTORY / program), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and lines, (
        f"{program} exited {result.returncode}\nstdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-4000:]}")
    return json.loads(lines[-1])
