"""The admin API requires a credential (issue #11 part 4) and caps its bodies early (part 5), checked on the real
broker: requests without a token or with too weak a role are refused and start nothing (no process, no file, no
deployment directory); the operator role deploys and swaps; a 1 GiB upload is refused before it is read; a
non-loopback admin address without authentication is refused at start unless --admin-insecure is given."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import confluent_kafka.admin
import pytest

from conftest import free_port, port_answers
from operator_support import IDENTITY, create_topic, wait_for, write_operator

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def sluice_only(broker_binary):
    if os.environ.get("SLUICE_TEST_PEER", "sluice") != "sluice":
        pytest.skip("the admin API is Sluice's own")


def create_token(broker, name: str, role: str) -> str:
    result = subprocess.run([broker.binary, "token", "create", name, "--role", role, "--data-dir", str(broker.data_dir)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("sluice_") and "\n" not in token, result.stdout
    return token


def admin_listening(broker):
    """The harness waits for the Kafka port; the admin port is bound a moment after it."""
    wait_for(lambda: port_answers(broker.admin_port), 30, "the admin port", interval_s=0.05)
    return broker


@pytest.fixture
def secured(make_broker):
    """A broker with --admin-auth on and one token per role, made before it starts (the offline path)."""
    broker = make_broker(extra_args=("--admin-auth", "on"), start=False)
    broker.tokens = {role: create_token(broker, f"{role}-token", role) for role in ("viewer", "operator", "admin")}
    broker.start()
    return admin_listening(broker)


def request(broker, method: str, path: str, token: str | None = None, body: bytes | None = None,
            authorization: str | None = None) -> tuple[int, dict, dict]:
    """(status, JSON answer, headers) of one admin request."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if authorization is not None:
        headers["Authorization"] = authorization
    call = urllib.request.Request(f"http://127.0.0.1:{broker.admin_port}{path}", data=body, method=method,
                                  headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null"), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def touch_document(marker: Path, name: str | None = "evil") -> bytes:
    """A deploy document whose command, were it ever run, creates `marker`."""
    return json.dumps({"name": name, "run": f"touch {marker}", "environment": {},
                       "files": {"payload.txt": base64.b64encode(b"x").decode()}}).encode()


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command and "pytest" not in command:
            found.append(f"{entry.name}: {command}")
    return found


def operator_directories(broker) -> list[str]:
    root = broker.data_dir / "operators"
    return sorted(os.listdir(root)) if root.exists() else []


def assert_nothing_started(broker, marker: Path, directories_before: list[str]) -> None:
    # A started `touch` takes milliseconds: two seconds leave it every chance to show up.
    time.sleep(2.0)
    assert not marker.exists(), "a refused request ran its command"
    assert processes_mentioning(str(marker)) == []
    assert operator_directories(broker) == directories_before, "a refused request wrote under operators/"


def cli(broker, *args: str, token: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "SLUICE_ADMIN_TOKEN"}
    if token is not None:
        environment["SLUICE_ADMIN_TOKEN"] = token
    result = subprocess.run([broker.binary, *args, "--admin", f"127.0.0.1:{broker.admin_port}"],
                            capture_output=True, text=True, timeout=120, env=environment)
    if check:
        assert result.returncode == 0, f"sluice {' '.join(args)}: {result.stderr}\n{broker.stderr_tail()}"
    return result


def test_a_deploy_without_a_valid_token_or_role_starts_nothing(secured, tmp_path):
    marker = tmp_path / "marker"
    before = operator_directories(secured)
    document = touch_document(marker)
    refusals = [
        (None, None, 401), ("sluice_not-a-token", None, 401), (None, "Basic dXNlcjpwYXNz", 401),
        (secured.tokens["viewer"], None, 403),
    ]
    for token, authorization, expected in refusals:
        status, answer, headers = request(secured, "POST", "/v1/operators", token=token, body=document,
                                          authorization=authorization)
        assert status == expected, (token, authorization, answer)
        assert answer["error"] in ("unauthenticated", "invalid_token", "forbidden"), answer
        assert headers.get("WWW-Authenticate", "").startswith("Bearer"), headers
    # The same refusals for a canary of a name that is not deployed, through the other code-carrying route.
    assert request(secured, "POST", "/v1/operators/evil/canary", body=document)[0] == 401
    assert request(secured, "POST", "/v1/operators/evil/canary", token=secured.tokens["viewer"], body=document)[0] == 403
    assert_nothing_started(secured, marker, before)

    # The control: the very same request with the operator role does run its command (and then fails, as
    # `touch` does not speak the operator protocol), so the checks above could see a started command.
    status, answer, _ = request(secured, "POST", "/v1/operators", token=secured.tokens["operator"], body=document)
    assert status == 400, answer
    wait_for(marker.exists, 10, "the authorized command to run")


def test_an_invalid_deploy_is_refused_before_its_command_runs(secured, tmp_path):
    """Validation that needs no running operator happens before anything is written or started."""
    marker = tmp_path / "marker"
    before = operator_directories(secured)
    operator = secured.tokens["operator"]
    invalid = [
        touch_document(marker, name="bad@name"),
        touch_document(marker, name="__internal"),
        json.dumps({"name": "evil", "run": f"touch {marker}", "environment": {"A=B": "1"},
                    "files": {"payload.txt": "eA=="}}).encode(),
        json.dumps({"name": "evil", "run": f"touch {marker}", "environment": {},
                    "files": {"../escape.txt": "eA=="}}).encode(),
        json.dumps({"name": "evil", "run": f"touch {marker}", "environment": {},
                    "files": {"payload.txt": "not base64!"}}).encode(),
        b'{"name": "evil", "run": "touch ' + str(marker).encode() + b'"',
    ]
    for document in invalid:
        status, answer, _ = request(secured, "POST", "/v1/operators", token=operator, body=document)
        assert status == 400, (document, answer)
    assert_nothing_started(secured, marker, before)


@pytest.fixture
def deployed(secured, tmp_path):
    """`identity` (in → out) deployed with the operator token through the CLI."""
    create_topic(secured, "in", 1)
    create_topic(secured, "out", 1)
    code = write_operator(tmp_path, "identity.py", IDENTITY, name="identity", input="in", output="out")
    result = cli(secured, "deploy", str(code), token=secured.tokens["operator"])
    assert "deployed identity version 1" in result.stdout
    return secured


def test_the_operator_role_deploys_and_swaps_and_weaker_credentials_change_nothing(deployed, tmp_path):
    broker, tokens = deployed, deployed.tokens
    versions = broker.data_dir / "operators" / "identity" / "versions"
    assert sorted(os.listdir(versions)) == ["1"]
    marker = tmp_path / "swap-marker"
    for token, expected in ((None, 401), ("sluice_wrong", 401), (tokens["viewer"], 403)):
        assert request(broker, "POST", "/v1/operators/identity/swap", token=token,
                       body=touch_document(marker, name="identity"))[0] == expected
        assert request(broker, "DELETE", "/v1/operators/identity", token=token)[0] == expected
        assert request(broker, "POST", "/v1/operators/identity/pause", token=token)[0] == expected
        assert request(broker, "POST", "/v1/operators/identity/scale", token=token, body=b'{"instances": 2}')[0] == expected
    assert_nothing_started(broker, marker, ["identity"])
    assert sorted(os.listdir(versions)) == ["1"], "a refused swap stored a version"

    status, operators, _ = request(broker, "GET", "/v1/operators", token=tokens["viewer"])
    assert status == 200
    assert [(o["name"], o["version"], o["state"]) for o in operators] == [("identity", 1, "running")]

    second = tmp_path / "v2"
    second.mkdir()
    code = write_operator(second, "identity.py", IDENTITY, name="identity", input="in", output="out")
    swapped = cli(broker, "swap", "identity", str(code), token=tokens["operator"])
    assert "swapped identity from version 1 to 2" in swapped.stdout, swapped.stdout
    status, document, _ = request(broker, "GET", "/v1/operators/identity", token=tokens["viewer"])
    assert (status, document["version"]) == (200, 2)
    assert sorted(os.listdir(versions)) == ["1", "2"]


def test_only_the_admin_role_deletes_a_stream(deployed):
    broker, tokens = deployed, deployed.tokens
    for token, expected in ((None, 401), (tokens["viewer"], 403), (tokens["operator"], 403)):
        assert request(broker, "DELETE", "/v1/streams/in?force=true", token=token)[0] == expected
    topics = confluent_kafka.admin.AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=30).topics
    assert "in" in topics, "a refused deletion deleted the stream"
    status, document, _ = request(broker, "GET", "/v1/operators/identity", token=tokens["viewer"])
    assert document["state"] == "running"

    status, answer, _ = request(broker, "DELETE", "/v1/streams/in?force=true", token=tokens["admin"])
    assert status == 200 and answer["deleted"] == "in", answer


