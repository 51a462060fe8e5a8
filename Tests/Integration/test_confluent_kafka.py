"""confluent-kafka (librdkafka 2.16): produce >= 100,000 records (none, lz4, zstd) and read them all back."""

import time

import confluent_client
from kafka_checks import CODECS, PARTITIONS, check_round_trip, records_for, wait_until


def test_confluent_kafka_round_trip(broker):
    topic = "confluent-round-trip"
    confluent_client.create_topic(broker.bootstrap, topic)
    records = records_for("confluent", base_timestamp_ms=int(time.time() * 1000) - 3_600_000)

    started = time.monotonic()
    for codec in CODECS:
        confluent_client.produce_records(broker.bootstrap, topic, [r for r in records if r.codec == codec], codec)
    print(f"confluent-kafka: produced {len(records)} records in {time.monotonic() - started:.1f} s")

    reader = confluent_client.reader(broker.bootstrap)
    check_round_trip(reader, topic, records, "confluent-kafka", broker.quirks)

    if broker.persistent:
        broker.restart()
        check_round_trip(reader, topic, records, "confluent-kafka after restart", broker.quirks)
    else:
        print(f"restart check skipped: {broker.peer} keeps data in memory only")


def test_confluent_kafka_acks_0_and_1(broker):
    """acks=0 (no response expected: a reply would desynchronise the client) and acks=1 both land in order."""
    topic = "confluent-acks"
    confluent_client.create_topic(broker.bootstrap, topic)
    records = records_for("acks", total=9000, base_timestamp_ms=int(time.time() * 1000) - 60_000)
    # First half with acks=0, second with acks=1; each half in record order, uncompressed then zstd.
    for acks, half in (("0", records[:4500]), ("1", records[4500:])):
        for codec, chunk in (("none", [r for r in half if r.codec == "none"]),
                             ("zstd", [r for r in half if r.codec != "none"])):
            client = confluent_client.producer(broker.bootstrap, **{"acks": acks, "compression.type": codec})
            for r in chunk:
                client.produce(topic, key=r.key, value=r.value, partition=r.partition, timestamp=r.timestamp)
            assert client.flush(30) == 0
    # With acks=0 the client cannot know when the broker has appended: wait for the end offsets.
    expected_ends = {p: sum(1 for r in records if r.partition == p) for p in range(PARTITIONS)}
    if "end-offset-lags" not in broker.quirks:
        wait_until(lambda: confluent_client.end_offsets(broker.bootstrap, topic) == expected_ends, 20,
                   f"end offsets {expected_ends}")
    check_round_trip(confluent_client.reader(broker.bootstrap), topic, records, "confluent-kafka acks 0/1",
                     broker.quirks)
