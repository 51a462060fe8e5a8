"""Apache Kafka's own Java client (kafka-clients 3.9) against the real broker (issue #12's Java tests start here):
an idempotent producer with five requests in flight writes records that come back once each, in order; a
transactional producer commits records and offsets (sendOffsetsToTransaction), aborts a transaction that
read_committed never shows, and commits another."""

from __future__ import annotations

import os

import pytest

from java_client import run_java
from operator_support import create_topic


@pytest.fixture(autouse=True)
def sluice_only(broker_binary):
    if os.environ.get("SLUICE_TEST_PEER", "sluice") != "sluice":
        pytest.skip("checked against Sluice")


def test_an_idempotent_java_producer_writes_every_record_once_in_order(broker):
    create_topic(broker, "java-idempotent", partitions=1)
    result = run_java("IdempotentProducer.java", broker.bootstrap, "java-idempotent", "5000")
    assert result == {"produced": 5000, "offsets_increase": True, "received": 5000, "in_order": 5000}, result


@pytest.mark.parametrize("assignor", ["range", "cooperative-sticky"])
def test_a_java_consumer_group_shares_a_topic_and_survives_a_member_leaving(broker, assignor):
    topic = f"java-group-{assignor}"
    create_topic(broker, topic, partitions=6)
    result = run_java("ConsumerGroup.java", broker.bootstrap, topic, "6000", assignor, timeout_s=180)
    assert result["errors"] == "", result
    assert result["distinct"] == 6000 and result["duplicates"] == 0, result
    # Every member held partitions at some point: the group really was shared three ways.
    assert all(held >= 1 for held in result["partitions_held"]), result


def test_a_java_transactional_producer_commits_records_and_offsets_and_aborts_invisibly(broker):
    create_topic(broker, "java-txn-out", partitions=1)
    create_topic(broker, "java-txn-in", partitions=1)
    result = run_java("TransactionalProducer.java", broker.bootstrap, "java-txn-out", "java-txn-in", "java-txn-group")
    # 10 + 3 committed records, 5 aborted: read_uncommitted sees all 18, read_committed none of the aborted ones.
    assert result == {"committed": 13, "aborted_seen": 0, "uncommitted": 18, "last": "last-2", "group_offset": 42}, result
