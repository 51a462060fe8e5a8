#!/usr/bin/env bash
# Set-up command 2: install dependencies, build the release binary, run the unit tests (swift test)
# and then the integration suite (pytest Tests/Integration) against the real binary.
# Exits non-zero if any step fails. Extra arguments go to pytest (e.g. -k kcat).
#
# Environment:
#   SLUICE_SKIP_UNIT=1        skip `swift test` (quick iteration on the integration suite)
#   SLUICE_BIN=/path/sluice   use this binary instead of building one
#   SLUICE_TEST_PEER=tansu    run the integration suite against Tansu instead (see Tests/Integration/conftest.py)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
./scripts/install-deps.sh

status=0

if [ -z "${SLUICE_BIN:-}" ] && [ "${SLUICE_TEST_PEER:-sluice}" = sluice ]; then
    echo "== swift build -c release --product sluice"
    swift build -c release --product sluice
    export SLUICE_BIN="$root/.build/release/sluice"
    echo "== swift build -c release --product identity-operator (the Swift operator the suite deploys)"
    swift build -c release --product identity-operator
    export SLUICE_SWIFT_OPERATOR="$root/.build/release/identity-operator"
fi

if [ "${SLUICE_SKIP_UNIT:-0}" != 1 ]; then
    echo "== swift test"
    if ! swift test; then
        echo "test.sh: unit tests failed" >&2
        status=1
    fi
fi

echo "== pytest sdk/python/tests (the Python operator SDK over real pipes)"
if ! python3 -m pytest sdk/python/tests -q; then
    echo "test.sh: Python SDK tests failed" >&2
    status=1
fi

echo "== pytest Tests/Integration (broker: ${SLUICE_TEST_PEER:-sluice} ${SLUICE_BIN:-})"
set +e
python3 -m pytest Tests/Integration -ra "$@"
pytest_status=$?
set -e
case "$pytest_status" in
    0) ;;
    5) echo "test.sh: pytest collected no tests: the integration suite is missing" >&2; status=1 ;;
    *) echo "test.sh: integration tests failed (pytest exit $pytest_status)" >&2; status=1 ;;
esac

exit "$status"
