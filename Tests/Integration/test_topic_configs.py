"""Topic configs as Kafka has them (issue #12, part 1): created with a topic, described with their sources,
altered live through AlterConfigs and IncrementalAlterConfigs, enforced on produce, kept across a restart.
Driven with confluent-kafka's AdminClient, kafka-python's KafkaAdminClient and Apache Kafka's Java AdminClient,
unmodified."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from confluent_kafka import (TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, KafkaError, KafkaException, Producer,
                             TopicPartition)
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
                                   NewTopic)

import confluent_client
from group_helpers import sluice
from kafka_checks import wait_until
from test_acls import as_user, guarded  # noqa: F401 (a fixture: a broker with ACLs, users alice and root)

TIMEOUT_S = 30
# What Quix Streams and Faust send when they create a changelog topic.
CHANGELOG_CONFIGS = {
    "cleanup.policy": "compact",
    "compression.type": "producer",
    "min.insync.replicas": "1",
    "max.message.bytes": "2097152",
    "message.timestamp.type": "CreateTime",
    "min.compaction.lag.ms": "0",
}


def admin_for(broker) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def admin_for_settings(settings: dict) -> AdminClient:
    return AdminClient(settings)


def create(admin: AdminClient, name: str, configs: dict[str, str], validate_only: bool = False) -> None:
    future = admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1, config=configs)],
                                 validate_only=validate_only, request_timeout=15)[name]
    future.result(timeout=TIMEOUT_S)


def describe(admin: AdminClient, name: str) -> dict[str, ConfigEntry]:
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    return admin.describe_configs([resource], request_timeout=15)[resource].result(timeout=TIMEOUT_S)


def incremental(admin: AdminClient, name: str, entries: list[ConfigEntry], validate_only: bool = False) -> None:
    resource = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=entries)
    admin.incremental_alter_configs([resource], validate_only=validate_only,
                                    request_timeout=15)[resource].result(timeout=TIMEOUT_S)


def kafka_error(call) -> KafkaError:
    with pytest.raises(KafkaException) as raised:
        call()
    return raised.value.args[0]


def produce(bootstrap: str, topic: str, values: list[bytes], timestamp_ms: int | None = None,
            **overrides) -> list:
    """Produces each value (one batch each, uncompressed); returns the delivery errors (None for successes)."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                         "compression.type": "none", "retries": 0, **overrides})
    outcomes: list = []
    for value in values:
        kwargs = {"timestamp": timestamp_ms} if timestamp_ms is not None else {}
        producer.produce(topic, value=value, on_delivery=lambda error, _message: outcomes.append(error), **kwargs)
        producer.flush(TIMEOUT_S)
    assert len(outcomes) == len(values), "not every produce was answered"
    return outcomes


def timestamps(bootstrap: str, topic: str, count: int) -> list[tuple[int, int]]:
    """The (timestamp type, timestamp) of the first `count` records of partition 0."""
    consumer = confluent_client.consumer(bootstrap)
    found: list[tuple[int, int]] = []
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        deadline = time.monotonic() + TIMEOUT_S
        while len(found) < count and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=count, timeout=0.5):
                assert message.error() is None, message.error()
                found.append(message.timestamp())
    finally:
        consumer.close()
    assert len(found) == count, f"read {len(found)} of {count} records of {topic}"
    return found


def broker_with_config(make_broker, text: str):
    broker = make_broker(start=False)
    config = Path(broker.work_dir) / "sluice.toml"
    config.write_text(text)
    broker.extra_args = broker.extra_args + ("--config", str(config))
    broker.start()
    return broker


