"""Bounded resources for operators (issue #11, part 6): an operator over its memory, file or process limit
is stopped with the reason in `sluice ops` and the admin API, is not restarted in a loop, costs the broker
nothing, and the operator next to it keeps processing records. Runs with cgroups where the machine has them
(`auto`) and with rlimits only (`off`), so both enforcement paths are exercised on one machine."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import confluent_kafka
import pytest

from operator_support import IDENTITY, create_topic, end_offsets, sluice_cli, wait_for, write_operator

# Allocates and touches 512 MiB in 16 MiB steps when it sees b"hog"; passes every record on.
HOG = """
import sluice

class Hog(sluice.Computation):
    def process_record(self, ctx, record):
        if record.data == b"hog":
            chunks = []
            for _ in range(32):
                chunks.append(b"\\x01" * (16 << 20))
        ctx.produce_record("{output}", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="{name}", istreams=["{input}"], ostreams=["{output}"])

sluice.serve_computation(Hog())
"""

# Opens /dev/null until it cannot (and keeps the files) when it sees b"files".
FILE_HOARDER = """
import sluice

class Hoarder(sluice.Computation):
    def process_record(self, ctx, record):
        if record.data == b"files":
            self.kept = [open("/dev/null") for _ in range(100000)]
        ctx.produce_record("{output}", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="{name}", istreams=["{input}"], ostreams=["{output}"])

sluice.serve_computation(Hoarder())
"""

# Starts sleeping threads until it cannot when it sees b"threads".
THREAD_HOARDER = """
import threading, time
import sluice

class Threads(sluice.Computation):
    def process_record(self, ctx, record):
        if record.data == b"threads":
            for _ in range(1000):
                threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        ctx.produce_record("{output}", record.key, record.data)

    def metadata(self):
        return sluice.Metadata(name="{name}", istreams=["{input}"], ostreams=["{output}"])

