"""Tracing end to end (Docs/tracing.md): the real broker samples records entering a two-operator Python
pipeline (words → uppercase → upper → counter → counted), the SDK carries the traceparent downstream, and
`sluice trace` shows each sampled path with its operators in order; spans are exported over OTLP/HTTP JSON to
a collector run by the test."""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.request

import confluent_kafka
import pytest

from operator_support import create_topic, sluice_cli, wait_for, write_operator

UPPERCASE = """
import sluice

class Uppercase(sluice.Computation):
    def process_record(self, ctx, record):
        ctx.produce_record("upper", record.key, record.data.upper())

    def metadata(self):
        return sluice.Metadata(name="uppercase", istreams=["words"], ostreams=["upper"])

sluice.serve_computation(Uppercase())
"""

COUNTER = """
import sluice

class Counter(sluice.Computation):
    def process_record(self, ctx, record):
        ctx.produce_record("counted", record.key, str(len(record.data)))

    def metadata(self):
        return sluice.Metadata(name="counter", istreams=["upper"], ostreams=["counted"])

sluice.serve_computation(Counter())
"""

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def start_pipeline(make_broker, tmp_path, *serve_args: str):
    broker = make_broker(extra_args=serve_args)
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    create_topic(broker, "words", 2)
    for name, source in (("uppercase", UPPERCASE), ("counter", COUNTER)):
        directory = tmp_path / name
        directory.mkdir()
        sluice_cli(broker, "deploy", str(write_operator(directory, f"{name}.py", source)))
    return broker


def produce(broker, count: int, headers=None) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    for index in range(count):
        producer.produce("words", key=f"k{index}", value=f"word-{index}", headers=headers)
    assert producer.flush(30) == 0


def read_with_headers(broker, topic: str, expected: int) -> list[confluent_kafka.Message]:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "trace-reader",
                                         "enable.auto.commit": False})
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in partitions])
    messages = []
    try:
        def enough():
            for message in consumer.consume(1000, timeout=0.5):
                assert not message.error(), message.error()
                messages.append(message)
            return len(messages) >= expected
        wait_for(enough, 60, f"{expected} records in {topic}", interval_s=0)
    finally:
        consumer.close()
    return messages


def traces(broker, last: int) -> list[dict]:
    return json.loads(sluice_cli(broker, "trace", "--last", str(last), "--json").stdout)["traces"]


def assert_uppercase_then_counter(trace: dict) -> None:
    """The two spans of one record's path: uppercase first, then counter, linked parent to child."""
    first, second = trace["spans"]
    assert [first["operatorName"], second["operatorName"]] == ["uppercase", "counter"], trace
    assert HEX32.match(trace["traceId"]) and first["traceId"] == second["traceId"] == trace["traceId"]
    assert HEX16.match(first["spanId"]) and HEX16.match(second["spanId"]) and first["spanId"] != second["spanId"]
    assert second["parentSpanId"] == first["spanId"], trace
    assert (first["stream"], second["stream"]) == ("words", "upper")
    assert (first["version"], second["version"]) == (1, 1)
    assert first["instance"] == "v1#1" and second["instance"] == "v1#1"
    # Plausible times: the counter got the record after the uppercase operator answered; nothing took a minute.
    assert second["startTimeUnixNs"] >= first["endTimeUnixNs"] - 1_000_000, trace
    for span in (first, second):
        assert 0 <= span["operatorTimeMs"] < 60_000 and 0 <= span["streamTimeMs"] < 60_000, span
        assert span["endTimeUnixNs"] >= span["startTimeUnixNs"]


def test_a_sampled_records_trace_shows_every_operator_in_order(make_broker, tmp_path):
    broker = start_pipeline(make_broker, tmp_path, "--trace-sample-every", "1")
    produce(broker, 20)
    outputs = read_with_headers(broker, "counted", 20)
    wait_for(lambda: len(traces(broker, 100)) >= 20 and all(len(t["spans"]) == 2 for t in traces(broker, 100)),
             30, "20 two-span traces")

    listed = traces(broker, 5)
    assert len(listed) == 5
    for trace in listed:
        assert_uppercase_then_counter(trace)
    every = traces(broker, 100)
    assert len(every) == 20 and len({t["traceId"] for t in every}) == 20
    # Each path starts at its own produced record: words offsets, one trace each.
    assert sorted((t["spans"][0]["partition"], t["spans"][0]["offset"]) for t in every) == sorted(
        (m.partition(), m.offset()) for m in read_with_headers(broker, "words", 20))

    # The final records carry the context the counter saw: its trace id and span id.
    counter_spans = {t["spans"][1]["spanId"]: t["traceId"] for t in every}
    for message in outputs:
        header = dict(message.headers() or [])[("traceparent")].decode()
        version, trace_id, span_id, flags = header.split("-")
        assert (version, flags) == ("00", "01") and counter_spans[span_id] == trace_id, header

    text = sluice_cli(broker, "trace", "--last", "3").stdout
    lines = [line for line in text.splitlines() if line.startswith("trace ")]
    assert len(lines) == 3, text
    for line in lines:
        assert re.search(r"words\[\d\]@\d+ —[0-9.]+ ms→ uppercase v1 \([0-9.]+ ms\) → "
                         r"upper\[0\]@\d+ —[0-9.]+ ms→ counter v1 \([0-9.]+ ms\)$", line), line


