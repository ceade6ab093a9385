#!/usr/bin/env bash
# Basic LLM Chain in real n8n 2.41.1 (the e2e install) against the Ollama simulator: this package's
# Ollama Cluster Chat Model vs n8n's own Ollama Chat Model, side by side in the same run (issue 17).
#   A  200 items x 50 tokens, 1 backend with 4 slots, the chain's default batching (5)
#   B  the same at batch size 200
#   C  a cold model (2 s load, OLLAMA_MAX_QUEUE 20), batch size 200: failed items
#   D  600 items, batch size 200: the Cluster Chat Model on 3 backends vs on 1 (n8n's own can use one)
#   E  200 items, half of them repeated prompts (temperature 0), batch size 200: cache on vs off
# items/s = the chain node's items (minus failed ones) / its own executionTime.
# Usage: bash bench/n8n/ai-chain.sh [ABCDE]   (N8N_E2E_SKIP_BUILD=1 packs the existing dist/;
#   AI_BENCH_N8N_FIRST=1 runs n8n's own sub-node first in A and B, to see what the order costs)
set -Eeuo pipefail
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../test/e2e" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
source "$E2E_DIR/lib.sh"
source "$E2E_DIR/install-n8n.sh"
source "$E2E_DIR/n8n-package.sh"
CASES=${1:-ABCDE}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-ai-chain.XXXXXX")
trap 'stop_all_bg' EXIT
log "work directory: $WORK"
ensure_n8n
install_package_into_n8n
export_n8n_env
n8n() { env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" "$@"; }

# start_sim NAME ARGS...: a simulator (200 x 50-token replies by default); sets SIM_URLS[NAME]
declare -A SIM_URLS
start_sim() {
	local name=$1 line
	shift
	start_bg "$WORK/sim-$name.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0 \
		--parallel 4 --reply-tokens-min 50 --reply-tokens-max 50 "$@"
	line=$(wait_for_line "$WORK/sim-$name.log" 'listening on http://127\.0\.0\.1:[0-9]+' 60 "$BG_PID") || die "simulator $name did not start" "$WORK/sim-$name.log"
	SIM_URLS[$name]=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)
}
start_sim warm --load-ms 0
start_sim cold1 --load-ms 2000 --max-queue 20
start_sim cold2 --load-ms 2000 --max-queue 20
start_sim b1 --load-ms 0
start_sim b2 --load-ms 0
start_sim b3 --load-ms 0
start_sim cache --load-ms 0

# Credentials: the package's (defaults from the built credential class, via make-fixtures.js) with the
# backends of each case, and n8n's own ollamaApi.
node "$REPO/bench/n8n/make-ai-chain-workflow.js" "$WORK/template.json" tmpl 1 cluster default cluWarm
node "$E2E_DIR/make-fixtures.js" --repo "$REPO" --sim-url "${SIM_URLS[warm]}" --backend-name sim --out "$WORK/fx" "$WORK/template.json" >/dev/null
node - "$WORK/fx/credentials.json" "$WORK/credentials.json" "${SIM_URLS[warm]}" "${SIM_URLS[cold1]}" "${SIM_URLS[cold2]}" "${SIM_URLS[b1]}" "${SIM_URLS[b2]}" "${SIM_URLS[b3]}" "${SIM_URLS[cache]}" <<'JS'
const fs = require('fs');
const [from, to, warm, cold1, cold2, b1, b2, b3, cache] = process.argv.slice(2);
const [template] = JSON.parse(fs.readFileSync(from, 'utf8'));
const backend = template.data.backends.backend[0];
const cluster = (id, urls) => ({ ...template, id, name: `Ollama Cluster ${id}`, data: { ...template.data, backends: { backend: urls.map((u, i) => ({ ...backend, name: `sim-${i + 1}`, baseUrl: u, parallel: 4 })) } } });
const own = (id, url) => ({ id, name: 'Ollama (n8n)', type: 'ollamaApi', data: { baseUrl: url } });
fs.writeFileSync(to, JSON.stringify([
	cluster('cluWarm', [warm]), own('ownWarm', warm),
	cluster('cluCold', [cold1]), own('ownCold', cold2),
	cluster('cluOne', [b1]), cluster('cluThree', [b1, b2, b3]),
	cluster('cluCache', [cache]),
]));
JS
n8n import:credentials --input="$WORK/credentials.json" >"$WORK/import.log" 2>&1 || die "import:credentials" "$WORK/import.log"