sluice.serve_computation(Threads())
"""


@pytest.fixture(autouse=True)
def sluice_only():
    if os.environ.get("SLUICE_TEST_PEER", "sluice").strip().lower() == "tansu":
        pytest.skip("operator limits are Sluice's own")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def admin_json(broker, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}{path}", timeout=10) as answer:
        return json.loads(answer.read())


def produce(broker, topic: str, values: list[bytes]) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for value in values:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0


def status_when(broker, name: str, predicate, timeout_s: float, what: str):
    return wait_for(lambda: (lambda s: s if predicate(s) else None)(admin_json(broker, f"/v1/operators/{name}")),
                    timeout_s, what)


def stays_stopped(broker, name: str, seconds: float = 3.0) -> dict:
    """The status after `seconds` of checking that the operator stayed stopped and was not restarted (the
    runtime's restart backoff starts at 100 ms: a crash loop would restart it several times meanwhile)."""
    first = admin_json(broker, f"/v1/operators/{name}")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = admin_json(broker, f"/v1/operators/{name}")
        assert status["state"] == "stopped", status
        assert status["restarts"] == first["restarts"], f"restarted: {status}"
        assert all(instance.get("process") is None for instance in status["instanceDetails"]), status
        time.sleep(0.2)
    return status


@pytest.mark.parametrize("cgroups", ["auto", "off"])
def test_an_operator_over_its_memory_limit_is_stopped_and_its_neighbour_runs_on(make_broker, tmp_path, cgroups):
    broker = make_broker(extra_args=("--operator-cgroups", cgroups))
    create_topic(broker, "hog-in", 1)
    create_topic(broker, "in", 1)
    hog = write_operator(tmp_path, "hog.py", HOG, name="hog", input="hog-in", output="hog-out")
    steady = write_operator(tmp_path, "steady.py", IDENTITY, name="steady", input="in", output="out")
    sluice_cli(broker, "deploy", str(hog), "--memory-max", "64MiB")
    sluice_cli(broker, "deploy", str(steady))
    produce(broker, "in", [f"before-{n}".encode() for n in range(50)])
    wait_for(lambda: end_offsets(broker, "out") == 50, 30, "the neighbour's first 50 records")
    time.sleep(0.5)
    rss_before = rss_mib(broker.process.pid)

    produce(broker, "hog-in", [b"small"])
    wait_for(lambda: end_offsets(broker, "hog-out") == 1, 30, "the hog's first record passed on")
    produce(broker, "hog-in", [b"hog", b"after"])
    status = status_when(broker, "hog", lambda s: s["state"] == "stopped", 60, "the hog stopped")
    assert status["reason"].startswith("exceeded its memory limit (64 MiB): "), status
    evidence = "OOM killer" if "cgroup" in status["limitsEnforcement"] else "RLIMIT_DATA"
    assert evidence in status["reason"], status
    assert status["limits"]["memoryBytesMax"] == 64 << 20
    if cgroups == "off":
        assert status["limitsEnforcement"].startswith("rlimits (memory as RLIMIT_DATA"), status
    status = stays_stopped(broker, "hog")
    assert end_offsets(broker, "hog-out") == 1, "only the record before the hog was passed on"

    ops = sluice_cli(broker, "ops", "hog").stdout
    assert re.search(r"^hog\s+1\s+stopped", ops, re.M), ops
    assert "stopped: exceeded its memory limit (64 MiB)" in ops, ops
    assert "limits: memory 64 MiB, cpu unlimited, files 1024, processes 128" in ops, ops
    listed = {op["name"]: op for op in admin_json(broker, "/v1/operators")}
    assert listed["hog"]["state"] == "stopped" and listed["steady"]["state"] == "running", listed

    # The neighbour keeps processing records end to end, and the broker did not pay for the hog.
    produce(broker, "in", [f"after-{n}".encode() for n in range(50)])
    wait_for(lambda: end_offsets(broker, "out") == 100, 30, "the neighbour's next 50 records")
    rss_after = rss_mib(broker.process.pid)
    print(f"\ncgroups {cgroups}: broker RSS {rss_before:.1f} -> {rss_after:.1f} MiB; reason: {status['reason']}")
    assert rss_after - rss_before < 64, f"broker RSS grew from {rss_before:.1f} to {rss_after:.1f} MiB"

    # A resume tries again (the same record hits the same limit: stopped again, once, not in a loop)...
    sluice_cli(broker, "resume", "hog")
    status_when(broker, "hog", lambda s: s["state"] == "stopped" and s["restarts"] == status["restarts"] + 1,
                60, "the resumed hog stopped again")
    stays_stopped(broker, "hog", seconds=2.0)
    # ...and a swap with a higher limit processes it.
    swapped = sluice_cli(broker, "swap", "hog", str(hog), "--memory-max", "1GiB").stdout
    assert "swapped hog from version 1 to 2" in swapped, swapped
    wait_for(lambda: end_offsets(broker, "hog-out") == 3, 60, "the swapped hog's outputs")
    status = admin_json(broker, "/v1/operators/hog")
    assert status["state"] == "running" and "reason" not in status, status
    assert status["limits"]["memoryBytesMax"] == 1 << 30


def test_the_limits_survive_a_restart_and_bad_values_are_refused(make_broker, tmp_path):
    broker = make_broker(extra_args=("--operator-files-max", "512"))
    create_topic(broker, "in", 1)
    steady = write_operator(tmp_path, "steady.py", IDENTITY, name="steady", input="in", output="out")
    refused = sluice_cli(broker, "deploy", str(steady), "--memory-max", "64", check=False)
    assert refused.returncode != 0 and "memory-max must be 16 MiB...1 TiB or unlimited, not 64 B" in refused.stderr
    refused = sluice_cli(broker, "deploy", str(steady), "--cpu-max", "lots", check=False)
    assert refused.returncode != 0 and "'lots' is not a number of cores" in refused.stderr
    assert admin_json(broker, "/v1/operators") == [], "nothing deployed by a refused request"
    # The admin API checks too, whoever sends the document.
    request = urllib.request.Request(
        f"http://127.0.0.1:{broker.admin_port}/v1/operators", method="POST",
        data=json.dumps({"files": {"a.py": ""}, "environment": {}, "limits": {"filesMax": 3}}).encode(),
        headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 400 and b"files-max must be 16...1048576" in answer.value.read()

    sluice_cli(broker, "deploy", str(steady), "--cpu-max", "0.5", "--processes-max", "32")
    expected = {"memoryBytesMax": 1 << 30, "cpuMillicoresMax": 500, "filesMax": 512, "processesMax": 32}
    assert admin_json(broker, "/v1/operators/steady")["limits"] == expected
    broker.restart()
    status = status_when(broker, "steady", lambda s: s["state"] == "running", 30, "steady running after restart")
    assert status["limits"] == expected, "the deployment record keeps the limits"


def test_an_operator_over_its_file_limit_is_stopped_and_reported(broker, tmp_path):
    create_topic(broker, "in", 1)
    hoarder = write_operator(tmp_path, "hoarder.py", FILE_HOARDER, name="hoarder", input="in", output="out")
    sluice_cli(broker, "deploy", str(hoarder), "--files-max", "64")
    produce(broker, "in", [b"one"])
    wait_for(lambda: end_offsets(broker, "out") == 1, 30, "the first record passed on")
    produce(broker, "in", [b"files", b"two"])
    status = status_when(broker, "hoarder", lambda s: s["state"] == "stopped", 60, "the hoarder stopped")
    assert status["reason"].startswith("exceeded its files limit (64): an open failed with EMFILE"), status
    stays_stopped(broker, "hoarder")
    assert end_offsets(broker, "out") == 1
    assert "stopped: exceeded its files limit (64)" in sluice_cli(broker, "ops", "hoarder").stdout


def test_an_operator_over_its_process_limit_is_stopped_and_reported(make_broker, tmp_path):
    broker = make_broker()
    create_topic(broker, "in", 1)
    threads = write_operator(tmp_path, "threads.py", THREAD_HOARDER, name="threads", input="in", output="out")
    sluice_cli(broker, "deploy", str(threads), "--processes-max", "16")
    status = admin_json(broker, "/v1/operators/threads")
    if "cgroup" not in status["limitsEnforcement"]:
        # RLIMIT_NPROC counts every process of the user and does not bind root: only pids.max is exact.
        pytest.skip(f"no pids cgroup here ({status['limitsEnforcement']})")
    produce(broker, "in", [b"one"])
    wait_for(lambda: end_offsets(broker, "out") == 1, 30, "the first record passed on")
    produce(broker, "in", [b"threads", b"two"])
    status = status_when(broker, "threads", lambda s: s["state"] == "stopped", 60, "the thread hoarder stopped")
    assert status["reason"].startswith("exceeded its processes limit (16): pids.max refused"), status
    stays_stopped(broker, "threads")
    assert end_offsets(broker, "out") == 1


# Writes the uid and gid it runs as, and whether it can write the broker's data directory.
WHO_AM_I = """
import os
import sluice

class WhoAmI(sluice.Computation):
    def process_record(self, ctx, record):
        writable = os.access(os.environ["BROKER_DATA"], os.W_OK)
        ctx.produce_record("{output}", None, f"{{os.getuid()}} {{os.getgid()}} {{writable}}".encode())

    def metadata(self):
        return sluice.Metadata(name="{name}", istreams=["{input}"], ostreams=["{output}"])

sluice.serve_computation(WhoAmI())
"""


def test_operators_run_as_the_configured_unprivileged_user(make_broker, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("switching users needs a broker running as root")
    import pwd
    nobody = pwd.getpwnam("nobody")
    broker = make_broker(extra_args=("--operator-user", "nobody"), start=False)
    # The operator's code and the SDK live under the data directory: the user must be able to reach them.
    for directory in [*reversed(broker.data_dir.parents), broker.data_dir]:
        if str(directory).startswith("/tmp"):
            directory.chmod(directory.stat().st_mode | 0o005)
    broker.start()
    create_topic(broker, "in", 1)
    operator = write_operator(tmp_path, "whoami.py", WHO_AM_I, name="whoami", input="in", output="out")
    # The system's interpreter: the one first on the test's PATH may live in root's home, out of its reach.
    sluice_cli(broker, "deploy", str(operator), "--run", "/usr/bin/python3 whoami.py",
               "--env", f"BROKER_DATA={broker.data_dir}")
    assert "runs as nobody" in admin_json(broker, "/v1/operators/whoami")["limitsEnforcement"]
    produce(broker, "in", [b"who"])
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "whoami-reader"})
    consumer.assign([confluent_kafka.TopicPartition("out", 0, 0)])
    try:
        message = wait_for(lambda: consumer.poll(0.5), 30, "the operator's answer")
    finally:
        consumer.close()
    assert message.value() == f"{nobody.pw_uid} {nobody.pw_gid} False".encode(), message.value()
