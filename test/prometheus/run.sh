#!/usr/bin/env bash
# npm run test:prometheus — a real Prometheus (Debian's package) scrapes the Metrics operation's
# output while a workload runs through the gateway against the simulator; PromQL must return the
# request rate, the cache hit ratio and a queue depth above zero during a burst.
# Installs prometheus with apt-get when it is missing; never skips.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v prometheus >/dev/null 2>&1 && [ -z "${PROMETHEUS_BIN:-}" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
"${PROMETHEUS_BIN:-prometheus}" --version 2>&1 | head -1
# test/prometheus is left out of the plain `npm test` (jest.config.js); this runs it alone
exec npx jest --testPathIgnorePatterns /node_modules/ /dist/ --runTestsByPath test/prometheus/scrape.test.ts "$@"
