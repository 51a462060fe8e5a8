"""Debian's kcat (1.7.1 on librdkafka 2.0.2, which parses ApiVersions responses strictly).

Produces >= 100,000 records (none, lz4, zstd) with `kcat -P -K '\\t'` and reads them back with
`kcat -C -e -o ... -f ...`; offsets by timestamp come from `kcat -Q`. kcat cannot set a record's timestamp,
so records carry the producer's clock (CreateTime); the timestamp check uses the stored timestamps.
The topic is created with confluent-kafka's admin client (kcat has no admin commands).
"""

import json
import shutil
import subprocess

import pytest

import confluent_client
from kafka_checks import CODECS, PARTITIONS, Fetched, Reader, check_round_trip, records_for

KCAT = shutil.which("kcat") or "kcat"
COMMAND_TIMEOUT_S = 120


def kcat(broker, *args, stdin: bytes | None = None) -> bytes:
    command = [KCAT, "-b", broker.bootstrap, "-m", "10", *args]
    result = subprocess.run(command, input=stdin, capture_output=True, timeout=COMMAND_TIMEOUT_S)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited with {result.returncode}:\n"
                             f"{result.stderr.decode(errors='replace')[-3000:]}\nbroker stderr tail:\n"
                             f"{broker.stderr_tail(20)}")
    return result.stdout


def kcat_reader(broker) -> Reader:
    def read(topic, starts, stops):
        fetched = []
        for p, start in starts.items():
            count = stops[p] - start
            if count <= 0:
                continue
            out = kcat(broker, "-C", "-t", topic, "-p", str(p), "-o", str(start), "-c", str(count), "-e",
                       "-f", "%p\\t%o\\t%T\\t%k\\t%s\\n")
            for line in out.split(b"\n"):
                if not line:
                    continue
                partition, offset, timestamp, key, value = line.split(b"\t")
                fetched.append(Fetched(int(partition), int(offset), key, value, int(timestamp)))
        return fetched

    def query(topic, timestamp):
        args = []
        for p in range(PARTITIONS):
            args += ["-t", f"{topic}:{p}:{timestamp}"]
        out = kcat(broker, "-Q", *args).decode()
        # One line per partition: "<topic> [<partition>] offset <offset>"
        result = {}
        for line in out.splitlines():
            if "offset" not in line:
                continue
            words = line.split()
            result[int(words[1].strip("[]"))] = int(words[-1])
        assert sorted(result) == list(range(PARTITIONS)), f"kcat -Q printed {out!r}"
        return result

    def offsets_for_time(topic, timestamp):
        return {p: (o if o >= 0 else None) for p, o in query(topic, timestamp).items()}

    return Reader(end_offsets=lambda topic: query(topic, -1), offsets_for_time=offsets_for_time, read=read)


def test_kcat_metadata_list(broker):
    """`kcat -L` must work: librdkafka 2.0.2 rejects ApiVersions/Metadata responses that newer clients accept."""
    confluent_client.create_topic(broker.bootstrap, "kcat-listed")
    listing = json.loads(kcat(broker, "-L", "-J"))
    brokers = {(b["name"]) for b in listing["brokers"]}
    assert any(name.endswith(f":{broker.port}") for name in brokers), f"brokers listed: {brokers}"
    topics = {t["topic"]: t for t in listing["topics"]}
    assert "kcat-listed" in topics, f"topics listed: {sorted(topics)}"
    assert len(topics["kcat-listed"]["partitions"]) == PARTITIONS
    assert all(p.get("err") is None for p in topics["kcat-listed"]["partitions"]), topics["kcat-listed"]
    # The plain-text listing too (what people type).
    text = kcat(broker, "-L", "-t", "kcat-listed").decode()
    assert 'topic "kcat-listed" with 3 partitions' in text, text


def test_kcat_round_trip(broker):
    topic = "kcat-round-trip"
    confluent_client.create_topic(broker.bootstrap, topic)
    records = records_for("kcat", printable=True)

    for codec in CODECS:
        for p in range(PARTITIONS):
            lines = b"".join(r.key + b"\t" + r.value + b"\n" for r in records
                             if r.codec == codec and r.partition == p)
            compression = [] if codec == "none" else ["-z", codec]
            kcat(broker, "-P", "-t", topic, "-p", str(p), "-K", "\\t", *compression,
                 "-X", "acks=all", "-X", "linger.ms=20", "-X", "batch.num.messages=10000", stdin=lines)

    reader = kcat_reader(broker)
    check_round_trip(reader, topic, records, "kcat", broker.quirks)
    if broker.persistent:
        broker.restart()
        check_round_trip(reader, topic, records, "kcat after restart", broker.quirks)
    else:
        print(f"restart check skipped: {broker.peer} keeps data in memory only")
