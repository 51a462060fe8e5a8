"""ACLs with authorization on: a user with READ on a topic prefix reads only those topics and cannot produce or
delete, group access needs GROUP READ, super users may do everything; checked with confluent-kafka (clients and
AdminClient) and kafka-python, over a SASL_PLAINTEXT listener, with ACLs managed by `sluice acl` and by
confluent-kafka's AdminClient.

The PLAINTEXT listener on loopback is the admin door: its principal, User:ANONYMOUS, is made a super user, as
Docs/security.md describes for bootstrapping.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   NewTopic, ResourcePatternType, ResourceType)

from conftest import free_port

PASSWORDS = {"alice": "alice-password-1", "root": "root-password-1"}


@pytest.fixture
def guarded(make_broker, broker_binary):
    sasl_port = free_port()
    broker = make_broker(start=False)
    broker.extra_args = ("--listener", f"PLAINTEXT://{broker.bootstrap}", "--listener", f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
                         "--authorization", "on", "--super-users", "User:root;User:ANONYMOUS")
    broker.start()
    for user, password in PASSWORDS.items():
        subprocess.run([broker_binary, "user", "create", user, "--password-stdin", "--broker", broker.bootstrap],
                       input=password + "\n", text=True, check=True, capture_output=True, timeout=30)
    broker.sasl_bootstrap = f"127.0.0.1:{sasl_port}"
    run = lambda *args: subprocess.run([broker_binary, "acl", *args, "--broker", broker.bootstrap],
                                       text=True, capture_output=True, timeout=30)
    added = run("add", "--principal", "User:alice", "--topic", "orders.", "--prefixed", "--operation", "READ")
    assert added.returncode == 0, added.stderr
    assert run("add", "--principal", "User:alice", "--group", "g-alice", "--operation", "READ").returncode == 0
    broker.acl = run
    yield broker
    assert broker.alive()


def as_user(broker, user: str) -> dict:
    return {"bootstrap.servers": broker.sasl_bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": PASSWORDS[user]}


def produce(settings: dict, topic: str, count: int = 20) -> list:
    errors = []
    producer = Producer({**settings, "linger.ms": 5, "message.timeout.ms": 10000})
    for i in range(count):
        producer.produce(topic, f"{topic}-{i}".encode(), on_delivery=lambda err, msg: errors.append(err) if err else None)
    producer.flush(20)
    return errors


def consume(settings: dict, topic: str, group: str, want: int, timeout_s: float = 20) -> tuple[list[bytes], list]:
    consumer = Consumer({**settings, "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got, errors = [], []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline and not errors:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            errors.append(message.error())
        else:
            got.append(message.value())
    consumer.close()
    return got, errors


def test_prefix_read_user_reads_only_its_topics_and_cannot_write_or_delete(guarded):
    root = as_user(guarded, "root")
    admin = AdminClient(root)
    for topic in ("orders.a", "orders.b", "secret.x"):
        admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
        assert produce(root, topic) == [], "a super user may do everything"
    alice = as_user(guarded, "alice")

    got, errors = consume(alice, "orders.a", "g-alice", 20)
    assert errors == [] and len(got) == 20

    alice_admin = AdminClient(alice)
    listed = set(alice_admin.list_topics(timeout=10).topics)
    assert listed == {"orders.a", "orders.b"}, "unauthorized topics are not listed"

    errors = produce(alice, "orders.a", 3)
    assert errors and all(e.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED for e in errors)

    with pytest.raises(KafkaException) as deleted:
        alice_admin.delete_topics(["orders.b"])["orders.b"].result(10)
    assert deleted.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    got, errors = consume(alice, "secret.x", "g-alice", 1, timeout_s=10)
    assert got == [] and errors, "a topic outside the prefix cannot be read"

    got, errors = consume(alice, "orders.b", "g-other", 1, timeout_s=10)
    assert got == [] and any(e.code() == KafkaError.GROUP_AUTHORIZATION_FAILED for e in errors), errors

    consumer = Consumer({**alice, "group.id": "g-alice"})
    consumer.assign([TopicPartition("__consumer_offsets.0", 0, 0)])
    message = consumer.poll(5)
    consumer.close()
    assert message is None or message.error(), "internal topics are for super users only"


def test_acls_managed_with_the_admin_client_take_effect_and_deny_wins(guarded):
    root = AdminClient(as_user(guarded, "root"))
    root.create_topics([NewTopic("orders.c", 1, 1)])["orders.c"].result(10)
    alice = as_user(guarded, "alice")
    assert produce(alice, "orders.c", 2), "no WRITE yet"

    write = AclBinding(ResourceType.TOPIC, "orders.c", ResourcePatternType.LITERAL, "User:alice", "*",
                       AclOperation.WRITE, AclPermissionType.ALLOW)
    for future in root.create_acls([write]).values():
        future.result(10)
    assert produce(alice, "orders.c", 2) == [], "WRITE granted through CreateAcls"

    described = root.describe_acls(AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, "User:alice", None,
                                                    AclOperation.ANY, AclPermissionType.ANY)).result(10)
    assert {(b.name, b.operation) for b in described} >= {("orders.", AclOperation.READ), ("orders.c", AclOperation.WRITE)}

    deny = AclBinding(ResourceType.TOPIC, "orders.", ResourcePatternType.PREFIXED, "User:alice", "*",
                      AclOperation.WRITE, AclPermissionType.DENY)
    for future in root.create_acls([deny]).values():
        future.result(10)
    assert produce(alice, "orders.c", 2), "a DENY beats the ALLOW"

    alice_admin = AdminClient(alice)
    with pytest.raises(KafkaException):
        for future in alice_admin.create_acls([write]).values():
            future.result(10)

    removed = guarded.acl("remove", "--principal", "User:alice", "--topic", "orders.", "--prefixed", "--deny", "--operation", "WRITE")
    assert removed.returncode == 0 and "removed" in removed.stdout, removed.stderr
    assert produce(alice, "orders.c", 2) == []
    listed = guarded.acl("list", "--principal", "User:alice")
    assert "orders.c" in listed.stdout and "WRITE" in listed.stdout and "DENY" not in listed.stdout


def test_kafka_python_sees_the_same_rules(guarded):
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient
    from kafka.errors import TopicAuthorizationFailedError

    root = dict(bootstrap_servers=guarded.sasl_bootstrap, security_protocol="SASL_PLAINTEXT",
                sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="root", sasl_plain_password=PASSWORDS["root"])
    alice = {**root, "sasl_plain_username": "alice", "sasl_plain_password": PASSWORDS["alice"]}
    topic = "orders.kp-" + uuid.uuid4().hex[:6]
    producer = KafkaProducer(enable_idempotence=False, **root)
    for i in range(10):
        producer.send(topic, f"v{i}".encode())
    producer.flush(20)
    producer.close()

    consumer = KafkaConsumer(topic, group_id="g-alice", auto_offset_reset="earliest", consumer_timeout_ms=10000, **alice)
    assert len([m for m in consumer]) == 10
    consumer.close()

    admin = KafkaAdminClient(**alice)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            result = admin.delete_topics([topic], timeout_ms=10000)
            for _, error_code, *_ in getattr(result, "topic_error_codes", []):
                if error_code == 29:
                    raise TopicAuthorizationFailedError()
    finally:
        admin.close()

    denied_producer = KafkaProducer(enable_idempotence=False, max_block_ms=10000, retries=0, **alice)
    with pytest.raises(Exception):
        denied_producer.send(topic, b"nope").get(timeout=15)
    denied_producer.close()


def test_transactions_need_write_on_the_transactional_id(guarded):
    """Kafka's rule: a transactional producer needs WRITE (which implies DESCRIBE) on its TRANSACTIONAL_ID,
    besides WRITE on its topics. Without it init_transactions fails with TRANSACTIONAL_ID_AUTHORIZATION_FAILED."""
    admin = AdminClient({"bootstrap.servers": guarded.bootstrap})
    for future in admin.create_topics([NewTopic("orders.txn", num_partitions=1, replication_factor=1)]).values():
        future.result(timeout=30)
    topic_write = AclBinding(ResourceType.TOPIC, "orders.txn", ResourcePatternType.LITERAL, "User:alice", "*",
                             AclOperation.WRITE, AclPermissionType.ALLOW)
    for future in admin.create_acls([topic_write]).values():
        future.result(timeout=30)

    refused = Producer({**as_user(guarded, "alice"), "transactional.id": "alice-txn"})
    with pytest.raises(KafkaException) as raised:
        refused.init_transactions(20)
    assert raised.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, raised.value

    txn_write = AclBinding(ResourceType.TRANSACTIONAL_ID, "alice-txn", ResourcePatternType.LITERAL, "User:alice",
                           "*", AclOperation.WRITE, AclPermissionType.ALLOW)
    for future in admin.create_acls([txn_write]).values():
        future.result(timeout=30)
    producer = Producer({**as_user(guarded, "alice"), "transactional.id": "alice-txn"})
    producer.init_transactions(20)
    producer.begin_transaction()
    producer.produce("orders.txn", b"committed")
    producer.commit_transaction(20)
    other = Producer({**as_user(guarded, "alice"), "transactional.id": "someone-else"})
    with pytest.raises(KafkaException) as raised:
        other.init_transactions(20)
    assert raised.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
