"""Idempotent producers end to end.

1. A confluent-kafka producer with `enable.idempotence=true` talks to the broker through a small TCP proxy that,
   once, drops the connection after forwarding a Produce request to the broker but before relaying the broker's
   answer: the batch is in the log, the client does not know it, and retries it. The log must hold every record
   exactly once.
2. Over a raw socket: InitProducerId (ids, the epoch bump of KIP-360, a transactional id's own id) and Produce v3
   batches of one producer whose sequence skips (OUT_OF_ORDER_SEQUENCE_NUMBER, 45), repeats (a duplicate,
   answered NONE with the original offset) or comes from a fenced epoch (INVALID_PRODUCER_EPOCH, 47). Batches
   are built with kafka-python's DefaultRecordBatchBuilder, which takes producer id, epoch and base sequence.

Only the `make_broker` fixture of conftest.py is used; everything else is here, bounded in time and count.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka.record.default_records import DefaultRecordBatchBuilder

PRODUCE = 0
INIT_PRODUCER_ID = 22
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
FRAME_SIZE_BYTES_MAX = 64 * 1024 * 1024


# A proxy that drops one connection at the worst moment ---------------------------------------------------------

class DroppingProxy:
    """Forwards bytes between clients and the broker on 127.0.0.1, frame by frame. The `drop_on_produce`-th
    Produce request (API key 0 at bytes 4-5 of the size-prefixed frame) is forwarded to the broker; when the
    broker's answer to it (same correlation id) comes back, it is not relayed: both sockets are closed instead.
    That happens once. Connections, bytes and lifetime are bounded so a misbehaving client cannot hang the test."""

    def __init__(self, drop_on_produce: int = 2, connections_max: int = 32, lifetime_s: float = 180.0):
        self.drop_on_produce = drop_on_produce
        self.connections_max = connections_max
        self.deadline = time.monotonic() + lifetime_s
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.upstream_port: int | None = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.produce_count = 0
        self.connection_count = 0
        self.dropped_correlation_id: int | None = None
        self.dropped_answer_seen = threading.Event()
        self.sockets: list[socket.socket] = []
        self.threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            sockets = list(self.sockets)
        for sock in sockets + [self.listener]:
            self._close(sock)
        for thread in self.threads:
            thread.join(timeout=5)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _running(self) -> bool:
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def _accept_loop(self) -> None:
        while self._running():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connection_count += 1
                refused = self.connection_count > self.connections_max
            if refused:
                self._close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                self._close(client)
                continue
            for sock in (client, upstream):
                sock.settimeout(0.5)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.sockets += [client, upstream]
            self._spawn(self._client_to_broker, client, upstream)
            self._spawn(self._broker_to_client, upstream, client)

    def _read_frame(self, sock: socket.socket) -> bytes | None:
        """One whole size-prefixed frame (prefix included), or None when the socket closed or the proxy stops."""
        size_prefix = self._read_exactly(sock, 4)
        if size_prefix is None:
            return None
        (size,) = struct.unpack(">i", size_prefix)
        if not 0 <= size <= FRAME_SIZE_BYTES_MAX:
            return None
        body = self._read_exactly(sock, size)
        return None if body is None else size_prefix + body

    def _read_exactly(self, sock: socket.socket, count: int) -> bytes | None:
        data = bytearray()
        while len(data) < count:
            if not self._running():
                return None
            try:
                chunk = sock.recv(count - len(data))
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def _client_to_broker(self, client: socket.socket, upstream: socket.socket) -> None:
        while True:
            frame = self._read_frame(client)
            if frame is None:
                break
            if len(frame) >= 12:
                (api_key,) = struct.unpack(">h", frame[4:6])
                (correlation_id,) = struct.unpack(">i", frame[8:12])
                if api_key == PRODUCE:
                    with self.lock:
                        self.produce_count += 1
                        if self.produce_count == self.drop_on_produce and self.dropped_correlation_id is None:
                            # Set before forwarding, so the answer cannot overtake the decision.
                            self.dropped_correlation_id = correlation_id
            try:
                upstream.sendall(frame)
            except OSError:
                break
        self._close(client)
        self._close(upstream)

    def _broker_to_client(self, upstream: socket.socket, client: socket.socket) -> None:
        while True:
            frame = self._read_frame(upstream)
            if frame is None:
                break
            (correlation_id,) = struct.unpack(">i", frame[4:8])
            with self.lock:
                drop = correlation_id == self.dropped_correlation_id and not self.dropped_answer_seen.is_set()
                if drop:
                    self.dropped_answer_seen.set()
            if drop:
                break  # the broker appended the batch; the client never hears of it
            try:
                client.sendall(frame)
            except OSError:
                break
        self._close(client)
        self._close(upstream)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


@pytest.fixture
def proxy():
    dropping = DroppingProxy()
    yield dropping
    dropping.stop()


def create_topic(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)],
                                  operation_timeout=10, request_timeout=15)
    futures[topic].result(timeout=30)


def read_values(bootstrap: str, topic: str, expected_count: int, timeout_s: float = 60.0) -> list[bytes]:
    """Every value of partition 0 from offset 0, read until `expected_count` arrived plus a quiet second."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "idempotence-check",
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "enable.partition.eof": False, "fetch.wait.max.ms": 100})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        values: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        quiet_until = None
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None:
                assert message.error() is None, message.error()
                values.append(message.value())
                continue
            if len(values) >= expected_count:
                quiet_until = quiet_until or time.monotonic() + 1.0
                if time.monotonic() >= quiet_until:
                    break
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        assert (low, high) == (0, len(values)), f"watermarks {(low, high)} for {len(values)} values read"
        return values
    finally:
        consumer.close()


