import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)                      # the test driver
sys.path.insert(0, os.path.dirname(HERE))     # the sluice package, for in-process tests

import driver  # noqa: E402


@pytest.fixture
def spawn():
    """spawn(path, env=None, protocol_env=True) → a started driver.Operator, killed after the test."""
    started = []

    def _spawn(path, env=None, protocol_env=True):
        operator = driver.Operator(path, env, protocol_env)
        started.append(operator)
        return operator

    yield _spawn
    for operator in started:
        operator.kill()
