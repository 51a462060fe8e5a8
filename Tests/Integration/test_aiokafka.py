"""aiokafka: produce >= 100,000 records (none, lz4, zstd) and read them all back.

Idempotence stays off (aiokafka's default; it would need InitProducerId). Consumers use `group_id=None` with
manual assignment.
"""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kafka_checks import CODECS, PARTITIONS, Fetched, Reader, check_round_trip, records_for

READ_TIMEOUT_S = 120.0


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=READ_TIMEOUT_S + 30))


async def create_topic(bootstrap, topic):
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()


async def produce(bootstrap, topic, records, codec):
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, enable_idempotence=False,
                                compression_type=None if codec == "none" else codec,
                                linger_ms=20, max_batch_size=512 * 1024, max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        pending = []
        for r in records:
            pending.append(await producer.send(topic, key=r.key, value=r.value, partition=r.partition,
                                               timestamp_ms=r.timestamp))
        await producer.flush()
        await asyncio.gather(*pending)  # raises the delivery error, if any
    finally:
        await producer.stop()


def new_consumer(bootstrap):
    return AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                            fetch_max_bytes=16 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024,
                            fetch_max_wait_ms=100, request_timeout_ms=30000)


def reader(bootstrap) -> Reader:
    partitions = lambda topic: [TopicPartition(topic, p) for p in range(PARTITIONS)]

    async def end_offsets(topic):
        consumer = new_consumer(bootstrap)
        await consumer.start()
        try:
            return {tp.partition: o for tp, o in (await consumer.end_offsets(partitions(topic))).items()}
        finally:
            await consumer.stop()

    async def offsets_for_time(topic, timestamp):
        consumer = new_consumer(bootstrap)
        await consumer.start()
        try:
            found = await consumer.offsets_for_times({tp: timestamp for tp in partitions(topic)})
            return {tp.partition: (None if o is None else o.offset) for tp, o in found.items()}
        finally:
            await consumer.stop()

    async def read(topic, starts, stops):
        wanted = [p for p, start in starts.items() if start < stops[p]]
        if not wanted:
            return []
        consumer = new_consumer(bootstrap)
        await consumer.start()
        fetched = []
        try:
            consumer.assign([TopicPartition(topic, p) for p in wanted])
            for p in wanted:
                consumer.seek(TopicPartition(topic, p), starts[p])
            position = {p: starts[p] for p in wanted}
            deadline = time.monotonic() + READ_TIMEOUT_S
            while any(position[p] < stops[p] for p in wanted):
                assert time.monotonic() < deadline, f"aiokafka: reading {topic} timed out at {position}"
                batches = await consumer.getmany(timeout_ms=500, max_records=20000)
                for tp, messages in batches.items():
                    for m in messages:
                        fetched.append(Fetched(m.partition, m.offset, m.key, m.value, m.timestamp))
                        position[m.partition] = max(position[m.partition], m.offset + 1)
            return fetched
        finally:
            await consumer.stop()

    return Reader(end_offsets=lambda topic: run(end_offsets(topic)),
                  offsets_for_time=lambda topic, ts: run(offsets_for_time(topic, ts)),
                  read=lambda topic, starts, stops: run(read(topic, starts, stops)))


def test_aiokafka_round_trip(broker):
    topic = "aiokafka-round-trip"
    run(create_topic(broker.bootstrap, topic))
    records = records_for("aiokafka", base_timestamp_ms=int(time.time() * 1000) - 3_600_000)

    started = time.monotonic()
    for codec in CODECS:
        run(produce(broker.bootstrap, topic, [r for r in records if r.codec == codec], codec))
    print(f"aiokafka: produced {len(records)} records in {time.monotonic() - started:.1f} s")

    check_round_trip(reader(broker.bootstrap), topic, records, "aiokafka", broker.quirks)
    if broker.persistent:
        broker.restart()
        check_round_trip(reader(broker.bootstrap), topic, records, "aiokafka after restart", broker.quirks)
    else:
        print(f"restart check skipped: {broker.peer} keeps data in memory only")
