"""kafka-python: produce >= 100,000 records (none, lz4, zstd) and read them all back.

Idempotence is turned off explicitly: kafka-python 3 enables it by default, which needs InitProducerId, an
API Sluice does not offer yet. Consumers use `group_id=None` with manual assignment.
"""

import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from kafka_checks import CODECS, PARTITIONS, Fetched, Reader, check_round_trip, records_for

READ_TIMEOUT_S = 120.0


def create_topic(bootstrap, topic):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)], timeout_ms=15000)
    finally:
        admin.close()


def produce(bootstrap, topic, records, codec):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, enable_idempotence=False,
                             compression_type=None if codec == "none" else codec,
                             linger_ms=20, batch_size=512 * 1024,
                             max_request_size=8 * 1024 * 1024)
    try:
        futures = [producer.send(topic, key=r.key, value=r.value, partition=r.partition, timestamp_ms=r.timestamp)
                   for r in records]
        producer.flush(timeout=60)
        for future in futures:
            future.get(timeout=0)  # raises the delivery error, if any
    finally:
        producer.close(timeout=10)


def new_consumer(bootstrap):
    return KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         fetch_max_bytes=16 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024,
                         max_poll_records=20000, fetch_max_wait_ms=100, request_timeout_ms=30000)


def reader(bootstrap) -> Reader:
    partitions = lambda topic: [TopicPartition(topic, p) for p in range(PARTITIONS)]

    def end_offsets(topic):
        consumer = new_consumer(bootstrap)
        try:
            return {tp.partition: o for tp, o in consumer.end_offsets(partitions(topic)).items()}
        finally:
            consumer.close()

    def offsets_for_time(topic, timestamp):
        consumer = new_consumer(bootstrap)
        try:
            found = consumer.offsets_for_times({tp: timestamp for tp in partitions(topic)})
            return {tp.partition: (None if o is None else o.offset) for tp, o in found.items()}
        finally:
            consumer.close()

    def read(topic, starts, stops):
        wanted = [p for p, start in starts.items() if start < stops[p]]
        if not wanted:
            return []
        consumer = new_consumer(bootstrap)
        fetched = []
        try:
            consumer.assign([TopicPartition(topic, p) for p in wanted])
            for p in wanted:
                consumer.seek(TopicPartition(topic, p), starts[p])
            position = {p: starts[p] for p in wanted}
            deadline = time.monotonic() + READ_TIMEOUT_S
            while any(position[p] < stops[p] for p in wanted):
                assert time.monotonic() < deadline, f"kafka-python: reading {topic} timed out at {position}"
                for tp, messages in consumer.poll(timeout_ms=500, max_records=20000).items():
                    for m in messages:
                        fetched.append(Fetched(m.partition, m.offset, m.key, m.value, m.timestamp))
                        position[m.partition] = max(position[m.partition], m.offset + 1)
            return fetched
        finally:
            consumer.close()

    return Reader(end_offsets=end_offsets, offsets_for_time=offsets_for_time, read=read)


def test_kafka_python_round_trip(broker):
    topic = "kafka-python-round-trip"
    create_topic(broker.bootstrap, topic)
    records = records_for("kafka-python", base_timestamp_ms=int(time.time() * 1000) - 3_600_000)

    started = time.monotonic()
    for codec in CODECS:
        produce(broker.bootstrap, topic, [r for r in records if r.codec == codec], codec)
    print(f"kafka-python: produced {len(records)} records in {time.monotonic() - started:.1f} s")

    check_round_trip(reader(broker.bootstrap), topic, records, "kafka-python", broker.quirks)
    if broker.persistent:
        broker.restart()
        check_round_trip(reader(broker.bootstrap), topic, records, "kafka-python after restart", broker.quirks)
    else:
        print(f"restart check skipped: {broker.peer} keeps data in memory only")