def test_one_record_in_n_is_sampled_and_a_producers_context_is_continued(make_broker, tmp_path):
    broker = start_pipeline(make_broker, tmp_path, "--trace-sample-every", "5")
    produce(broker, 20)
    read_with_headers(broker, "counted", 20)

    def started_by(operator: str) -> list[dict]:
        return [t for t in traces(broker, 1000) if t["spans"][0]["operatorName"] == operator]

    # 20 records, one in 5 sampled by the uppercase operator; each of those traces reaches the counter.
    wait_for(lambda: len(started_by("uppercase")) == 4 and all(len(t["spans"]) == 2 for t in started_by("uppercase")),
             30, "4 traces through both operators")
    for trace in started_by("uppercase"):
        assert_uppercase_then_counter(trace)
    # The counter samples one in 5 of the 16 records that reached it untraced: 4 more, one span each.
    wait_for(lambda: len(started_by("counter")) == 4, 30, "4 traces started by the counter")
    assert all(len(t["spans"]) == 1 for t in started_by("counter"))
    assert len(traces(broker, 1000)) == 8

    # An instrumented producer's sampled context is always continued, whatever the sampling rate.
    trace_id, producer_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    produce(broker, 1, headers=[("traceparent", f"00-{trace_id}-{producer_span}-01".encode())])
    wait_for(lambda: any(t["traceId"] == trace_id and len(t["spans"]) == 2 for t in traces(broker, 1000)),
             30, "the producer's trace through both operators")
    trace = next(t for t in traces(broker, 1000) if t["traceId"] == trace_id)
    assert_uppercase_then_counter(trace)
    assert trace["spans"][0]["parentSpanId"] == producer_span


class Collector(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP endpoint that keeps every POSTed JSON body."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), CollectorHandler)


class CollectorHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        assert length < 64 << 20
        body = json.loads(self.rfile.read(length))
        self.server.paths.append(self.path)
        self.server.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def exported_spans(collector: Collector) -> list[dict]:
    spans = []
    for body in list(collector.bodies):
        for resource in body["resourceSpans"]:
            service = {a["key"]: a["value"] for a in resource["resource"]["attributes"]}["service.name"]
            assert service == {"stringValue": "sluice"}
            for scope in resource["scopeSpans"]:
                spans.extend(scope["spans"])
    return spans


def test_spans_are_exported_over_otlp_http_json(make_broker, tmp_path):
    collector = Collector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
        broker = start_pipeline(make_broker, tmp_path, "--trace-sample-every", "1", "--trace-otlp-endpoint", endpoint)
        produce(broker, 10)
        read_with_headers(broker, "counted", 10)
        wait_for(lambda: len(exported_spans(collector)) >= 20, 30, "20 exported spans")
    finally:
        collector.shutdown()
    spans = exported_spans(collector)
    assert len(spans) == 20 and set(collector.paths) == {"/v1/traces"}
    by_id = {span["spanId"]: span for span in spans}
    assert [t["traceId"] for t in traces(broker, 100)] and len(by_id) == 20
    for span in spans:
        assert HEX32.match(span["traceId"]) and HEX16.match(span["spanId"])
        assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"]) > 1_600_000_000 * 10**9
        attributes = {a["key"]: a["value"] for a in span["attributes"]}
        assert attributes["sluice.operator.version"] == {"intValue": "1"}
        if span["name"] == "uppercase":
            assert "parentSpanId" not in span and attributes["messaging.destination.name"] == {"stringValue": "words"}
        else:
            assert span["name"] == "counter"
            parent = by_id[span["parentSpanId"]]
            assert parent["name"] == "uppercase" and parent["traceId"] == span["traceId"]
    # The API shows the same spans the collector got, and /metrics counts them.
    listed = {s["spanId"] for t in traces(broker, 100) for s in t["spans"]}
    assert listed == set(by_id)
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}/metrics", timeout=30) as response:
        exposition = response.read().decode()
    assert re.search(r"^sluice_trace_spans_exported_total 20(\.0)?$", exposition, re.M), exposition[-2000:]
    assert re.search(r"^sluice_trace_spans_dropped_total 0(\.0)?$", exposition, re.M)


def test_an_unreachable_collector_does_not_hold_up_the_operators(make_broker, tmp_path):
    # Port 9 (discard) on loopback: nothing listens, so every export fails at once and its spans are dropped.
    broker = start_pipeline(make_broker, tmp_path, "--trace-sample-every", "1",
                            "--trace-otlp-endpoint", "http://127.0.0.1:9")
    produce(broker, 50)
    read_with_headers(broker, "counted", 50)
    wait_for(lambda: len(traces(broker, 100)) == 50, 30, "50 traces")
    assert "OTLP export to 127.0.0.1:9 failed" in broker.stderr_tail(200)
