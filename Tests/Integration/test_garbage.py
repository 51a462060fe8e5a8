"""Garbage on some connections must not disturb a normal client on another one, nor kill the broker."""

import random
import socket
import struct
import threading
import time

import confluent_client
import raw_kafka
from kafka_checks import PARTITIONS, check_round_trip, records_for


def send_and_close(port: int, payload: bytes, linger_s: float = 0.2) -> None:
    try:
        with raw_kafka.connect(port, timeout_s=5) as sock:
            sock.sendall(payload)
            time.sleep(linger_s)
    except OSError:
        pass  # the broker may close or reset a connection it refuses: that is fine here


def garbage_attacks(port: int, seed: int, closures: dict) -> None:
    rng = random.Random(seed)
    # (a) random bytes, of many lengths, some starting with a plausible small size.
    for i in range(20):
        payload = rng.randbytes(rng.randrange(1, 8192))
        if i % 2:
            payload = struct.pack(">i", rng.randrange(8, 256)) + payload
        send_and_close(port, payload, linger_s=0.05)
    # (b) a truncated frame: the size says 100 but only 10 bytes follow, then close.
    send_and_close(port, struct.pack(">i", 100) + rng.randbytes(10))
    # (c) a header claiming 2 GiB, then some bytes: the broker must refuse it, not wait for (or allocate) 2 GiB.
    with raw_kafka.connect(port, timeout_s=5) as sock:
        try:
            sock.sendall(struct.pack(">i", 0x7FFFFFFF) + rng.randbytes(1000))
        except OSError:
            pass
        closures["2GiB"] = raw_kafka.closed_by_peer(sock, timeout_s=5)
    # (d) a valid size with a garbage body (an unknown API key, nonsense header fields).
    with raw_kafka.connect(port, timeout_s=5) as sock:
        body = struct.pack(">hhi", 0x7A7A, -5, 1) + rng.randbytes(200)
        try:
            sock.sendall(struct.pack(">i", len(body)) + body)
        except OSError:
            pass
        closures["garbage body"] = raw_kafka.closed_by_peer(sock, timeout_s=5)
    # Also a valid header of a known API with a body cut short (Produce v9, nothing after the header).
    send_and_close(port, raw_kafka.request_frame(0, 9, 5, body=b"\x00\x01", flexible_header=True))


def test_garbage_connections_do_not_disturb_a_normal_client(broker):
    topic = "garbage-neighbour"
    confluent_client.create_topic(broker.bootstrap, topic)
    records = records_for("garbage", total=30_000, base_timestamp_ms=int(time.time() * 1000) - 600_000)

    closures, attack_errors, rounds = {}, [], []
    done = threading.Event()

    def attack():
        # Garbage goes on while the normal client produces and then reads everything back (at least 2 rounds).
        try:
            for round_number in range(20):
                if done.is_set() and round_number >= 2:
                    break
                garbage_attacks(broker.port, seed=round_number, closures=closures)
                rounds.append(round_number)
        except Exception as error:  # reported below; the normal client keeps going meanwhile
            attack_errors.append(error)

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    try:
        for codec in ("none", "lz4", "zstd"):
            confluent_client.produce_records(broker.bootstrap, topic, [r for r in records if r.codec == codec],
                                             codec)
        assert broker.alive(), f"broker died from garbage input; stderr tail:\n{broker.stderr_tail()}"
        check_round_trip(confluent_client.reader(broker.bootstrap), topic, records,
                         "confluent-kafka next to garbage", broker.quirks)
    finally:
        done.set()
        attacker.join(timeout=120)
    assert not attacker.is_alive(), "garbage connections still running after 120 s"
    assert not attack_errors, f"raw garbage connections failed unexpectedly: {attack_errors}"
    print(f"garbage: {len(rounds)} rounds of garbage connections")

    # A fresh connection still gets a well-formed answer.
    with raw_kafka.connect(broker.port) as sock:
        sock.sendall(raw_kafka.request_frame(raw_kafka.API_VERSIONS, 0, correlation_id=9))
        correlation_id, error_code, _ = raw_kafka.parse_api_versions_v0(raw_kafka.read_response(sock))
    assert (correlation_id, error_code) == (9, 0)
    assert closures.get("2GiB"), "the broker kept a connection open that announced a 2 GiB frame"
    assert broker.alive(), f"broker died; stderr tail:\n{broker.stderr_tail()}"
    print(f"garbage: connections closed by the broker: {closures}")