def test_changelog_topic_created_with_configs_describes_them_back(broker):
    admin = admin_for(broker)
    create(admin, "app-changelog", CHANGELOG_CONFIGS)
    configs = describe(admin, "app-changelog")
    for name, value in CHANGELOG_CONFIGS.items():
        assert configs[name].value == value, f"{name}: {configs[name].value!r}"
        assert configs[name].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value, f"{name}: {configs[name].source}"
    # Not set for the topic: Kafka's default, described as such.
    assert configs["delete.retention.ms"].value == "86400000"
    assert configs["delete.retention.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    assert configs["retention.ms"].value == "604800000"
    # The default of a broker setting that differs from Kafka's is the broker's (STATIC_BROKER_CONFIG), with
    # its synonyms: the broker-level key and Kafka's default.
    flush = configs["flush.ms"]
    assert flush.source == ConfigSource.STATIC_BROKER_CONFIG.value, flush
    assert "log.flush.interval.ms" in flush.synonyms, flush.synonyms
    # Faust's other form.
    create(admin, "faust-table-changelog", {"cleanup.policy": "compact,delete", "retention.ms": "3600000"})
    assert describe(admin, "faust-table-changelog")["cleanup.policy"].value == "compact,delete"


def test_bad_values_get_invalid_config_naming_the_key(broker):
    admin = admin_for(broker)
    cases = {
        "retention.ms": ("soon", "whole number"),
        "cleanup.policy": ("shred", "delete and compact"),
        "compression.type": ("gzip", "recompress"),
        "min.insync.replicas": ("2", "one replica"),
        "message.timestamp.type": ("WallClock", "CreateTime or LogAppendTime"),
        "min.cleanable.dirty.ratio": ("1.5", "between 0 and 1"),
        "no.such.config": ("1", "unknown topic config"),
    }
    for name, (value, why) in cases.items():
        error = kafka_error(lambda: create(admin, f"bad-{name.replace('.', '-')}", {name: value}))
        assert error.code() == KafkaError.INVALID_CONFIG, f"{name}={value}: {error}"
        assert name in error.str() and why in error.str(), f"{name}={value}: {error.str()}"
    assert not [t for t in admin.list_topics(timeout=10).topics if t.startswith("bad-")], "a refused topic exists"
    # A clash between two values names both keys.
    error = kafka_error(lambda: create(admin, "bad-clash", {"segment.bytes": "100000", "max.message.bytes": "200000"}))
    assert error.code() == KafkaError.INVALID_CONFIG and "segment.bytes" in error.str() \
        and "max.message.bytes" in error.str(), error.str()
    # Altering an existing topic is checked the same way and changes nothing.
    create(admin, "good", {})
    error = kafka_error(lambda: incremental(admin, "good", [
        ConfigEntry("retention.ms", "-7", incremental_operation=AlterConfigOpType.SET)]))
    assert error.code() == KafkaError.INVALID_CONFIG and "retention.ms" in error.str(), error.str()
    assert describe(admin, "good")["retention.ms"].value == "604800000"


def test_validate_only_changes_nothing(broker):
    admin = admin_for(broker)
    create(admin, "checked-only", CHANGELOG_CONFIGS, validate_only=True)
    assert "checked-only" not in admin.list_topics(timeout=10).topics
    error = kafka_error(lambda: create(admin, "checked-only", {"retention.ms": "x"}, validate_only=True))
    assert error.code() == KafkaError.INVALID_CONFIG

    create(admin, "kept", {"retention.ms": "3600000"})
    incremental(admin, "kept", [ConfigEntry("retention.ms", "60000", incremental_operation=AlterConfigOpType.SET),
                                ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.SET)],
                validate_only=True)
    resource = ConfigResource(ConfigResource.Type.TOPIC, "kept", set_config={"segment.ms": "1000"})
    admin.alter_configs([resource], validate_only=True, request_timeout=15)[resource].result(timeout=TIMEOUT_S)
    configs = describe(admin, "kept")
    assert configs["retention.ms"].value == "3600000"
    assert configs["cleanup.policy"].value == "delete"
    assert configs["segment.ms"].source == ConfigSource.DEFAULT_CONFIG.value


