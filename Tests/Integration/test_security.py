"""TLS and SASL listeners with real clients: kcat, confluent-kafka, kafka-python and aiokafka produce and consume
over SASL_SSL with SCRAM-SHA-512 and over SSL with a client certificate; wrong passwords, unknown users, a client
without a certificate and a plaintext client on a TLS port are refused cleanly, and the broker serves on.

Certificates are made by the test with openssl: a CA, the broker's certificate (SAN 127.0.0.1) and a client
certificate signed by the CA. Users are created with `sluice user create` over the PLAINTEXT listener.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from conftest import free_port

PASSWORD = "correct horse battery staple"
RECORDS = 200


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path) -> Path:
    directory = tmp_path / "tls"
    directory.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Sluice Test CA", cwd=directory)
    for name, subject in (("broker", "/CN=127.0.0.1"), ("client", "/O=Example/CN=client-1")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", subject, cwd=directory)
        (directory / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=directory)
    return directory


@pytest.fixture
def secured(make_broker, certificates, broker_binary):
    """A broker with PLAINTEXT, SASL_SSL and SSL (client certificates required) listeners, and user alice."""
    sasl_port, ssl_port = free_port(), free_port()
    broker = make_broker(start=False)
    broker.extra_args = (
        "--listener", f"PLAINTEXT://{broker.bootstrap}",
        "--listener", f"SASL_SSL://127.0.0.1:{sasl_port}",
        "--listener", f"SSL://127.0.0.1:{ssl_port}",
        "--tls-cert", str(certificates / "broker.pem"), "--tls-key", str(certificates / "broker.key"),
        "--tls-client-ca", str(certificates / "ca.pem"),
    )
    broker.start()
    subprocess.run([broker_binary, "user", "create", "alice", "--password-stdin", "--broker", broker.bootstrap],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=30)
    broker.sasl_bootstrap = f"127.0.0.1:{sasl_port}"
    broker.ssl_bootstrap = f"127.0.0.1:{ssl_port}"
    yield broker
    assert broker.alive(), "the broker must survive every refused client"


def sasl_settings(broker, certificates, user="alice", password=PASSWORD) -> dict:
    return {"bootstrap.servers": broker.sasl_bootstrap, "security.protocol": "SASL_SSL",
            "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": password,
            "ssl.ca.location": str(certificates / "ca.pem")}


def ssl_settings(broker, certificates, with_certificate=True) -> dict:
    settings = {"bootstrap.servers": broker.ssl_bootstrap, "security.protocol": "SSL",
                "ssl.ca.location": str(certificates / "ca.pem")}
    if with_certificate:
        settings.update({"ssl.certificate.location": str(certificates / "client.pem"),
                         "ssl.key.location": str(certificates / "client.key")})
    return settings


def values(prefix: str) -> list[bytes]:
    return [f"{prefix}-{i}".encode() for i in range(RECORDS)]


def confluent_round_trip(settings: dict, topic: str) -> None:
    producer = Producer({**settings, "linger.ms": 5})
    for value in values(topic):
        producer.produce(topic, value)
    assert producer.flush(30) == 0
    consumer = Consumer({**settings, "group.id": f"g-{topic}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[bytes] = []
    deadline = time.monotonic() + 60
    while len(got) < RECORDS and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            got.append(message.value())
    consumer.close()
    assert got == values(topic)


def expect_refused(settings: dict, what: str) -> str:
    """Metadata through an AdminClient fails within the timeout; returns the error text."""
    admin = AdminClient({**settings, "socket.timeout.ms": 5000})
    with pytest.raises(KafkaException) as raised:
        admin.list_topics(timeout=8)
    return f"{what}: {raised.value}"


def test_confluent_kafka_over_sasl_ssl_scram_and_over_ssl_with_a_client_certificate(secured, certificates):
    confluent_round_trip(sasl_settings(secured, certificates), "sasl-" + uuid.uuid4().hex[:8])
    confluent_round_trip(ssl_settings(secured, certificates), "ssl-" + uuid.uuid4().hex[:8])
    log = secured.stderr_path.read_text()
    assert "principal=User:alice" in log or "User:alice" in log, "the SASL login is logged with its principal"
    assert "User:CN=client-1,O=Example" in log, "the certificate's subject is the SSL principal"


def test_wrong_password_unknown_user_missing_certificate_and_plaintext_on_tls_are_refused(secured, certificates):
    expect_refused(sasl_settings(secured, certificates, password="wrong"), "wrong password")
    expect_refused(sasl_settings(secured, certificates, user="mallory"), "unknown user")
    expect_refused(ssl_settings(secured, certificates, with_certificate=False), "no client certificate")
    expect_refused({"bootstrap.servers": secured.sasl_bootstrap, "security.protocol": "PLAINTEXT"}, "plaintext on TLS")
    expect_refused({**sasl_settings(secured, certificates), "security.protocol": "SSL"}, "TLS without SASL")
    log = secured.stderr_path.read_text()
    assert log.count("authentication failed") >= 2, "each refused login is logged"
    # The broker still serves a good client afterwards.
    confluent_round_trip(sasl_settings(secured, certificates), "after-" + uuid.uuid4().hex[:8])


def test_kcat_over_sasl_ssl_and_ssl(secured, certificates):
    for settings in (sasl_settings(secured, certificates), ssl_settings(secured, certificates)):
        topic = "kcat-" + uuid.uuid4().hex[:8]
        options = [arg for key, value in settings.items() if key != "bootstrap.servers" for arg in ("-X", f"{key}={value}")]
        base = ["kcat", "-b", settings["bootstrap.servers"], *options, "-t", topic]
        subprocess.run(base + ["-P"], input=b"\n".join(values(topic)) + b"\n", check=True, timeout=60, capture_output=True)
        read = subprocess.run(base + ["-C", "-e", "-o", "beginning"], check=True, timeout=60, capture_output=True)
        assert read.stdout.splitlines() == values(topic)


def test_kafka_python_over_sasl_ssl_and_ssl(secured, certificates):
    from kafka import KafkaConsumer, KafkaProducer

    ca = str(certificates / "ca.pem")
    variants = {
        "sasl": dict(bootstrap_servers=secured.sasl_bootstrap, security_protocol="SASL_SSL", ssl_cafile=ca,
                     sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="alice", sasl_plain_password=PASSWORD),
        "ssl": dict(bootstrap_servers=secured.ssl_bootstrap, security_protocol="SSL", ssl_cafile=ca,
                    ssl_certfile=str(certificates / "client.pem"), ssl_keyfile=str(certificates / "client.key")),
    }
    for name, settings in variants.items():
        topic = f"kp-{name}-" + uuid.uuid4().hex[:8]
        producer = KafkaProducer(enable_idempotence=False, acks=1, **settings)
        for value in values(topic):
            producer.send(topic, value)
        producer.flush(30)
        producer.close()
        consumer = KafkaConsumer(topic, group_id=None, auto_offset_reset="earliest", consumer_timeout_ms=10000, **settings)
        got = [message.value for message in consumer]
        consumer.close()
        assert got == values(topic), name


def test_aiokafka_over_sasl_ssl_and_ssl(secured, certificates):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.helpers import create_ssl_context

    async def round_trip(name: str, settings: dict) -> None:
        topic = f"aio-{name}-" + uuid.uuid4().hex[:8]
        producer = AIOKafkaProducer(**settings)
        await producer.start()
        try:
            for value in values(topic):
                await producer.send(topic, value)
            await producer.flush()
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, auto_offset_reset="earliest", **settings)
        await consumer.start()
        got: list[bytes] = []
        try:
            deadline = time.monotonic() + 60
            while len(got) < RECORDS and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=500)
                for messages in batches.values():
                    got.extend(message.value for message in messages)
        finally:
            await consumer.stop()
        assert got == values(topic), name

    ca = str(certificates / "ca.pem")
    sasl = dict(bootstrap_servers=secured.sasl_bootstrap, security_protocol="SASL_SSL",
                ssl_context=create_ssl_context(cafile=ca), sasl_mechanism="SCRAM-SHA-512",
                sasl_plain_username="alice", sasl_plain_password=PASSWORD)
    ssl = dict(bootstrap_servers=secured.ssl_bootstrap, security_protocol="SSL",
               ssl_context=create_ssl_context(cafile=ca, certfile=str(certificates / "client.pem"),
                                              keyfile=str(certificates / "client.key")))
    asyncio.run(round_trip("sasl", sasl))
    asyncio.run(round_trip("ssl", ssl))


def test_users_are_managed_with_the_cli(secured, broker_binary, certificates):
    run = lambda *args, **kwargs: subprocess.run([broker_binary, "user", *args, "--broker", secured.bootstrap],
                                                 text=True, capture_output=True, timeout=30, **kwargs)
    listed = run("list")
    assert listed.returncode == 0 and "alice" in listed.stdout and "SCRAM-SHA-512" in listed.stdout
    created = run("create", "bob", "--mechanism", "scram-sha-256", "--password-stdin", input="bobs password\n")
    assert created.returncode == 0, created.stderr
    bob = {**sasl_settings(secured, certificates, user="bob", password="bobs password"), "sasl.mechanisms": "SCRAM-SHA-256"}
    AdminClient(bob).list_topics(timeout=10)
    assert run("create", "carol").returncode != 0, "a password on the command line is never taken"
    assert run("delete", "bob").returncode == 0
    expect_refused(bob, "deleted user")
    stored = (secured.data_dir / "security" / "scram-credentials.json").read_text()
    assert PASSWORD not in stored and "bobs password" not in stored


def test_admin_api_over_https_with_the_cli(make_broker, certificates, broker_binary):
    """`--admin-tls on`: the admin API answers HTTPS only; the CLI reaches it with https:// and --admin-ca."""
    import ssl
    import urllib.request

    broker = make_broker(extra_args=("--admin-tls", "on", "--tls-cert", str(certificates / "broker.pem"),
                                     "--tls-key", str(certificates / "broker.key")))
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    with urllib.request.urlopen(f"https://127.0.0.1:{broker.admin_port}/v1/health", context=context, timeout=10) as answer:
        assert answer.status == 200
    with pytest.raises(Exception):
        urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}/v1/health", timeout=5).read()
    listed = subprocess.run([broker_binary, "ops", "--admin", f"https://127.0.0.1:{broker.admin_port}",
                             "--admin-ca", str(certificates / "ca.pem")], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    untrusted = subprocess.run([broker_binary, "ops", "--admin", f"https://127.0.0.1:{broker.admin_port}"],
                               capture_output=True, text=True, timeout=30)
    assert untrusted.returncode != 0, "a certificate the CLI does not trust is refused"


def test_admin_api_takes_scram_users_by_http_basic_over_https_only(make_broker, certificates, broker_binary):
    """HTTP Basic with the Kafka users (issue #11 part 4): over HTTPS a super user is admin, a user with CLUSTER
    ALTER is operator and one with CLUSTER DESCRIBE viewer; a user with neither, a wrong password and an unknown
    user are refused; a deploy by a viewer starts nothing. Over plain HTTP a password is refused even when right."""
    import ssl
    import urllib.error
    import urllib.request

    tls_flags = ("--tls-cert", str(certificates / "broker.pem"), "--tls-key", str(certificates / "broker.key"))
    broker = make_broker(extra_args=("--admin-tls", "on", "--admin-auth", "on", "--authorization", "on",
                                     "--super-users", "User:root;User:ANONYMOUS", *tls_flags))
    passwords = {"root": "root secret", "deployer": "deployer secret", "watcher": "watcher secret", "nobody": "n secret"}
    for user, password in passwords.items():
        subprocess.run([broker_binary, "user", "create", user, "--password-stdin", "--broker", broker.bootstrap],
                       input=password + "\n", text=True, check=True, capture_output=True, timeout=30)
    for user, operation in (("deployer", "ALTER"), ("watcher", "DESCRIBE")):
        added = subprocess.run([broker_binary, "acl", "add", "--principal", f"User:{user}", "--cluster",
                                "--operation", operation, "--broker", broker.bootstrap],
                               capture_output=True, text=True, timeout=30)
        assert added.returncode == 0, added.stderr
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))

    def call(method: str, path: str, user: str, password: str, body: bytes | None = None,
             scheme: str = "https") -> tuple[int, str]:
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/json"}
        request = urllib.request.Request(f"{scheme}://127.0.0.1:{broker.admin_port}{path}", data=body, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, context=context if scheme == "https" else None, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    for user in ("root", "deployer", "watcher"):
        status, text = call("GET", "/v1/operators", user, passwords[user])
        assert status == 200, (user, status, text)
    status, text = call("GET", "/v1/operators", "nobody", passwords["nobody"])
    assert status == 403 and "no admin API role" in text, text
    for user, password in (("watcher", "wrong"), ("stranger", "whatever")):
        status, text = call("GET", "/v1/operators", user, password)
        assert status == 401 and "wrong password" in text, (user, text)

    # A deploy needs the operator role: a viewer's request is refused and nothing is created.
    document = json.dumps({"name": "basic-op", "run": "sleep 30", "istreams": ["in"], "ostreams": ["out"]}).encode()
    status, text = call("POST", "/v1/operators", "watcher", passwords["watcher"], body=document)
    assert status == 403, text
    assert not (broker.data_dir / "operators" / "basic-op").exists()
    status, text = call("DELETE", "/v1/streams/in?force=true", "deployer", passwords["deployer"])
    assert status == 403 and "needs admin" in text, text

    # Plain HTTP never takes a password: the same broker with a plain admin port refuses Basic outright.
    plain = make_broker(extra_args=("--admin-auth", "on", "--super-users", "User:root"))
    subprocess.run([broker_binary, "user", "create", "root", "--password-stdin", "--broker", plain.bootstrap],
                   input=passwords["root"] + "\n", text=True, check=True, capture_output=True, timeout=30)
    broker = plain
    status, text = call("GET", "/v1/operators", "root", passwords["root"], scheme="http")
    assert status == 401 and "only on an admin API with TLS" in text, text


def test_the_cli_reaches_tls_and_sasl_listeners_with_a_client_config(secured, certificates, broker_binary, tmp_path):
    """`--client-config FILE` (Kafka's property names; the password in SLUICE_SASL_PASSWORD): the CLI creates,
    produces, consumes and manages users over SASL_SSL with SCRAM-SHA-512 and SCRAM-SHA-256, and over SSL with a
    client certificate; a wrong password, an untrusted broker certificate and a plaintext client on the TLS
    port fail with one clear line each, quickly."""
    import os

    def config(name: str, **properties: str) -> Path:
        path = tmp_path / f"{name}.properties"
        path.write_text("# a client configuration as Kafka's tools take it\n"
                        + "".join(f"{key.replace('_', '.')} = {value}\n" for key, value in properties.items()))
        return path

    ca = str(certificates / "ca.pem")
    scram512 = config("scram512", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="alice",
                      ssl_ca_location=ca)
    environment = {**os.environ, "SLUICE_SASL_PASSWORD": PASSWORD}

    def cli(*args: str, broker: str, client_config: Path | None, stdin: str | None = None, env=environment):
        command = [broker_binary, *args, "--broker", broker]
        if client_config is not None:
            command += ["--client-config", str(client_config)]
        return subprocess.run(command, input=stdin, text=True, capture_output=True, timeout=60, env=env)

    created = cli("topic", "create", "cli-secure", "--partitions", "1", broker=secured.sasl_bootstrap, client_config=scram512)
    assert created.returncode == 0, created.stderr
    produced = cli("produce", "cli-secure", broker=secured.sasl_bootstrap, client_config=scram512, stdin="one\ntwo\nthree\n")
    assert produced.returncode == 0, produced.stderr
    consumed = cli("consume", "cli-secure", "--count", "3", "--exit-at-end", broker=secured.sasl_bootstrap,
                   client_config=scram512)
    assert consumed.returncode == 0 and consumed.stdout.split() == ["one", "two", "three"], consumed
    listed = cli("user", "list", broker=secured.sasl_bootstrap, client_config=scram512)
    assert listed.returncode == 0 and "alice" in listed.stdout, listed.stderr

    # SCRAM-SHA-256 needs a credential of that mechanism; the password in the file instead of the environment.
    made = cli("user", "create", "bob", "--mechanism", "scram-sha-256", "--password-stdin", broker=secured.sasl_bootstrap,
               client_config=scram512, stdin="bob's password\n")
    assert made.returncode == 0, made.stderr
    scram256 = config("scram256", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256", sasl_username="bob",
                      sasl_password="bob's password", ssl_ca_location=ca)
    as_bob = cli("topic", "list", broker=secured.sasl_bootstrap, client_config=scram256, env=dict(os.environ))
    assert as_bob.returncode == 0 and "cli-secure" in as_bob.stdout, as_bob.stderr

    # SSL with a client certificate (the listener requires one).
    mutual = config("mutual", security_protocol="SSL", ssl_ca_location=ca,
                    ssl_certificate_location=str(certificates / "client.pem"),
                    ssl_key_location=str(certificates / "client.key"))
    over_ssl = cli("consume", "cli-secure", "--count", "3", "--exit-at-end", broker=secured.ssl_bootstrap,
                   client_config=mutual)
    assert over_ssl.returncode == 0 and over_ssl.stdout.split() == ["one", "two", "three"], over_ssl.stderr

    started = time.monotonic()
    wrong = cli("topic", "list", broker=secured.sasl_bootstrap, client_config=scram512,
                env={**os.environ, "SLUICE_SASL_PASSWORD": "wrong"})
    assert wrong.returncode != 0 and "SASL login" in wrong.stderr and "SASL_SSL" in wrong.stderr, wrong.stderr
    untrusted = cli("topic", "list", broker=secured.sasl_bootstrap,
                    client_config=config("untrusted", security_protocol="SASL_SSL", sasl_username="alice"))
    assert untrusted.returncode != 0 and "cannot reach the broker" in untrusted.stderr, untrusted.stderr
    plaintext = cli("topic", "list", broker=secured.sasl_bootstrap, client_config=None)
    assert plaintext.returncode != 0 and "the listener speaks TLS" in plaintext.stderr, plaintext.stderr
    bad = cli("topic", "list", broker=secured.sasl_bootstrap, client_config=config("bad", security_protocol="SASL_TLS"))
    assert bad.returncode != 0 and "security.protocol must be" in bad.stderr, bad.stderr
    assert time.monotonic() - started < 40, "each refusal is prompt"
