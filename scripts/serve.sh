#!/usr/bin/env bash
# Set-up command 1: install dependencies, build Sluice in release mode and run the broker.
# Arguments go to `sluice serve`, e.g. ./scripts/serve.sh --data-dir /var/lib/sluice --fsync always
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
./scripts/install-deps.sh
swift build -c release --product sluice
exec .build/release/sluice serve "$@"
