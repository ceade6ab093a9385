#!/usr/bin/env bash
# The Load Balancer in real n8n 2.41.1 (the e2e install): a 600-item Team Agent workflow on three
# simulated backends of 1, 2 and 4 slots (credential with their true slots), the 2-slot backend
# killed (SIGTERM, not restarted) once 40 % of the items are answered. Reports items/s against the capacity
# a bare client measures on the three backends at once (each with exactly its slots in flight; the
# bound counts the items after the kill at the two left's rate), and items lost (an error, or no
# output paired with the item) or answered twice.
# Usage: bash bench/n8n/balancer-kill.sh [ITEMS]   (N8N_E2E_SKIP_BUILD=1 packs the existing dist/)
set -Eeuo pipefail
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../test/e2e" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
source "$E2E_DIR/lib.sh"
source "$E2E_DIR/install-n8n.sh"
source "$E2E_DIR/n8n-package.sh"
ITEMS=${1:-600}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-balancer.XXXXXX")
trap 'stop_all_bg' EXIT
log "work directory: $WORK"
ensure_n8n
install_package_into_n8n
export_n8n_env
export N8N_LOG_LEVEL=info # execute reports a missing workflow or a failed run only at info

SLOTS=(1 2 4)
URLS=()
PIDS=()
for i in 0 1 2; do
	start_bg "$WORK/sim-$i.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0 \
		--parallel "${SLOTS[$i]}" --load-ms 0 --decode-tps 100 --reply-tokens-min 20 --reply-tokens-max 20
	PIDS+=("$BG_PID")
	line=$(wait_for_line "$WORK/sim-$i.log" 'listening on http://127\.0\.0\.1:[0-9]+' 60 "$BG_PID") || die "simulator did not start" "$WORK/sim-$i.log"
	URLS+=("$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)")
done

# capacity: a bare client on all three at once, exactly its slots in flight on each, items split by slots
BARE=()
for i in 0 1 2; do
	(cd "$REPO" && node node_modules/tsx/dist/cli.mjs bench/n8n/bare-client.ts "${URLS[$i]}" $((ITEMS * SLOTS[i] / 7)) "${SLOTS[$i]}") >"$WORK/bare-$i.json" &
	BARE+=("$!")
done
wait "${BARE[@]}" # not the simulators, which run on
CAPACITY=$(node -e 'let s=0; for (const f of process.argv.slice(1)) s += JSON.parse(require("fs").readFileSync(f, "utf8")).itemsPerSec; console.log(s.toFixed(2))' "$WORK"/bare-{0,1,2}.json)
WITHOUT=$(node -e 'let s=0; for (const f of process.argv.slice(1)) s += JSON.parse(require("fs").readFileSync(f, "utf8")).itemsPerSec; console.log(s.toFixed(2))' "$WORK"/bare-{0,2}.json)
log "bare-client capacity: $CAPACITY items/s on all three, $WITHOUT without the 2-slot backend"

node "$REPO/bench/n8n/make-workflow.js" "$ITEMS" "$WORK/wf.json"
node "$E2E_DIR/make-fixtures.js" --repo "$REPO" --sim-url "${URLS[0]}" --backend-name gpu-1 --out "$WORK/fx" "$WORK/wf.json" >"$WORK/fx.summary.json"
node -e '
const [file, ...urls] = process.argv.slice(1);
const creds = require(file);
const slots = [1, 2, 4];
for (const c of creds) if (c.type === "ollamaClusterApi") {
	const row = c.data.backends.backend[0];
	c.data.backends.backend = urls.map((u, i) => ({ ...row, name: `gpu-${i + 1}`, baseUrl: u, parallel: slots[i] }));
	c.data.healthInterval = 1;
}
require("fs").writeFileSync(file, JSON.stringify(creds));' "$WORK/fx/credentials.json" "${URLS[@]}"
env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" import:credentials --input="$WORK/fx/credentials.json" >"$WORK/import.log" 2>&1
env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" import:workflow --input="$WORK/fx/wf.json" >>"$WORK/import.log" 2>&1
id=$(node -p 'require(process.argv[1]).id' "$WORK/fx/wf.json")

# kill the 2-slot backend once 40 % of the items are answered (counted at the simulators)
KILL_SHARE=${KILL_SHARE:-0.4} # 2 = never (a run without the failure, for comparison)
node "$REPO/bench/n8n/kill-when.js" "${PIDS[1]}" "$ITEMS" "$KILL_SHARE" "${URLS[@]}" >"$WORK/kill.txt" 2>&1 &
KILLER=$!
rc=0
env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" execute --id="$id" --rawOutput >"$WORK/exec.out" 2>"$WORK/exec.err" || rc=$?
log "n8n execute exited $rc"
(( rc == 0 )) || { tail -n 40 "$WORK/exec.out" >&2; die "n8n execute failed" "$WORK/exec.err"; }
# the run is over: stop the poller (an answer the killed backend gave as it died is not in its count)
kill "$KILLER" 2>/dev/null || true
wait "$KILLER" || true
cat "$WORK/kill.txt" >&2 || true
node -e '
const fs = require("fs");
const { extractJson } = require(process.argv[1]);
const [, file, items, capacity, without, killShare] = process.argv.slice(1);
const n = Number(items);
const run = extractJson(fs.readFileSync(file, "utf8"), file);
const runs = (run.data || run).resultData.runData["Team Agent"];
const agent = runs[runs.length - 1];
const out = agent.data.main[0];
const ok = out.filter((i) => !i.json.error && typeof i.json.output === "string");
// one output per input item (pairedItem): a missing index was lost, a repeated one answered twice
const seen = new Map();
for (const i of ok) for (const p of [].concat(i.pairedItem ?? [])) seen.set(p.item, (seen.get(p.item) || 0) + 1);
const duplicates = [...seen.values()].filter((c) => c > 1).length;
const perBackend = {};
for (const i of ok) perBackend[i.json.backend] = (perBackend[i.json.backend] || 0) + 1;
const perSec = (n / agent.executionTime) * 1000;
// the capacity bound with the failure: the items before the kill at the rate of all three backends, the rest at the rate of the two left
const share = Math.min(1, Number(killShare));
const bound = n / ((n * share) / capacity + (n * (1 - share)) / without);
console.log(`${items} items in real n8n, 3 backends (1/2/4 slots)${share < 1 ? `, gpu-2 killed after ${100 * share} % of the items` : ""}: ${perSec.toFixed(1)} items/s (${agent.executionTime} ms) = ${(100 * perSec / bound).toFixed(1)} % of the capacity bound (${bound.toFixed(2)}/s; bare client: ${capacity}/s on all three, ${without}/s on the two left); answered ${ok.length}, errors ${out.length - ok.length}, lost ${n - seen.size}, answered twice ${duplicates}; per backend ${JSON.stringify(perBackend)}; items retried ${out.filter((i) => i.json.retries > 0).length}`);
' "$E2E_DIR/json-doc.js" "$WORK/exec.out" "$ITEMS" "$CAPACITY" "$WITHOUT" "$KILL_SHARE" | tee "$WORK/report.txt"
