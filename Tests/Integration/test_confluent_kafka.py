"""confluent-kafka (librdkafka 2.16): produce >= 100,000 records (none, lz4, zstd) and read them all back."""

import time

import confluent_client
from kafka_checks import CODECS, check_round_trip, records_for


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
