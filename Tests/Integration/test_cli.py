"""The project's own CLI (`sluice topic|produce|consume`) against the broker, cross-checked with confluent-kafka.

It also covers the codecs the other clients' round trips leave out (gzip, snappy).
"""

import subprocess

import pytest

import confluent_client
from kafka_checks import Record, assert_same_log, records_for, split_by_partition

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
PER_CODEC = 1500


@pytest.fixture
def cli(broker, broker_binary):
    if broker.peer != "sluice":
        pytest.skip("the sluice CLI is tested against the sluice broker only")

    def run(*args, stdin: bytes | None = None) -> str:
        command = [broker_binary, *args, "--broker", broker.bootstrap]
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=120)
        assert result.returncode == 0, (f"{' '.join(command)} exited with {result.returncode}:\n"
                                        f"{result.stderr.decode(errors='replace')[-2000:]}")
        return result.stdout.decode()

    return run


def test_cli_topic_produce_consume(cli, broker):
    cli("topic", "create", "cli-topic", "--partitions", "3")
    assert "cli-topic" in cli("topic", "list")

    records = records_for("cli", total=PER_CODEC * len(CODECS), printable=True)
    expected = []
    for index, codec in enumerate(CODECS):
        chunk = [Record(r.partition, r.key, r.value, None, codec)
                 for r in records[index * PER_CODEC:(index + 1) * PER_CODEC]]
        expected += chunk
        for p in range(3):
            lines = b"".join(r.key + b"\t" + r.value + b"\n" for r in chunk if r.partition == p)
            cli("produce", "cli-topic", "--partition", str(p), "--key-separator", "\t", "--compression", codec,
                stdin=lines)

    counts = {p: sum(1 for r in expected if r.partition == p) for p in range(3)}
    described = cli("topic", "describe", "cli-topic")
    for p in range(3):
        assert any(line.split()[:4] == [str(p), "0", str(counts[p]), str(counts[p])]
                   for line in described.splitlines()), f"topic describe:\n{described}"

    # A real client reads exactly what the CLI produced.
    by_partition = {p: [r for r in expected if r.partition == p] for p in range(3)}
    log = split_by_partition(confluent_client.read(broker.bootstrap, "cli-topic", {p: 0 for p in range(3)}, counts))
    for p in range(3):
        assert_same_log(by_partition[p], log[p], p, 0, "CLI-produced records read by confluent-kafka")

    # And the CLI reads it back too: "partition:offset:timestamp<TAB>key<TAB>value" per record.
    for p in range(3):
        out = cli("consume", "cli-topic", "--partition", str(p), "--from", "earliest", "--exit-at-end",
                  "--print-key", "--print-offset")
        lines = out.splitlines()
        assert len(lines) == counts[p], f"partition {p}: {len(lines)} lines, expected {counts[p]}"
        for offset, (line, want) in enumerate(zip(lines, by_partition[p])):
            position, key, value = line.split("\t")
            assert position.split(":")[:2] == [str(p), str(offset)], line
            assert (key.encode(), value.encode()) == (want.key, want.value), f"partition {p} offset {offset}"
