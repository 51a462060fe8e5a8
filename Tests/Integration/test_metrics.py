"""GET /metrics on the admin port: scraped from the real broker and parsed with prometheus_client's text
parser, while confluent-kafka produces and a Python operator runs. Values are checked against what the
test did (records produced, watermarks read by an independent client), not only for presence."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import confluent_kafka
import pytest
from prometheus_client.parser import text_string_to_metric_families

from operator_support import IDENTITY, create_topic, sluice_cli, wait_for, write_operator

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Scrape:
    """One scrape: every sample by (sample name, labels), and every family's type by name."""

    def __init__(self, text: str):
        self.samples: dict[tuple[str, frozenset], float] = {}
        self.types: dict[str, str] = {}
        for family in text_string_to_metric_families(text):
            self.types[family.name] = family.type
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get((name, frozenset(labels.items())))

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of `name` whose labels include `labels`."""
        wanted = set(labels.items())
        return sum(value for (sample, sample_labels), value in self.samples.items()
                   if sample == name and wanted <= sample_labels)

    def series(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample, labels in self.samples if sample == name]


def scrape(broker) -> Scrape:
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == CONTENT_TYPE
        return Scrape(response.read().decode("utf-8"))


def produce(broker, topic: str, count: int, start_at: int = 0) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "acks": "all"})
    for index in range(start_at, start_at + count):
        value = f"seq-{index:08d}".encode()
        producer.produce(topic, key=value, value=value)
        producer.poll(0)
    assert producer.flush(30) == 0, "records not delivered"


def watermarks(broker, topic: str, partitions: int) -> list[int]:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "metrics-watermarks"})
    try:
        return [consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=30)[1]
                for p in range(partitions)]
    finally:
        consumer.close()


@pytest.fixture
def identity(broker, tmp_path):
    """A 3-partition input and output and an identity operator (two copies of its code, for a swap)."""
    if broker.peer != "sluice":
        pytest.skip("the metrics endpoint is Sluice's own")
    create_topic(broker, "in", 3)
    create_topic(broker, "out", 3)
    versions = []
    for version in (1, 2):
        directory = tmp_path / f"v{version}"
        directory.mkdir()
        versions.append(write_operator(directory, "identity.py", IDENTITY, name="identity", input="in", output="out"))
    return versions


OPERATOR = {"operator": "identity", "version": "1", "instance": "0"}


def test_partition_operator_and_lag_series_follow_the_traffic(broker, identity):
    produced = 3_000
    produce(broker, "in", produced)
    sluice_cli(broker, "deploy", str(identity[0]))
    wait_for(lambda: scrape(broker).value("sluice_operator_records_in_total", **OPERATOR) == produced, 60,
             f"the operator to take in {produced} records")
    metrics = scrape(broker)

    assert metrics.types["sluice_partition_appended_records"] == "counter"
    assert metrics.types["sluice_partition_log_end_offset"] == "gauge"
    assert metrics.types["sluice_consumer_group_lag_records"] == "gauge"
    assert metrics.types["sluice_operator_processing_latency_seconds"] == "histogram"
    ends = watermarks(broker, "in", 3)
    assert sum(ends) == produced
    for partition, end in enumerate(ends):
        labels = {"topic": "in", "partition": str(partition)}
        assert metrics.value("sluice_partition_log_end_offset", **labels) == end
        assert metrics.value("sluice_partition_appended_records_total", **labels) == end
        assert metrics.value("sluice_partition_log_start_offset", **labels) == 0
        # Each record carries at least its 12-byte key and 12-byte value (uncompressed).
        assert metrics.value("sluice_partition_appended_bytes_total", **labels) > end * 24
    assert metrics.total("sluice_partition_appended_records_total", topic="out") == produced
    assert metrics.total("sluice_partition_log_end_offset", topic="out") == produced

    assert metrics.value("sluice_operator_records_out_total", **OPERATOR) == produced
    assert metrics.value("sluice_operator_restarts_total", **OPERATOR) == 0
    assert metrics.value("sluice_operator_dead_lettered_records_total", **OPERATOR) == 0
    batches = metrics.value("sluice_operator_processing_latency_seconds_count", **OPERATOR)
    assert batches >= 1
    assert metrics.value("sluice_operator_processing_latency_seconds_bucket", **OPERATOR, le="+Inf") == batches
    assert 0 < metrics.value("sluice_operator_processing_latency_seconds_sum", **OPERATOR) < 60 * batches
    assert metrics.value("sluice_consumer_group_lag_records", group="identity", topic="in") == 0
    assert metrics.value("sluice_process_resident_memory_bytes") > 1_000_000

    # Paused, the operator takes nothing in while the input grows: the lag is exactly what was produced since.
    sluice_cli(broker, "pause", "identity")
    more = 700
    produce(broker, "in", more, start_at=produced)
    wait_for(lambda: scrape(broker).value("sluice_consumer_group_lag_records", group="identity", topic="in") == more,
             30, f"a lag of {more}")
    paused = scrape(broker)
    assert paused.value("sluice_operator_records_in_total", **OPERATOR) == produced
    assert paused.total("sluice_partition_appended_records_total", topic="in") == produced + more

    sluice_cli(broker, "resume", "identity")
    wait_for(lambda: scrape(broker).value("sluice_consumer_group_lag_records", group="identity", topic="in") == 0,
             60, "the lag to fall to 0 after resume")
    resumed = scrape(broker)
    assert resumed.value("sluice_operator_records_in_total", **OPERATOR) == produced + more
    assert resumed.total("sluice_partition_log_end_offset", topic="out") == produced + more


def test_swap_records_a_handoff_gap_on_the_new_version(broker, identity):
    sluice_cli(broker, "deploy", str(identity[0]))
    produce(broker, "in", 100)
    wait_for(lambda: scrape(broker).value("sluice_operator_records_in_total", **OPERATOR) == 100, 60, "100 records in")
    sluice_cli(broker, "swap", "identity", str(identity[1]))
    produce(broker, "in", 50, start_at=100)
    second = {**OPERATOR, "version": "2"}
    wait_for(lambda: scrape(broker).value("sluice_operator_records_in_total", **second) == 50, 60,
             "50 records into version 2")
    metrics = scrape(broker)
    assert metrics.value("sluice_operator_swap_handoff_gap_seconds_count", **second) == 1
    assert metrics.value("sluice_operator_swap_handoff_gap_seconds_count", **OPERATOR) in (None, 0)
    # The old version's series stay, with its final counts.
    assert metrics.value("sluice_operator_records_in_total", **OPERATOR) == 100


def test_crash_restart_and_dead_letter_are_counted(broker, tmp_path):
    if broker.peer != "sluice":
        pytest.skip("the metrics endpoint is Sluice's own")
    create_topic(broker, "orders", 1)
    # Exits on its first "crash" record (once: the marker file survives the restart), fails on "poison".
    fragile = write_operator(tmp_path, "fragile.py", """
        import os, sluice

        class Fragile(sluice.Computation):
            def process_record(self, ctx, record):
                if b"crash" in record.data and not os.path.exists("{marker}"):
                    open("{marker}", "w").close()
                    os._exit(3)
                if b"poison" in record.data:
                    raise ValueError("cannot digest")
                ctx.produce_record("accepted", record.key, record.data)

            def metadata(self):
                return sluice.Metadata(name="fragile", istreams=["orders"], ostreams=["accepted"])

        sluice.serve_computation(Fragile())
    """, marker=str(tmp_path / "crashed-once"))
    sluice_cli(broker, "deploy", str(fragile))
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
    for value in (b"one", b"crash", b"two", b"poison", b"three"):
        producer.produce("orders", value=value)
        producer.flush(10)
    labels = {"operator": "fragile", "version": "1", "instance": "0"}
    wait_for(lambda: scrape(broker).value("sluice_operator_records_in_total", **labels) == 4, 60,
             "four records in and one dead-lettered")
    metrics = scrape(broker)
    assert metrics.value("sluice_operator_restarts_total", **labels) == 1
    assert metrics.value("sluice_operator_dead_lettered_records_total", **labels) == 1
    assert metrics.value("sluice_operator_records_out_total", **labels) == 4
    assert metrics.value("sluice_partition_log_end_offset", topic="fragile.dlq", partition="0") == 1
    assert metrics.value("sluice_consumer_group_lag_records", group="fragile", topic="orders") == 0


def test_open_connections_and_deleted_topics(broker):
    if broker.peer != "sluice":
        pytest.skip("the metrics endpoint is Sluice's own")
    create_topic(broker, "gone", 2)
    produce(broker, "gone", 10)
    assert scrape(broker).total("sluice_partition_appended_records_total", topic="gone") == 10
    # The clients above are gone (destroyed when their functions returned); the admin port is not counted.
    wait_for(lambda: scrape(broker).value("sluice_kafka_connections_open") == 0, 10, "no Kafka connection open")
    connections = [socket.create_connection(("127.0.0.1", broker.port)) for _ in range(3)]
    try:
        wait_for(lambda: scrape(broker).value("sluice_kafka_connections_open") == 3, 10, "three open connections")
    finally:
        for connection in connections:
            connection.close()
    wait_for(lambda: scrape(broker).value("sluice_kafka_connections_open") == 0, 10,
             "the connections to be counted closed")

    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.delete_topics(["gone"])["gone"].result(30)
    wait_for(lambda: not [s for s in scrape(broker).series("sluice_partition_log_end_offset")
                          if s["topic"] == "gone"], 10, "the deleted topic's series to go")


def test_only_get_is_answered(broker):
    if broker.peer != "sluice":
        pytest.skip("the metrics endpoint is Sluice's own")
    request = urllib.request.Request(f"http://127.0.0.1:{broker.admin_port}/metrics", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