def test_incremental_set_delete_append_subtract_and_alter_configs(broker):
    admin = admin_for(broker)
    create(admin, "altered", {"retention.ms": "3600000"})
    incremental(admin, "altered", [
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND),
        ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE),
        ConfigEntry("max.message.bytes", "65536", incremental_operation=AlterConfigOpType.SET),
    ])
    configs = describe(admin, "altered")
    assert configs["cleanup.policy"].value == "compact,delete"
    assert configs["retention.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    assert configs["max.message.bytes"].value == "65536"
    incremental(admin, "altered", [
        ConfigEntry("cleanup.policy", "delete", incremental_operation=AlterConfigOpType.SUBTRACT)])
    assert describe(admin, "altered")["cleanup.policy"].value == "compact"
    error = kafka_error(lambda: incremental(admin, "altered", [
        ConfigEntry("retention.ms", "5", incremental_operation=AlterConfigOpType.APPEND)]))
    assert error.code() == KafkaError.INVALID_CONFIG and "not a list" in error.str(), error.str()

    # AlterConfigs replaces the whole set: what is left out goes back to the default.
    resource = ConfigResource(ConfigResource.Type.TOPIC, "altered", set_config={"segment.ms": "3600000"})
    admin.alter_configs([resource], request_timeout=15)[resource].result(timeout=TIMEOUT_S)
    configs = describe(admin, "altered")
    assert configs["segment.ms"].value == "3600000"
    assert configs["segment.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["cleanup.policy"].value == "delete" and configs["max.message.bytes"].source != \
        ConfigSource.DYNAMIC_TOPIC_CONFIG.value

    error = kafka_error(lambda: incremental(admin, "no-such-topic", [
        ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)]))
    assert error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART, error


def test_broker_configs_are_described_and_not_altered(broker):
    admin = admin_for(broker)
    resource = ConfigResource(ConfigResource.Type.BROKER, "1")
    configs = admin.describe_configs([resource], request_timeout=15)[resource].result(timeout=TIMEOUT_S)
    for name in ("log.retention.ms", "log.segment.bytes", "num.partitions", "auto.create.topics.enable",
                 "message.max.bytes", "log.cleanup.policy"):
        assert name in configs, f"{name} missing from {sorted(configs)}"
        assert configs[name].is_read_only, name
    assert configs["log.cleanup.policy"].value == "delete"
    change = ConfigResource(ConfigResource.Type.BROKER, "1", incremental_configs=[
        ConfigEntry("log.retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)])
    with pytest.raises(KafkaException) as raised:
        admin.incremental_alter_configs([change], request_timeout=15)[change].result(timeout=TIMEOUT_S)
    assert "config file" in raised.value.args[0].str(), raised.value.args[0]


def test_live_segment_and_retention_change_takes_effect(make_broker):
    broker = broker_with_config(make_broker, "[storage]\nretention_check_interval_ms = 200\n")
    admin = admin_for(broker)
    create(admin, "shrinking", {})
    value = b"x" * 1000
    assert produce(broker.bootstrap, "shrinking", [value] * 100) == [None] * 100
    incremental(admin, "shrinking", [
        ConfigEntry("segment.bytes", "16384", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("retention.bytes", "40000", incremental_operation=AlterConfigOpType.SET),
    ])
    # The next appends roll at the new size; retention then deletes the oldest segments down to the new bound.
    assert produce(broker.bootstrap, "shrinking", [value] * 100) == [None] * 100
    consumer = confluent_client.consumer(broker.bootstrap)
    try:
        def watermarks() -> tuple[int, int]:
            return consumer.get_watermark_offsets(TopicPartition("shrinking", 0), timeout=10, cached=False)

        # About 40000 bytes of 1 KB records are left: the active segment and the newest sealed ones.
        wait_until(lambda: watermarks()[1] - watermarks()[0] <= 60, 20,
                   "retention to delete the segments down to the new retention.bytes")
        low, high = watermarks()
        assert high == 200 and low >= 140, (low, high)
    finally:
        consumer.close()
    partition_dir = broker.data_dir / "topics" / "shrinking" / "0"
    assert len(list(partition_dir.glob("*.log"))) >= 2, "no segment rolled at the new segment.bytes"


def test_max_message_bytes_is_enforced_on_produce(broker):
    admin = admin_for(broker)
    create(admin, "small-messages", {"max.message.bytes": "4096"})
    outcomes = produce(broker.bootstrap, "small-messages", [b"s" * 100, b"L" * 20000])
    assert outcomes[0] is None, outcomes
    assert outcomes[1] is not None and outcomes[1].code() == KafkaError.MSG_SIZE_TOO_LARGE, outcomes
    # Raised live, the same batch goes through.
    incremental(admin, "small-messages", [
        ConfigEntry("max.message.bytes", "65536", incremental_operation=AlterConfigOpType.SET)])
    assert produce(broker.bootstrap, "small-messages", [b"L" * 20000]) == [None]


def test_log_append_time_is_set_by_the_broker(broker):
    admin = admin_for(broker)
    create(admin, "append-time", {"message.timestamp.type": "LogAppendTime"})
    create(admin, "create-time", {})
    before_ms = int(time.time() * 1000)
    for topic in ("append-time", "create-time"):
        assert produce(broker.bootstrap, topic, [b"a", b"b"], timestamp_ms=1_000) == [None, None]
    after_ms = int(time.time() * 1000)
    for timestamp_type, timestamp_ms in timestamps(broker.bootstrap, "append-time", 2):
        assert timestamp_type == TIMESTAMP_LOG_APPEND_TIME, timestamp_type
        assert before_ms - 1000 <= timestamp_ms <= after_ms + 1000, (timestamp_ms, before_ms, after_ms)
    assert timestamps(broker.bootstrap, "create-time", 2) == [(TIMESTAMP_CREATE_TIME, 1_000)] * 2


def test_timestamp_bounds_are_enforced(broker):
    admin = admin_for(broker)
    create(admin, "recent-only", {"message.timestamp.before.max.ms": "3600000"})
    outcomes = produce(broker.bootstrap, "recent-only", [b"old"], timestamp_ms=1_000)
    assert outcomes[0] is not None and outcomes[0].code() == KafkaError.INVALID_TIMESTAMP, outcomes
    assert produce(broker.bootstrap, "recent-only", [b"now"]) == [None]


def test_configs_survive_a_restart(broker):
    if not broker.persistent:
        pytest.skip(f"{broker.peer} keeps data in memory only")
    admin = admin_for(broker)
    create(admin, "durable-configs", CHANGELOG_CONFIGS)
    incremental(admin, "durable-configs", [
        ConfigEntry("retention.ms", "123456", incremental_operation=AlterConfigOpType.SET)])
    broker.restart()
    admin = admin_for(broker)
    configs = describe(admin, "durable-configs")
    for name, value in {**CHANGELOG_CONFIGS, "retention.ms": "123456"}.items():
        assert configs[name].value == value, f"{name}: {configs[name].value!r}"
        assert configs[name].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value, name
    # Still enforced after the restart.
    outcomes = produce(broker.bootstrap, "durable-configs", [b"x" * 3_000_000],
                       **{"message.max.bytes": 10_000_000})
    assert outcomes[0] is not None and outcomes[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, outcomes


def test_kafka_python_admin_create_describe_alter(broker):
    from kafka.admin import ConfigResource as PyConfigResource
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=15000)
    try:
        created = admin.create_topics({"py-changelog": {"num_partitions": 2, "replication_factor": 1,
                                                        "configs": CHANGELOG_CONFIGS}})
        topic = created["topics"][0]
        assert topic["error_code"] == 0, topic
        # CreateTopics v5+ carries the topic's configs and counts (Java's AdminClient needs them).
        assert topic["num_partitions"] == 2 and topic["replication_factor"] == 1, topic
        assert topic["configs"]["cleanup.policy"]["value"] == "compact", topic["configs"]["cleanup.policy"]
        assert topic["configs"]["cleanup.policy"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"
        assert topic["configs"]["retention.ms"]["config_source"] == "DEFAULT_CONFIG"

        described = admin.describe_configs([PyConfigResource("TOPIC", "py-changelog")], config_filter="all")
        configs = described["topic"]["py-changelog"]
        assert configs["max.message.bytes"]["value"] == "2097152"
        assert configs["max.message.bytes"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"

        # IncrementalAlterConfigs (kafka-python's default on brokers that offer it), then the classic AlterConfigs.
        result = admin.alter_configs([PyConfigResource("TOPIC", "py-changelog", configs={"retention.ms": "7200000"})])
        assert result["topic"]["py-changelog"] == "OK", result
        result = admin.alter_configs([PyConfigResource("TOPIC", "py-changelog", configs={"segment.ms": "7200000"})],
                                     incremental=False)
        assert result["topic"]["py-changelog"] == "OK", result
        configs = admin.describe_configs([PyConfigResource("TOPIC", "py-changelog")])["topic"]["py-changelog"]
        assert configs["retention.ms"]["value"] == "7200000"
        assert configs["segment.ms"]["value"] == "7200000"
        assert configs["cleanup.policy"]["value"] == "compact"

        result = admin.alter_configs([PyConfigResource("TOPIC", "py-changelog", configs={"retention.ms": "never"})])
        assert "InvalidConfig" in result["topic"]["py-changelog"] and "retention.ms" in result["topic"]["py-changelog"], \
            result
    finally:
        admin.close()


def test_config_acls_are_checked_as_kafka_does(guarded):
    root = admin_for_settings(as_user(guarded, "root"))
    create(root, "orders.conf", {})
    alice = admin_for_settings(as_user(guarded, "alice"))  # READ on topics "orders." only
    change = [ConfigEntry("retention.ms", "60000", incremental_operation=AlterConfigOpType.SET)]
    error = kafka_error(lambda: incremental(alice, "orders.conf", change))
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error
    error = kafka_error(lambda: describe(alice, "orders.conf"))
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error
    broker_change = ConfigResource(ConfigResource.Type.BROKER, "1", incremental_configs=change)
    with pytest.raises(KafkaException) as raised:
        alice.incremental_alter_configs([broker_change], request_timeout=15)[broker_change].result(timeout=TIMEOUT_S)
    assert raised.value.args[0].code() == KafkaError.CLUSTER_AUTHORIZATION_FAILED, raised.value

    granted = guarded.acl("add", "--principal", "User:alice", "--topic", "orders.conf",
                          "--operation", "ALTER_CONFIGS")
    assert granted.returncode == 0, granted.stderr
    incremental(alice, "orders.conf", change)
    # ALTER_CONFIGS implies DESCRIBE_CONFIGS, as in Kafka.
    assert describe(alice, "orders.conf")["retention.ms"].value == "60000"


def test_cli_creates_alters_and_describes_topic_configs(broker):
    create_result = sluice(broker, "topic", "create", "cli-configs", "--config", "cleanup.policy=compact",
                           "--config", "retention.ms=3600000")
    assert "created topic cli-configs" in create_result.stdout
    refused = sluice(broker, "topic", "create", "cli-bad", "--config", "compression.type=lz4", check=False)
    assert refused.returncode != 0 and "compression.type" in refused.stderr + refused.stdout, refused
    sluice(broker, "topic", "alter-config", "cli-configs", "--set", "max.message.bytes=65536",
           "--delete", "retention.ms")
    described = sluice(broker, "topic", "describe", "cli-configs").stdout
    lines = {line.split()[0]: line.split()[1:] for line in described.splitlines() if line.strip()}
    assert lines["cleanup.policy"] == ["compact", "topic"], described
    assert lines["max.message.bytes"] == ["65536", "topic"], described
    assert lines["retention.ms"] == ["604800000", "default"], described


def test_java_admin_client_creates_alters_and_describes_configs(broker):
    if broker.peer != "sluice":
        pytest.skip("checked against Sluice")
    from java_client import run_java

    result = run_java("TopicConfigs.java", broker.bootstrap, "java-changelog", timeout_s=240)
    assert result == {
        # CreateTopics v5+ carries the configs and counts: Java's createTopics no longer throws.
        "partitions": 3, "replication_factor": 1,
        "created_cleanup_policy": "compact", "created_cleanup_policy_source": "DYNAMIC_TOPIC_CONFIG",
        "retention_ms": "3600000", "retention_ms_source": "DYNAMIC_TOPIC_CONFIG", "retention_ms_synonyms": 2,
        "retention_ms_type": "LONG", "retention_ms_documented": True, "cleanup_policy": "compact,delete",
        "segment_ms_after_alter": "3600000", "cleanup_policy_after_alter": "delete",
        "gzip_refused": "InvalidConfigurationException", "validate_only_created": False,
        "broker_log_retention_ms": "604800000",
    }, result