# RUNS: "name id items model batch credential repeat cache"
RUNS=()
pair() { if [[ ${AI_BENCH_N8N_FIRST:-} == 1 ]]; then RUNS+=("$2" "$1"); else RUNS+=("$1" "$2"); fi; }
[[ $CASES == *A* ]] && pair "A-cluster aiA1 200 cluster default cluWarm" "A-n8n aiA2 200 n8n default ownWarm"
[[ $CASES == *B* ]] && pair "B-cluster aiB1 200 cluster 200 cluWarm" "B-n8n aiB2 200 n8n 200 ownWarm"
[[ $CASES == *C* ]] && RUNS+=("C-cluster aiC1 200 cluster 200 cluCold" "C-n8n aiC2 200 n8n 200 ownCold")
[[ $CASES == *D* ]] && RUNS+=("D-1-backend aiD1 600 cluster 200 cluOne" "D-3-backends aiD3 600 cluster 200 cluThree")
[[ $CASES == *E* ]] && RUNS+=("E-no-cache aiE1 200 cluster 200 cluCache 0.5 0" "E-cache aiE2 200 cluster 200 cluCache 0.5 1")
files=()
for r in "${RUNS[@]}"; do
	read -r name id items model batch cred repeat cache <<<"$r"
	node "$REPO/bench/n8n/make-ai-chain-workflow.js" "$WORK/wf-$name.json" "$id" "$items" "$model" "$batch" "$cred" "${repeat:-0}" "${cache:-0}"
	files+=("$WORK/wf-$name.json")
done
node -e 'const fs=require("fs"); fs.writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, "utf8")))))' "$WORK/workflows.json" "${files[@]}"
n8n import:workflow --input="$WORK/workflows.json" >>"$WORK/import.log" 2>&1 || die "import:workflow" "$WORK/import.log"

for r in "${RUNS[@]}"; do
	read -r name id _ <<<"$r"
	log "run $name"
	n8n execute --id="$id" --rawOutput >"$WORK/exec-$name.out" 2>"$WORK/exec-$name.err" || log "$name: n8n execute exited non-zero"
	node "$REPO/bench/n8n/ai-chain-report.js" "$name" "$WORK/exec-$name.out" | tee -a "$WORK/results.jsonl"
done
node - "$WORK/results.jsonl" <<'JS' | tee "$WORK/report.txt"
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const by = Object.fromEntries(rows.map((r) => [r.name, r]));
const fmt = (r) => (r ? `${r.itemsPerSec.toFixed(2)} items/s (${r.items} items, ${r.failed} failed, ${r.ms} ms${r.error ? `, error: ${r.error}` : ''})` : 'not run');
const ratio = (a, b) => (by[a] && by[b] && by[b].itemsPerSec ? `${(by[a].itemsPerSec / by[b].itemsPerSec).toFixed(2)}x` : 'n/a');
console.log(`A default batching: cluster ${fmt(by['A-cluster'])} | n8n's own ${fmt(by['A-n8n'])} | ratio ${ratio('A-cluster', 'A-n8n')}`);
console.log(`B batch size 200:   cluster ${fmt(by['B-cluster'])} | n8n's own ${fmt(by['B-n8n'])} | ratio ${ratio('B-cluster', 'B-n8n')}`);
console.log(`C cold model:       cluster ${fmt(by['C-cluster'])} | n8n's own ${fmt(by['C-n8n'])}`);
console.log(`D 600 items:        3 backends ${fmt(by['D-3-backends'])} | 1 backend ${fmt(by['D-1-backend'])} | ratio ${ratio('D-3-backends', 'D-1-backend')}`);
console.log(`E 50 % repeated:    cache ${fmt(by['E-cache'])} | no cache ${fmt(by['E-no-cache'])} | ratio ${ratio('E-cache', 'E-no-cache')}`);
JS
log "report: $WORK/report.txt (work directory kept: $WORK)"