def test_retried_batch_after_a_dropped_answer_is_stored_once(make_broker, proxy):
    # Clients must reach the broker through the proxy only: it advertises the proxy's address (the last
    # --advertise wins over the fixture's).
    broker = make_broker(fsync="always", extra_args=("--advertise", proxy.address))
    proxy.start(upstream_port=broker.port)
    topic = "idempotent-retry"
    create_topic(proxy.address, topic)

    errors: list[str] = []
    offsets: list[int] = []

    def delivered(error, message):
        if error is not None:
            errors.append(str(error))
        else:
            offsets.append(message.offset())

    producer = Producer({"bootstrap.servers": proxy.address, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 5, "retry.backoff.ms": 50, "message.timeout.ms": 60000,
                         "max.in.flight.requests.per.connection": 5})
    rounds, per_round = 10, 50
    expected = [f"value-{index:05d}".encode() for index in range(rounds * per_round)]
    for round_index in range(rounds):
        for value in expected[round_index * per_round:(round_index + 1) * per_round]:
            producer.produce(topic, value=value, partition=0, on_delivery=delivered)
        producer.poll(0)
        # One flush per round: several Produce requests, so the drop lands in the middle of the stream.
        assert producer.flush(60) == 0, "records still undelivered after 60 s"
    assert not errors, f"delivery errors: {errors[:5]}"

    assert proxy.dropped_answer_seen.is_set(), "the proxy never dropped a Produce answer: the test proved nothing"
    assert proxy.connection_count >= 2, "the producer should have reconnected after the drop"
    assert sorted(offsets) == list(range(len(expected))), "each record acknowledged at its own offset, once"

    values = read_values(proxy.address, topic, len(expected))
    duplicates = {value for value in values if values.count(value) > 1}
    assert not duplicates, f"{len(duplicates)} values stored more than once, e.g. {sorted(duplicates)[:3]}"
    assert values == expected, f"{len(values)} values read, {len(set(expected) - set(values))} missing"


# Raw requests ---------------------------------------------------------------------------------------------------

