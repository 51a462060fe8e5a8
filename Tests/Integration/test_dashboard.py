"""The dashboard in a real headless browser (Debian's Chromium): the page served by the admin port loads, draws
the operators and streams of a running two-operator pipeline as SVG nodes, and shows a pause made with the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from html.parser import HTMLParser

import pytest

from operator_support import IDENTITY, SteadyProducer, create_topic, sluice_cli, wait_for, write_operator

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Virtual time runs the page's one-second polls without waiting for them; network answers are awaited.
VIRTUAL_TIME_BUDGET_MS = 5_000


class DrawnNodes(HTMLParser):
    """Collects the SVG node groups (`<g class="node ...">`) of a dumped DOM: kind, name, state and text."""

    def __init__(self):
        super().__init__()
        self.nodes: list[dict] = []
        self.edges: list[dict] = []
        self._open: list[dict | None] = []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        classes = (attributes.get("class") or "").split()
        entry = None
        if tag == "g" and "node" in classes:
            entry = {"kind": "operator" if "operator" in classes else "stream", "name": attributes.get("data-name"),
                     "state": attributes.get("data-state"), "text": ""}
            self.nodes.append(entry)
        elif tag == "g" and "edge" in classes:
            entry = {"stream": attributes.get("data-stream"), "operator": attributes.get("data-operator"),
                     "direction": classes[1] if len(classes) > 1 else None, "text": ""}
            self.edges.append(entry)
        self._open.append(entry)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for entry in self._open:
            if entry is not None:
                entry["text"] += data + " "


def dump_dom(url: str, tmp_path) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path}",
         f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    return result.stdout


def drawn(url: str, tmp_path) -> DrawnNodes:
    parser = DrawnNodes()
    parser.feed(dump_dom(url, tmp_path))
    return parser


@pytest.fixture
def pipeline(broker, tmp_path):
    """words → upper (operator) → upper → shout (operator) → shout, with records flowing."""
    if broker.peer != "sluice":
        pytest.skip("the dashboard is Sluice's own")
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/install-deps.sh (Debian package chromium)")
    for stream in ("words", "upper", "shout"):
        create_topic(broker, stream, 3)
    for name, source, output in (("upper", "words", "upper"), ("shout", "upper", "shout")):
        directory = tmp_path / name
        directory.mkdir()
        sluice_cli(broker, "deploy", str(write_operator(directory, f"{name}.py", IDENTITY, name=name, input=source,
                                                         output=output)))
    producer = SteadyProducer(broker, "words", 2_000, rate=500)
    producer.start()
    yield broker
    producer.join(60)
    assert not producer.failures, producer.failures


def test_page_is_self_contained_html(pipeline):
    for path in ("/", "/dashboard"):
        with urllib.request.urlopen(f"http://127.0.0.1:{pipeline.admin_port}{path}", timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            page = response.read().decode()
        assert "<svg" in page and "/v1/topology" in page
        assert "<script src" not in page and "https://" not in page


def test_dashboard_draws_the_pipeline_and_reflects_a_pause(pipeline, tmp_path):
    url = f"http://127.0.0.1:{pipeline.admin_port}/"
    page = drawn(url, tmp_path / "chromium-first")
    operators = {node["name"]: node for node in page.nodes if node["kind"] == "operator"}
    streams = {node["name"]: node for node in page.nodes if node["kind"] == "stream"}
    assert set(operators) == {"upper", "shout"}, page.nodes
    assert set(streams) == {"words", "upper", "shout"}, page.nodes
    for op in operators.values():
        assert op["state"] == "running", op
        assert "running" in op["text"] and "lag" in op["text"], op
    for stream in streams.values():
        assert "rec/s" in stream["text"], stream
    drawn_edges = {(edge["direction"], edge["stream"], edge["operator"]) for edge in page.edges}
    assert drawn_edges == {("input", "words", "upper"), ("output", "upper", "upper"),
                           ("input", "upper", "shout"), ("output", "shout", "shout")}
    assert all("rec/s" in edge["text"] for edge in page.edges)
    assert all("lag" in edge["text"] for edge in page.edges if edge["direction"] == "input")

    assert "paused" in sluice_cli(pipeline, "pause", "shout").stdout
    page = drawn(url, tmp_path / "chromium-second")
    states = {node["name"]: node["state"] for node in page.nodes if node["kind"] == "operator"}
    assert states == {"upper": "running", "shout": "paused"}
    shout = next(node for node in page.nodes if node["kind"] == "operator" and node["name"] == "shout")
    assert "paused" in shout["text"]
    input_of_shout = next(edge for edge in page.edges if edge["operator"] == "shout" and edge["direction"] == "input")
    assert "paused" in input_of_shout["text"]

    assert "running" in sluice_cli(pipeline, "resume", "shout").stdout
    wait_for(lambda: {node["name"]: node["state"] for node in drawn(url, tmp_path / "chromium-third").nodes
                      if node["kind"] == "operator"} == {"upper": "running", "shout": "running"},
             60, "the page to show shout running again", interval_s=0.5)


def operator_document(broker, name: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.admin_port}/v1/operators/{name}", timeout=30) as response:
        return json.load(response)


def operator_state(broker, name: str) -> str:
    return operator_document(broker, name)["state"]


def operator_version(broker, name: str) -> int:
    return operator_document(broker, name)["version"]


def selenium_driver(tmp_path):
    """Headless Chromium driven through Debian's chromedriver."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: run scripts/install-deps.sh")
    if CHROMEDRIVER is None:
        pytest.fail("chromedriver is not installed: run scripts/install-deps.sh (Debian package chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'selenium'}"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def click(driver, selector: str, attempts: int = 20) -> None:
    """Clicks the element; the page redraws its table every second, so a found button may be replaced
    before the click lands: find it again then."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for _ in range(attempts):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError(f"{selector} kept being redrawn before it could be clicked")


def test_buttons_pause_and_resume_an_operator(pipeline, tmp_path):
    driver = selenium_driver(tmp_path)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        driver.get(f"http://127.0.0.1:{pipeline.admin_port}/dashboard")
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        node = 'g.node.operator[data-name="upper"][data-state="{}"]'
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, node.format("running")))
        assert not driver.find_elements(By.CSS_SELECTOR, 'button[data-action="promote"]'), "no canary, no promote"

        click(driver, 'tr[data-name="upper"] button[data-action="pause"]')
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, node.format("paused")))
        assert operator_state(pipeline, "upper") == "paused"
        assert operator_state(pipeline, "shout") == "running"
        assert "pause upper: done" in driver.find_element(By.ID, "message").text

        click(driver, 'tr[data-name="upper"] button[data-action="resume"]')
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, node.format("running")))
        assert operator_state(pipeline, "upper") == "running"

        click(driver, 'tr[data-name="shout"] button[data-action="rollback"]')
        wait.until(lambda d: "rollback shout:" in d.find_element(By.ID, "message").text)
        assert "has no previous version" in driver.find_element(By.ID, "message").text, "the API's refusal is shown"
    finally:
        driver.quit()


def test_swap_upload_and_promote_buttons(pipeline, tmp_path):
    """The swap control uploads a new version picked in the browser; a canary deployed with the CLI gets a
    promote button, and clicking it makes the canary live."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    second = tmp_path / "upper_v2"
    second.mkdir()
    upload = write_operator(second, "upper.py", IDENTITY, name="upper", input="words", output="upper")
    driver = selenium_driver(tmp_path)
    try:
        driver.get(f"http://127.0.0.1:{pipeline.admin_port}/dashboard")
        wait = WebDriverWait(driver, 60, poll_frequency=0.1)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-name="upper"] input[data-action="swap"]'))
        for _ in range(20):
            try:
                driver.find_element(By.CSS_SELECTOR, 'tr[data-name="upper"] input[data-action="swap"]').send_keys(str(upload))
                break
            except StaleElementReferenceException:
                time.sleep(0.05)
        wait.until(lambda d: "swap upper: v1 → v2, handoff gap" in d.find_element(By.ID, "message").text)
        assert operator_version(pipeline, "upper") == 2

        sluice_cli(pipeline, "deploy", str(upload), "--name", "upper", "--canary")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-name="upper"] button[data-action="promote"]'))
        click(driver, 'tr[data-name="upper"] button[data-action="promote"]')
        wait.until(lambda d: "promote upper: v2 → v3" in d.find_element(By.ID, "message").text)
        assert operator_version(pipeline, "upper") == 3
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, 'button[data-action="promote"]'))
    finally:
        driver.quit()
