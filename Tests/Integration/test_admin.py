"""Topic administration through confluent-kafka's admin client, and auto-creation on first produce."""

import time

from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

import confluent_client
from kafka_checks import wait_until


def test_create_describe_delete_topic(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    confluent_client.create_topic(broker.bootstrap, "admin-topic", partitions=5)

    again = admin.create_topics([NewTopic("admin-topic", num_partitions=2, replication_factor=1)],
                                request_timeout=15)["admin-topic"]
    try:
        again.result(timeout=30)
        raise AssertionError("creating an existing topic succeeded")
    except Exception as error:  # KafkaException wrapping TOPIC_ALREADY_EXISTS
        code = error.args[0].code() if error.args and hasattr(error.args[0], "code") else None
        assert code == KafkaError.TOPIC_ALREADY_EXISTS, f"expected TOPIC_ALREADY_EXISTS, got {error!r}"

    resource = ConfigResource(ConfigResource.Type.TOPIC, "admin-topic")
    configs = admin.describe_configs([resource], request_timeout=15)[resource].result(timeout=30)
    assert configs, "DescribeConfigs returned no configuration entries for the topic"

    metadata = admin.list_topics(timeout=10)
    assert len(metadata.topics["admin-topic"].partitions) == 5

    admin.delete_topics(["admin-topic"], request_timeout=15)["admin-topic"].result(timeout=30)
    wait_until(lambda: "admin-topic" not in admin.list_topics(timeout=10).topics, 15, "the deleted topic to vanish")


def test_auto_create_on_produce(broker):
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    errors = []
    producer.produce("auto-created", key=b"k", value=b"v",
                     on_delivery=lambda error, message: errors.append(error) if error else None)
    assert producer.flush(30) == 0
    assert not errors, errors
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = admin.list_topics(topic="auto-created", timeout=10).topics["auto-created"]
    assert topic.error is None and len(topic.partitions) == 1, f"auto-created topic: {topic.partitions}"
    records = confluent_client.read(broker.bootstrap, "auto-created", {0: 0}, {0: 1})
    assert [(r.key, r.value) for r in records] == [(b"k", b"v")]