def test_health_and_the_dashboard_page_are_open_and_the_rest_is_not(secured):
    assert request(secured, "GET", "/v1/health")[:2] == (200, {"status": "ok"})
    with urllib.request.urlopen(f"http://127.0.0.1:{secured.admin_port}/dashboard", timeout=10) as page:
        html = page.read().decode()
    assert 'id="login"' in html and "sessionStorage" in html
    for path in ("/v1/operators", "/v1/topology", "/v1/traces", "/metrics", "/v1/no-such-route"):
        assert request(secured, "GET", path)[0] == 401, path
    for path in ("/v1/operators", "/v1/topology", "/v1/traces"):
        assert request(secured, "GET", path, token=secured.tokens["viewer"])[0] == 200, path
    with urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{secured.admin_port}/metrics",
            headers={"Authorization": f"Bearer {secured.tokens['viewer']}"}), timeout=10) as metrics:
        assert metrics.status == 200


def test_the_cli_sends_its_token_and_token_changes_apply_without_a_restart(secured):
    refused = cli(secured, "ops", check=False)
    assert refused.returncode != 0
    assert "SLUICE_ADMIN_TOKEN" in refused.stderr + refused.stdout
    assert "NAME" in cli(secured, "ops", token=secured.tokens["viewer"]).stdout
    flag = cli(secured, "ops", "--token", secured.tokens["viewer"])
    assert flag.returncode == 0

    late = create_token(secured, "late", "viewer")
    assert request(secured, "GET", "/v1/operators", token=late)[0] == 200
    listed = subprocess.run([secured.binary, "token", "list", "--data-dir", str(secured.data_dir)],
                            capture_output=True, text=True, timeout=30)
    assert "late" in listed.stdout and "viewer" in listed.stdout
    for token in secured.tokens.values():
        assert token not in listed.stdout, "token list must never show a token"
    deleted = subprocess.run([secured.binary, "token", "delete", "late", "--data-dir", str(secured.data_dir)],
                             capture_output=True, text=True, timeout=30)
    assert deleted.returncode == 0, deleted.stderr
    assert request(secured, "GET", "/v1/operators", token=late)[0] == 401
    stored = (secured.data_dir / "security" / "admin-tokens.json").read_text()
    for token in secured.tokens.values():
        assert token not in stored and token.removeprefix("sluice_") not in stored