class RawConnection:
    """Size-prefixed requests over one socket: header v1 (v2 with tagged fields for flexible versions)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.correlation_id = 0

    def close(self) -> None:
        self.sock.close()

    def request(self, api_key: int, api_version: int, body: bytes, flexible: bool = False) -> bytes:
        """Sends one request and returns the response body (after the correlation id and any tagged fields)."""
        self.correlation_id += 1
        client_id = b"idempotence-it"
        header = struct.pack(">hhih", api_key, api_version, self.correlation_id, len(client_id)) + client_id
        if flexible:
            header += b"\x00"
        self.sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        (size,) = struct.unpack(">i", self._read_exactly(4))
        assert 0 <= size <= FRAME_SIZE_BYTES_MAX
        frame = self._read_exactly(size)
        (correlation_id,) = struct.unpack(">i", frame[:4])
        assert correlation_id == self.correlation_id
        return frame[5:] if flexible else frame[4:]

    def _read_exactly(self, count: int) -> bytes:
        data = bytearray()
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError(f"connection closed after {len(data)} of {count} bytes")
            data += chunk
        return bytes(data)

    def init_producer_id(self, transactional_id: str | None = None) -> tuple[int, int, int]:
        """InitProducerId v1: (error code, producer id, epoch)."""
        if transactional_id is None:
            body = struct.pack(">h", -1)
        else:
            body = struct.pack(">h", len(transactional_id)) + transactional_id.encode()
        body += struct.pack(">i", 60000)
        error_code, producer_id, epoch = struct.unpack(">hqh", self.request(INIT_PRODUCER_ID, 1, body)[4:16])
        return error_code, producer_id, epoch

    def bump_epoch(self, producer_id: int, epoch: int) -> tuple[int, int, int]:
        """InitProducerId v3 (flexible) with the current id and epoch (KIP-360): (error code, id, epoch)."""
        body = b"\x00" + struct.pack(">iqh", 60000, producer_id, epoch) + b"\x00"  # null compact string
        response = self.request(INIT_PRODUCER_ID, 3, body, flexible=True)
        error_code, new_id, new_epoch = struct.unpack(">hqh", response[4:16])
        return error_code, new_id, new_epoch

    def produce(self, topic: str, batch: bytes) -> tuple[int, int]:
        """Produce v3, acks=-1, one batch to partition 0: (error code, base offset)."""
        name = topic.encode()
        body = struct.pack(">hhi", -1, -1, 10000)  # null transactional id, acks, timeout
        body += struct.pack(">ih", 1, len(name)) + name
        body += struct.pack(">iii", 1, 0, len(batch)) + batch
        response = self.request(PRODUCE, 3, body)
        topic_count, name_length = struct.unpack(">ih", response[:6])
        assert topic_count == 1
        position = 6 + name_length
        partition_count, partition, error_code, base_offset = struct.unpack(
            ">iihq", response[position:position + 18])
        assert (partition_count, partition) == (1, 0)
        return error_code, base_offset


def idempotent_batch(producer_id: int, epoch: int, sequence: int, values: list[bytes]) -> bytes:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                        producer_id=producer_id, producer_epoch=epoch, base_sequence=sequence,
                                        batch_size=1 << 20)
    now_ms = int(time.time() * 1000)
    for offset, value in enumerate(values):
        builder.append(offset, timestamp=now_ms, key=None, value=value, headers=[])
    return bytes(builder.build())


def test_sequences_and_epochs_over_a_raw_socket(make_broker):
    broker = make_broker()
    topic = "idempotent-raw"
    create_topic(broker.bootstrap, topic)
    connection = RawConnection(broker.port)
    try:
        error_code, producer_id, epoch = connection.init_producer_id()
        assert (error_code, epoch) == (0, 0) and producer_id >= 0
        second = connection.init_producer_id()
        assert second[0] == 0 and second[1] > producer_id, "ids increase"
        # A transactional id goes to the transaction coordinator (test_transactions.py): its own producer id, and
        # a second InitProducerId of the same id bumps the epoch (fencing the first).
        transactional = connection.init_producer_id("a-transaction")
        assert transactional[0] == 0 and transactional[2] == 0
        assert transactional[1] not in (producer_id, second[1])
        assert connection.init_producer_id("a-transaction") == (0, transactional[1], 1)

        def produce(sequence: int, count: int, epoch_used: int = 0) -> tuple[int, int]:
            values = [f"s{sequence + index}".encode() for index in range(count)]
            return connection.produce(topic, idempotent_batch(producer_id, epoch_used, sequence, values))

        assert produce(0, 3) == (0, 0)
        assert produce(3, 2) == (0, 3)
        assert produce(6, 1)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER, "sequence 5 skipped"
        assert produce(0, 3) == (0, 0), "a retry of an earlier batch is answered with its original offset"
        assert produce(3, 2) == (0, 3)
        assert produce(5, 1) == (0, 5)

        error_code, same_id, bumped = connection.bump_epoch(producer_id, 0)
        assert (error_code, same_id, bumped) == (0, producer_id, 1)
        assert produce(6, 1, epoch_used=1)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER, "a new epoch starts at sequence 0"
        assert produce(0, 1, epoch_used=1) == (0, 6)
        assert produce(6, 1, epoch_used=0)[0] == INVALID_PRODUCER_EPOCH, "the old epoch is fenced"
    finally:
        connection.close()

    # The state comes back after a clean restart (from the snapshot written at close), then after kill -9 (the
    # batch appended since that snapshot is replayed from its header).
    broker.restart()
    connection = RawConnection(broker.port)
    try:
        assert connection.produce(topic, idempotent_batch(producer_id, 1, 0, [b"s0"])) == (0, 6), "a duplicate"
        assert connection.produce(topic, idempotent_batch(producer_id, 1, 2, [b"x"]))[0] \
            == OUT_OF_ORDER_SEQUENCE_NUMBER
        assert connection.produce(topic, idempotent_batch(producer_id, 0, 6, [b"x"]))[0] == INVALID_PRODUCER_EPOCH
        assert connection.produce(topic, idempotent_batch(producer_id, 1, 1, [b"s1"])) == (0, 7)
        after_restart = connection.init_producer_id()[1]
        assert after_restart > second[1], "ids are not reused after a restart"
    finally:
        connection.close()

    broker.kill9()
    broker.start()
    connection = RawConnection(broker.port)
    try:
        assert connection.produce(topic, idempotent_batch(producer_id, 1, 1, [b"s1"])) == (0, 7), "a duplicate"
        assert connection.produce(topic, idempotent_batch(producer_id, 1, 3, [b"x"]))[0] \
            == OUT_OF_ORDER_SEQUENCE_NUMBER
        assert connection.produce(topic, idempotent_batch(producer_id, 1, 2, [b"s2"])) == (0, 8)
        assert connection.init_producer_id()[1] > after_restart, "ids are not reused after kill -9"
    finally:
        connection.close()
