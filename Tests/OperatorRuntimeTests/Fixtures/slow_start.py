"""Answers Hello only after FIXTURE_DELAY_MS (default 3000): for start timeouts."""
import sys
import time

from sluice_fixture import env, records, run

sys.stderr.write("slow to start\n")
sys.stderr.flush()
time.sleep(int(env("FIXTURE_DELAY_MS", "3000")) / 1000)


def copy(body):
    return [b"\x00\x00" + body[k:e] for _, k, _, e, _ in records(body)], []


run("slow", [env("FIXTURE_INPUT", "in")], [env("FIXTURE_OUTPUT", "out")], copy)