# Bodies ----------------------------------------------------------------------------------------------------

def status_line(data: bytes) -> int:
    return int(data.split(b"\r\n", 1)[0].split()[1])


def peak_rss_reset(pid: int) -> None:
    """Resets the kernel's peak-RSS mark (VmHWM) so a later reading is the peak of what came after."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field}")


def upload(broker, head: str, body_bytes_max: int, chunked: bool = False) -> tuple[bytes, int, float]:
    """Sends `head`, then zeros (plain, or as 1 MiB chunks) until the broker answers and closes or
    `body_bytes_max` bytes went out; returns (answer, body bytes sent, seconds to the answer)."""
    connection = socket.create_connection(("127.0.0.1", broker.admin_port), timeout=30)
    sent = [0]
    stop = threading.Event()
    block = b"\0" * MIB
    frame = (b"%x\r\n" % MIB) + block + b"\r\n"

    def send() -> None:
        try:
            connection.sendall(head.encode())
            while not stop.is_set() and sent[0] < body_bytes_max:
                connection.sendall(frame if chunked else block)
                sent[0] += MIB
        except OSError:
            pass  # the broker closed: what the test wants

    sender = threading.Thread(target=send, daemon=True)
    started = time.monotonic()
    sender.start()
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + 10:
            part = connection.recv(65536)
            if not part:
                break
            answer += part
    except OSError as error:
        raise AssertionError(f"no answer, {error}; {sent[0] // MIB} MiB sent") from error
    elapsed = time.monotonic() - started
    stop.set()
    sender.join(30)
    connection.close()
    return answer, sent[0], elapsed


@pytest.mark.parametrize("who", ["operator", "nobody"])
def test_a_1_gib_upload_is_refused_before_it_is_read(secured, who):
    pid = secured.process.pid
    authorization = f"Authorization: Bearer {secured.tokens['operator']}\r\n" if who == "operator" else ""
    head = (f"POST /v1/operators HTTP/1.1\r\nHost: 127.0.0.1\r\n{authorization}"
            f"Content-Type: application/json\r\nContent-Length: {1024 * MIB}\r\n\r\n")
    rss_before = memory_kib(pid, "VmRSS")
    peak_rss_reset(pid)
    answer, sent, elapsed = upload(secured, head, 1024 * MIB)
    assert status_line(answer) == (413 if who == "operator" else 401), answer[:300]
    assert elapsed < 5.0, f"answered after {elapsed:.1f} s"
    # Answered from the head: the broker drains at most a little (1 MiB) then closes, so the sender is cut off
    # far below the 256 MiB cap that reading the body would have taken.
    assert sent < 128 * MIB, f"{sent // MIB} MiB went out before the broker closed"
    peak_growth_mib = (memory_kib(pid, "VmHWM") - rss_before) / 1024
    assert peak_growth_mib < 64, f"peak RSS grew {peak_growth_mib:.0f} MiB"
    assert request(secured, "GET", "/v1/health")[0] == 200


def test_a_chunked_body_past_the_cap_is_cut_off(make_broker, tmp_path):
    config = tmp_path / "small-bodies.toml"
    config.write_text("[admin]\nbody_bytes_max = 4194304\n")
    broker = admin_listening(make_broker(extra_args=("--config", str(config))))
    pid = broker.process.pid
    head = ("POST /v1/operators HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    rss_before = memory_kib(pid, "VmRSS")
    peak_rss_reset(pid)
    answer, sent, elapsed = upload(broker, head, 1024 * MIB, chunked=True)
    assert status_line(answer) == 413, answer[:300]
    assert b"4194304" in answer
    assert elapsed < 5.0
    assert sent < 128 * MIB, f"{sent // MIB} MiB went out before the broker closed"
    assert (memory_kib(pid, "VmHWM") - rss_before) / 1024 < 64
    # A declared length over the cap is refused from the head, without authentication configured too.
    declared = upload(broker, "POST /v1/operators HTTP/1.1\r\nHost: x\r\nContent-Length: 4194305\r\n\r\n", 64 * MIB)
    assert status_line(declared[0]) == 413


# Listening beyond loopback ---------------------------------------------------------------------------------

def serve(broker_binary, tmp_path, *flags: str) -> tuple[subprocess.Popen, int, Path]:
    admin_port, kafka_port = free_port(), free_port()
    log = tmp_path / f"serve-{admin_port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [broker_binary, "serve", "--data-dir", str(tmp_path / f"data-{admin_port}"),
             "--listen", f"127.0.0.1:{kafka_port}", "--admin", f"0.0.0.0:{admin_port}", *flags],
            stdout=output, stderr=output, stdin=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")})
    return process, admin_port, log


def test_a_non_loopback_admin_address_without_authentication_refuses_to_start(broker_binary, tmp_path):
    process, admin_port, log = serve(broker_binary, tmp_path)
    try:
        status = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert status != 0
    assert "0.0.0.0" in text and "without authentication" in text and "--admin-insecure" in text, text
    assert not port_answers(admin_port)


def wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        if port_answers(port):
            return
        time.sleep(0.05)
    raise AssertionError(f"not listening: {log.read_text()}")


def test_admin_insecure_starts_with_a_warning_and_auth_on_starts_guarded(broker_binary, tmp_path):
    process, admin_port, log = serve(broker_binary, tmp_path, "--admin-insecure")
    try:
        wait_until_listening(process, admin_port, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/v1/operators", timeout=10) as answer:
            assert answer.status == 200
        warning = [line for line in log.read_text().splitlines() if "INSECURE" in line]
        assert warning and "warning" in warning[0] and "NO AUTHENTICATION" in warning[0], log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)

    process, admin_port, log = serve(broker_binary, tmp_path, "--admin-auth", "on")
    try:
        wait_until_listening(process, admin_port, log)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/v1/operators", timeout=10)
        assert refused.value.code == 401
        assert "INSECURE" not in log.read_text()
        assert "none exists yet" in log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)


# The dashboard ----------------------------------------------------------------------------------------------

def test_the_dashboard_asks_for_a_token_and_sends_it(deployed, tmp_path):
    """In headless Chromium: the page shows its token form on the first 401, draws the topology once a viewer
    token is entered, shows the API's 403 when the viewer presses pause, and pauses with an operator token."""
    from test_dashboard import click, selenium_driver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    broker, tokens = deployed, deployed.tokens
    driver = selenium_driver(tmp_path)
    try:
        driver.get(f"http://127.0.0.1:{broker.admin_port}/dashboard")
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
        assert "needs a token" in driver.find_element(By.ID, "status").text
        assert not driver.find_elements(By.CSS_SELECTOR, "g.node.operator")

        driver.find_element(By.ID, "token").send_keys(tokens["viewer"])
        driver.find_element(By.CSS_SELECTOR, "#login button").click()
        node = 'g.node.operator[data-name="identity"][data-state="{}"]'
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, node.format("running")))
        assert not driver.find_element(By.ID, "login").is_displayed()

        click(driver, 'tr[data-name="identity"] button[data-action="pause"]')
        wait.until(lambda d: "pause identity:" in d.find_element(By.ID, "message").text)
        assert "needs operator" in driver.find_element(By.ID, "message").text
        assert request(broker, "GET", "/v1/operators/identity", token=tokens["viewer"])[1]["state"] == "running"

        driver.execute_script("sessionStorage.setItem('sluice-admin-token', arguments[0])", tokens["operator"])
        click(driver, 'tr[data-name="identity"] button[data-action="pause"]')
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, node.format("paused")))
        assert request(broker, "GET", "/v1/operators/identity", token=tokens["viewer"])[1]["state"] == "paused"
    finally:
        driver.quit()
