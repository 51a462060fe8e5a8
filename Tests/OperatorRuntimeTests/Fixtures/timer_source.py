"""A source: no inputs; sets a timer in init and, every FIXTURE_INTERVAL_MS, produces "tick <n>" to ticks."""
import time

from sluice_fixture import env, output, run

INTERVAL_MS = int(env("FIXTURE_INTERVAL_MS", "100"))
state = {"ticks": 0}


def now_ms():
    return int(time.time() * 1000)


def on_init():
    return [(None, now_ms() + INTERVAL_MS)]


def on_timers(fired):
    outs = []
    for key, time_ms in fired:
        state["ticks"] += 1
        outs.append(output(0, None, b"tick %d at %d fired %d" % (state["ticks"], time_ms, now_ms())))
    return outs, [(None, fired[-1][1] + INTERVAL_MS)] if fired else []


run(env("FIXTURE_NAME", "ticker"), [], ["ticks"], lambda body: ([], []), on_timers, on_init)
