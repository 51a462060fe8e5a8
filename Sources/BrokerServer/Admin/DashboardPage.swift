/// The dashboard the admin port serves at `/` and `/dashboard`: one self-contained page (the broker may
/// run on a machine without internet access, so no external script, style or font) that polls
/// `GET /v1/topology` every second and draws it as an SVG graph, with buttons that POST to the operator
/// routes. `Docs/dashboard.md` describes what it shows.
///
/// When the admin API requires a token (`Docs/security.md`) the page is served without one (it holds no
/// data) and asks for a token the first time an answer is 401; the token is kept in `sessionStorage` (gone
/// when the tab closes, never sent to another origin) and sent as `Authorization: Bearer` on every fetch.
///
/// Every name from the broker reaches the page through `textContent` or `setAttribute`, never through
/// `innerHTML`, so a name is always text and never markup.
enum DashboardPage {
    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sluice topology</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2430; }
  header { padding: 10px 16px; background: #1d2430; color: #fff; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #status { font-size: 13px; opacity: 0.8; }
  #status.error { color: #ff9a9a; opacity: 1; }
  main { padding: 12px 16px; }
  #graph { background: #fff; border: 1px solid #d5d9e0; border-radius: 6px; overflow: auto; }
  svg text { font-size: 12px; }
  .stream ellipse { fill: #e8f0fe; stroke: #4a6fb5; stroke-width: 1.5; }
  .operator rect { stroke-width: 2; }
  .state-running rect { fill: #e6f4ea; stroke: #2e7d32; }
  .state-paused rect { fill: #fff4e0; stroke: #e08a00; }
  .state-failed rect, .state-failing rect { fill: #fde8e8; stroke: #c62828; }
  .state-starting rect, .state-restarting rect { fill: #e3f2fd; stroke: #1565c0; }
  .state-stopped rect { fill: #eeeeee; stroke: #757575; }
  .node-title { font-weight: 600; }
  .edge path { fill: none; stroke: #8a94a6; stroke-width: 1.5; }
  .edge.paused path { stroke-dasharray: 5 4; stroke: #e08a00; }
  .edge-label { fill: #3b4454; font-size: 11px; }
  table { border-collapse: collapse; margin-top: 14px; background: #fff; }
  th, td { border: 1px solid #d5d9e0; padding: 4px 10px; font-size: 13px; text-align: left; }
  td.state-running { color: #2e7d32; } td.state-paused { color: #e08a00; } td.state-failed, td.state-failing { color: #c62828; }
  button { margin-right: 4px; }
  label.swap { border: 1px solid #8a94a6; border-radius: 2px; padding: 1px 6px; margin-right: 4px; cursor: pointer; }
  label.swap input { display: none; }
  #message { margin-top: 8px; font-size: 13px; min-height: 1em; }
  #login { margin-left: auto; font-size: 13px; }
  #login[hidden] { display: none; }
</style>
</head>
<body>
<header><h1>Sluice topology</h1><span id="status">loading…</span>
  <form id="login" hidden><label>admin token <input id="token" type="password" autocomplete="off" size="30"></label>
  <button type="submit">use token</button></form></header>
<main>
  <div id="graph"><svg id="topology" xmlns="http://www.w3.org/2000/svg" width="400" height="120"></svg></div>
  <table id="operators">
    <thead><tr><th>operator</th><th>version</th><th>state</th><th>records/s</th><th>lag</th><th>actions</th></tr></thead>
    <tbody></tbody>
  </table>
  <div id="message"></div>
</main>
<script>
"use strict";
const SVG_NS = "http://www.w3.org/2000/svg";
const POLL_INTERVAL_MS = 1000;
const TOKEN_KEY = "sluice-admin-token";

// Every call to the admin API goes through here: it adds the token, and a 401 shows the token form.
async function adminFetch(path, request) {
  const options = Object.assign({}, request || {});
  options.headers = Object.assign({}, options.headers || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) options.headers["Authorization"] = "Bearer " + token;
  const response = await fetch(path, options);
  if (response.status === 401) {
    if (token) sessionStorage.removeItem(TOKEN_KEY);
    document.getElementById("login").hidden = false;
  }
  return response;
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("token");
  if (input.value.trim() !== "") sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = "";
  document.getElementById("login").hidden = true;
  poll();
});

const COLUMN_WIDTH = 320, ROW_HEIGHT = 90, NODE_WIDTH = 170, NODE_HEIGHT = 54, MARGIN = 30;

function element(name, attributes, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function rate(value) {
  return (value >= 100 ? value.toFixed(0) : value.toFixed(1)) + " rec/s";
}

// Columns by depth: a stream nobody writes and an operator with no inputs start at column 0; every
// other node sits one column right of the deepest node feeding it. Relaxing at most once per node
// keeps a cycle from looping forever.
function layout(topology) {
  const nodes = new Map();
  for (const stream of topology.streams) nodes.set("s:" + stream.name, { key: "s:" + stream.name, kind: "stream", data: stream, depth: 0 });
  for (const op of topology.operators) nodes.set("o:" + op.name, { key: "o:" + op.name, kind: "operator", data: op, depth: 0 });
  const links = topology.edges.map(edge => edge.direction === "input"
    ? { from: "s:" + edge.stream, to: "o:" + edge.operator, edge }
    : { from: "o:" + edge.operator, to: "s:" + edge.stream, edge });
  for (let round = 0; round < nodes.size; round++) {
    let changed = false;
    for (const link of links) {
      const from = nodes.get(link.from), to = nodes.get(link.to);
      if (from && to && to.depth < from.depth + 1 && from.depth + 1 < nodes.size) { to.depth = from.depth + 1; changed = true; }
    }
    if (!changed) break;
  }
  const columns = [];
  for (const node of nodes.values()) {
    (columns[node.depth] = columns[node.depth] || []).push(node);
  }
  columns.forEach((column, depth) => (column || []).forEach((node, row) => {
    node.x = MARGIN + depth * COLUMN_WIDTH;
    node.y = MARGIN + row * ROW_HEIGHT;
  }));
  return { nodes, links, columnCount: columns.length, rowCount: Math.max(1, ...columns.map(c => (c || []).length)) };
}

function drawNode(node) {
  const data = node.data;
  const group = element("g", { "class": "node " + node.kind, "data-name": data.name });
  const centerX = node.x + NODE_WIDTH / 2;
  if (node.kind === "stream") {
    group.appendChild(element("ellipse", { cx: centerX, cy: node.y + NODE_HEIGHT / 2, rx: NODE_WIDTH / 2, ry: NODE_HEIGHT / 2 }));
    group.appendChild(element("text", { x: centerX, y: node.y + 22, "text-anchor": "middle", "class": "node-title" }, data.name));
    group.appendChild(element("text", { x: centerX, y: node.y + 38, "text-anchor": "middle" },
      rate(data.appendRecordsPerSecond) + " · end " + data.endOffsetSum));
  } else {
    group.setAttribute("class", "node operator state-" + data.state);
    group.setAttribute("data-state", data.state);
    if (data.reason) group.appendChild(element("title", {}, data.state + ": " + data.reason));
    group.appendChild(element("rect", { x: node.x, y: node.y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 4 }));
    group.appendChild(element("text", { x: centerX, y: node.y + 17, "text-anchor": "middle", "class": "node-title" }, data.name));
    const canary = data.canaryVersion != null ? " · canary v" + data.canaryVersion : "";
    const instances = data.instances > 1 ? " · ×" + data.instances : "";
    group.appendChild(element("text", { x: centerX, y: node.y + 32, "text-anchor": "middle", "class": "node-state" },
      "v" + data.version + instances + " · " + data.state + canary));
    group.appendChild(element("text", { x: centerX, y: node.y + 47, "text-anchor": "middle" },
      rate(data.recordsPerSecond) + " · lag " + data.lag));
  }
  return group;
}

function drawEdge(link, nodes) {
  const from = nodes.get(link.from), to = nodes.get(link.to);
  if (!from || !to) return null;
  const edge = link.edge;
  const group = element("g", { "class": "edge " + edge.direction + (edge.state === "paused" ? " paused" : ""),
    "data-stream": edge.stream, "data-operator": edge.operator });
  const startX = from.x + NODE_WIDTH, startY = from.y + NODE_HEIGHT / 2;
  const endX = to.x, endY = to.y + NODE_HEIGHT / 2;
  const bend = Math.max(40, Math.abs(endX - startX) / 2);
  group.appendChild(element("path", { d: `M ${startX} ${startY} C ${startX + bend} ${startY}, ${endX - bend} ${endY}, ${endX} ${endY}`,
    "marker-end": "url(#arrow)" }));
  // The rate above the line; for an input, its lag and the operator's state below it.
  const middleX = (startX + endX) / 2, middleY = (startY + endY) / 2;
  group.appendChild(element("text", { x: middleX, y: middleY - 6, "text-anchor": "middle", "class": "edge-label" },
    rate(edge.recordsPerSecond)));
  if (edge.direction === "input") {
    group.appendChild(element("text", { x: middleX, y: middleY + 14, "text-anchor": "middle", "class": "edge-label" },
      "lag " + edge.lag + " · " + edge.state));
  }
  return group;
}

function drawGraph(topology) {
  const svg = document.getElementById("topology");
  const { nodes, links, columnCount, rowCount } = layout(topology);
  svg.replaceChildren();
  const marker = element("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto" });
  marker.appendChild(element("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8a94a6" }));
  const definitions = element("defs");
  definitions.appendChild(marker);
  svg.appendChild(definitions);
  for (const link of links) { const drawn = drawEdge(link, nodes); if (drawn) svg.appendChild(drawn); }
  for (const node of nodes.values()) svg.appendChild(drawNode(node));
  svg.setAttribute("width", Math.max(400, MARGIN * 2 + (columnCount - 1) * COLUMN_WIDTH + NODE_WIDTH));
  svg.setAttribute("height", Math.max(120, MARGIN * 2 + rowCount * ROW_HEIGHT));
}

function actionButton(label, operatorName, action) {
  const button = document.createElement("button");
  button.textContent = label;
  button.setAttribute("data-action", action);
  button.addEventListener("click", () => act(operatorName, action));
  return button;
}

// Swap uploads code picked in the browser: one file (.py or an executable), base64 in a deploy document; the
// server decides how to run it, as `sluice swap NAME FILE` does.
function swapControl(operatorName) {
  const label = document.createElement("label");
  label.className = "swap";
  label.textContent = "swap…";
  const input = document.createElement("input");
  input.type = "file";
  input.setAttribute("data-action", "swap");
  input.addEventListener("change", () => { if (input.files.length > 0) swap(operatorName, input.files[0]); });
  label.appendChild(input);
  return label;
}

async function swap(operatorName, file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(index, index + 0x8000));
  }
  const deployDocument = { name: operatorName, files: { [file.name]: btoa(binary) }, environment: {} };
  await act(operatorName, "swap", deployDocument);
}

function drawTable(topology) {
  const body = document.querySelector("#operators tbody");
  body.replaceChildren();
  for (const op of topology.operators) {
    const row = document.createElement("tr");
    row.setAttribute("data-name", op.name);
    const cells = [op.name, "v" + op.version + (op.canaryVersion != null ? " (canary v" + op.canaryVersion + ")" : ""),
      op.state + (op.reason ? ": " + op.reason : ""), rate(op.recordsPerSecond), String(op.lag)];
    cells.forEach((text, index) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (index === 2) cell.className = "state-" + op.state;
      row.appendChild(cell);
    });
    const actions = document.createElement("td");
    actions.appendChild(actionButton("pause", op.name, "pause"));
    actions.appendChild(actionButton("resume", op.name, "resume"));
    actions.appendChild(swapControl(op.name));
    actions.appendChild(actionButton("rollback", op.name, "rollback"));
    if (op.canaryVersion != null) actions.appendChild(actionButton("promote", op.name, "promote"));
    row.appendChild(actions);
    body.appendChild(row);
  }
}

function showMessage(text, isError) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.style.color = isError ? "#c62828" : "#3b4454";
}

async function act(operatorName, action, body) {
  try {
    const request = { method: "POST" };
    if (body !== undefined) {
      request.body = JSON.stringify(body);
      request.headers = { "Content-Type": "application/json" };
    }
    const response = await adminFetch("/v1/operators/" + encodeURIComponent(operatorName) + "/" + action, request);
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) showMessage(action + " " + operatorName + ": " + (answer.message || "HTTP " + response.status), true);
    else if (answer.handoffGapMs !== undefined) {
      showMessage(action + " " + operatorName + ": v" + answer.fromVersion + " → v" + answer.toVersion + ", handoff gap " +
        answer.handoffGapMs.toFixed(1) + " ms", false);
    } else showMessage(action + " " + operatorName + ": done", false);
  } catch (error) {
    showMessage(action + " " + operatorName + ": " + error, true);
  }
  poll();
}

async function poll() {
  const status = document.getElementById("status");
  try {
    const response = await adminFetch("/v1/topology", { cache: "no-store" });
    if (response.status === 401) throw new Error("this admin API needs a token: enter one above");
    if (!response.ok) throw new Error("HTTP " + response.status);
    const topology = await response.json();
    drawGraph(topology);
    drawTable(topology);
    status.className = "";
    status.textContent = topology.operators.length + " operators, " + topology.streams.length + " streams · updated " +
      new Date(topology.sampledAtMs).toLocaleTimeString();
  } catch (error) {
    status.className = "error";
    status.textContent = "cannot read the topology: " + error.message;
  }
}

// The next poll is timed from the end of the last one, so a slow answer never stacks requests up.
async function pollForever() {
  await poll();
  setTimeout(pollForever, POLL_INTERVAL_MS);
}
pollForever();
</script>
</body>
</html>
"""#
}
