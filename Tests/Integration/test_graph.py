"""`sluice graph` against a running three-operator pipeline: the tree, Graphviz (checked by `dot -Tsvg`) and the
JSON topology document, with rates measured while a producer writes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import free_port
from operator_support import SteadyProducer, create_topic, sluice_cli, wait_for, write_operator

# A map from some inputs to one output; `inputs` is a Python list literal.
APPEND = """
import sluice

class Append(sluice.Computation):
    def process_record(self, ctx, record):
        ctx.produce_record("{output}", record.key, record.data + b"{suffix}")

    def metadata(self):
        return sluice.Metadata(name="{name}", istreams={inputs}, ostreams=["{output}"])

sluice.serve_computation(Append())
"""

PRODUCE_RATE = 400


@pytest.fixture
def pipeline(broker, tmp_path):
    """words → upper → upper, upper → shout → shout, and merge reading both words and shout → merged."""
    if broker.peer != "sluice":
        pytest.skip("operators are Sluice's own")
    for stream in ("words", "upper", "shout", "merged"):
        create_topic(broker, stream, 3)
    for name, inputs, output in (("upper", '["words"]', "upper"), ("shout", '["upper"]', "shout"),
                                 ("merge", '["words", "shout"]', "merged")):
        directory = tmp_path / name
        directory.mkdir()
        path = write_operator(directory, f"{name}.py", APPEND, name=name, inputs=inputs, output=output, suffix="!")
        sluice_cli(broker, "deploy", str(path))
    producer = SteadyProducer(broker, "words", 4_000, rate=PRODUCE_RATE)
    producer.start()
    yield broker
    producer.join(60)
    assert not producer.failures, producer.failures


def graph(broker, output_format: str) -> str:
    return sluice_cli(broker, "graph", "--format", output_format).stdout


def test_json_is_the_topology_document_with_live_rates(pipeline):
    def busy_document():
        document = json.loads(graph(pipeline, "json"))
        streams = {stream["name"]: stream for stream in document["streams"]}
        return document if streams["words"]["appendRecordsPerSecond"] > 0 and streams["shout"]["endOffsetSum"] > 0 else None

    document = wait_for(busy_document, 30, "words to show an append rate and shout to have records")
    streams = {stream["name"]: stream for stream in document["streams"]}
    assert set(streams) == {"words", "upper", "shout", "merged"}, "internal streams are hidden"
    words = streams["words"]
    assert words["partitions"] == 3
    # The producer writes at PRODUCE_RATE; the broker measures it over a few seconds of samples.
    assert PRODUCE_RATE * 0.3 < words["appendRecordsPerSecond"] < PRODUCE_RATE * 3, words
    operators = {op["name"]: op for op in document["operators"]}
    assert set(operators) == {"upper", "shout", "merge"}
    for op in operators.values():
        assert op["state"] == "running" and op["version"] == 1, op
    assert operators["merge"]["inputs"] == ["words", "shout"]
    edges = {(edge["direction"], edge["stream"], edge["operator"]) for edge in document["edges"]}
    assert edges == {
        ("input", "words", "upper"), ("output", "upper", "upper"),
        ("input", "upper", "shout"), ("output", "shout", "shout"),
        ("input", "words", "merge"), ("input", "shout", "merge"), ("output", "merged", "merge"),
    }
    for edge in document["edges"]:
        assert (edge.get("lag") is not None) == (edge["direction"] == "input"), edge
        assert edge["recordsPerSecond"] >= 0


def test_tree_shows_every_edge_with_rate_lag_and_state_and_expands_each_node_once(pipeline):
    def merged_has_records():
        streams = json.loads(graph(pipeline, "json"))["streams"]
        return any(stream["name"] == "merged" and stream["endOffsetSum"] > 0 for stream in streams)

    wait_for(merged_has_records, 30, "records through the whole pipeline")
    tree = graph(pipeline, "tree")
    print("\n" + tree)
    lines = tree.splitlines()
    roots = [line for line in lines if not line.startswith(("├", "└", "│", " "))]
    assert len(roots) == 1 and roots[0].startswith("words  (stream: 3 partitions"), tree
    edge_lines = [line for line in lines if "─▶" in line]
    assert len(edge_lines) == 7, tree
    for line in edge_lines:
        assert re.search(r"\[[0-9.]+ rec/s( · lag \d+)? · running\]", line), line
    input_edges = [line for line in edge_lines if re.search(r"─▶ (upper|shout|merge) v1", line)]
    assert len(input_edges) == 4 and all("lag" in line for line in input_edges), tree
    merge_lines = [line for line in edge_lines if "─▶ merge v1" in line]
    assert len(merge_lines) == 2, "merge reads two streams, so it appears under both"
    assert sum("(shown above)" in line for line in merge_lines) == 1, tree
    merged_lines = [line for line in lines if "─▶ merged  (stream" in line]
    assert len(merged_lines) == 1, "the subtree of merge is expanded once"
    # Depth: words → upper → upper → shout, so shout sits three levels in (merge, sorted first, is above).
    assert any(re.match(r"^ {6}└─\[.*─▶ shout v1  \(operator\)$", line) for line in lines), tree


def test_dot_is_valid_graphviz(pipeline, tmp_path):
    if shutil.which("dot") is None:
        pytest.fail("Graphviz is not installed: run scripts/install-deps.sh (Debian package graphviz)")
    source = graph(pipeline, "dot")
    assert source.startswith("digraph sluice {")
    assert re.search(r'"stream:words" \[shape=ellipse, label="words\\n3 partitions', source), source
    assert re.search(r'"operator:merge" \[shape=box, style=filled, fillcolor="#e6f4ea", label="merge\\nv1 · running', source)
    assert re.search(r'"stream:words" -> "operator:merge" \[label="[0-9.]+ rec/s\\nlag \d+ · running"\]', source), source
    assert '"operator:upper" -> "stream:upper"' in source
    rendered = subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    svg = rendered.stdout
    assert "<svg" in svg
    for title in ("stream:words", "operator:upper", "operator:shout", "operator:merge", "stream:merged"):
        assert f"<title>{title}</title>" in svg
    assert svg.count("<g id=\"edge") == 7


def test_graph_of_an_empty_broker_and_clear_errors(broker):
    if broker.peer != "sluice":
        pytest.skip("the admin API is Sluice's own")
    assert graph(broker, "tree").strip() == "(no streams, no operators)"
    document = json.loads(graph(broker, "json"))
    assert document["streams"] == [] and document["operators"] == [] and document["edges"] == []
    bad_format = sluice_cli(broker, "graph", "--format", "xml", check=False)
    assert bad_format.returncode != 0 and "xml" in bad_format.stderr
    unreachable = subprocess.run([broker.binary, "graph", "--admin", f"127.0.0.1:{free_port()}"],
                                 capture_output=True, text=True, timeout=60)
    assert unreachable.returncode != 0
    assert "cannot reach the admin API" in unreachable.stderr
