#!/usr/bin/env bash
# End-to-end test in a real n8n (npm run test:e2e).
#
#   1. Node 24 + n8n (2.41.1) in a cache outside the checkout (install-n8n.sh; minutes when cold)
#   2. npm run build, npm pack, and install the tarball into a throwaway N8N_USER_FOLDER the way
#      n8n installs a community package (.n8n/nodes/node_modules/<package>)
#   3. n8n export:nodes lists every node type the package declares
#   4. the Ollama simulator (test/simulator/cli.ts) on loopback
#   5. import:credentials (generated, pointing at the simulator), import:workflow (the four
#      examples at once), n8n execute examples/agent-basic.json: the Team Agent output and the
#      simulator's stats
#   6. tools: n8n execute examples/agent-tools.json (Team Agent + n8n's own Calculator tool
#      sub-node on its ai_tool input) with a simulator script that asks for the calculator:
#      the real Calculator computes 42, the result goes back to the model (assert-tools.js)
#   7. publish examples/agent-webhook.json and agent-webhook-streaming.json, one n8n start,
#      POST to both: the lastNode answer; the streamed NDJSON chunks and when they arrived
#      (stream-client.js, assert-stream.js; the simulator decodes slowly for that call)
#   6b/7. the Orchestrator examples (test/e2e/orchestrator.sh): n8n execute the daily report, the team
#      of Team Agent tools, the debate and a sub-workflow member (Call Workflow tool); POST the
#      research team's streaming webhook
#   7. the Cache example (test/e2e/cache.sh): Webhook → Cache Lookup → miss → Team Agent → Store,
#      POSTed twice; the second answer comes from the cache with no /api/chat at the simulator
#   6c/7. n8n's own AI nodes on the Chat Model / Embeddings sub-nodes (test/e2e/ai-nodes.sh): AI Agent +
#      Calculator, Basic LLM Chain over 50 items, Information Extractor, RAG over the in-memory vector
#      store; the AI Agent streaming through a webhook
#   8. stop everything (always, from the EXIT trap), print the phase timings
#
# Environment:
#   N8N_E2E_CACHE, N8N_E2E_N8N_VERSION, N8N_E2E_NODE_VERSION   see install-n8n.sh
#   N8N_E2E_KEEP=1        keep the work directory (logs, DB, fixtures) even when the test passes
#   N8N_E2E_SKIP_BUILD=1  pack the existing dist/ without running npm run build
#   N8N_E2E_TIMEOUT       seconds allowed for each n8n command (default 240)
#   N8N_E2E_TOOL_RUNDATA=optional  do not require the Calculator sub-node's run in the IRun
# Everything listens on 127.0.0.1; n8n's telemetry, version checks, templates, banners and license
# renewal are switched off, so the test needs no network once the cache is filled.

set -Eeuo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
# shellcheck source=lib.sh
source "$E2E_DIR/lib.sh"
# shellcheck source=install-n8n.sh
source "$E2E_DIR/install-n8n.sh"
# shellcheck source=n8n-package.sh
source "$E2E_DIR/n8n-package.sh"
# shellcheck source=orchestrator.sh
source "$E2E_DIR/orchestrator.sh"
# shellcheck source=cache.sh
source "$E2E_DIR/cache.sh"
# shellcheck source=ai-nodes.sh
source "$E2E_DIR/ai-nodes.sh"

N8N_E2E_TIMEOUT=${N8N_E2E_TIMEOUT:-240}
BACKEND_NAME=sim
WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-agent-team-e2e.XXXXXX")
RESULTS=()

on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if ((${#RESULTS[@]})); then
		printf '\n[e2e] checks passed:\n' >&2
		printf '  - %s\n' "${RESULTS[@]}" >&2
	fi
	finish_run e2e "$rc" "${N8N_E2E_KEEP:-}" "Logs, DB and fixtures"
	exit "$rc"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM
# Only the main shell reports (set -E hands the trap to subshells and background jobs too).
trap 'rc=$?; [[ $BASHPID == "$$" ]] && die "command failed (exit $rc) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

require_cmd node npm curl tar setsid flock
log "work directory: $WORK"

# ---------------------------------------------------------------------------------------------
phase "1. Node 24 + n8n $N8N_E2E_N8N_VERSION (cache: $N8N_E2E_CACHE)"
ensure_n8n
log "n8n $N8N_E2E_N8N_VERSION on Node $("$E2E_NODE24" -v): $E2E_N8N_HOME"

# ---------------------------------------------------------------------------------------------
phase "2. build, pack and install the community package"
install_package_into_n8n

# ---------------------------------------------------------------------------------------------
export_n8n_env
sim_stats() { curl -sS --noproxy '*' --max-time 10 "$SIM_URL/_sim/stats" >"$1" || die "GET $SIM_URL/_sim/stats failed" "$WORK/sim.log"; }
# sim_post PATH JSON [METHOD]: a simulator control call (POST /_sim/scripts, /_sim/options, ...); prints its answer.
sim_post() {
	local answer code
	answer=$(curl -sS --noproxy '*' --max-time 10 -X "${3:-POST}" -H 'Content-Type: application/json' ${2:+--data "$2"} \
		-w '\n%{http_code}' "$SIM_URL$1") || die "${3:-POST} $SIM_URL$1 failed" "$WORK/sim.log"
	code=${answer##*$'\n'}
	[[ $code == 200 ]] || die "${3:-POST} $SIM_URL$1 $2 answered HTTP $code: ${answer%$'\n'*}" "$WORK/sim.log"
	printf '%s\n' "${answer%$'\n'*}"
}

# ---------------------------------------------------------------------------------------------
phase "3. n8n export:nodes"
n8n_cmd export-nodes export:nodes --output="$WORK/nodes.json"
[[ -s $WORK/nodes.json ]] || die "export:nodes wrote nothing" "$WORK/export-nodes.out" "$WORK/export-nodes.err"
node "$E2E_DIR/assert-export.js" "$WORK/nodes.json" "$WORK/expected-types.json" ||
	die "n8n does not list the package's nodes" "$WORK/export-nodes.out" "$WORK/export-nodes.err"
RESULTS+=("export:nodes lists $(node -p 'require(process.argv[1]).nodes.join(", ")' "$WORK/expected-types.json")")

# ---------------------------------------------------------------------------------------------
phase "4. Ollama simulator"
[[ -f $REPO/test/simulator/cli.ts ]] || die "test/simulator/cli.ts does not exist"
start_bg "$WORK/sim.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0
SIM_PID=$BG_PID
line=$(wait_for_line "$WORK/sim.log" 'Ollama simulator listening on http://127\.0\.0\.1:[0-9]+' 60 "$SIM_PID") ||
	die "the simulator did not print 'Ollama simulator listening on http://127.0.0.1:PORT' within 60s" "$WORK/sim.log"
SIM_URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)
sim_stats "$WORK/sim-stats-0.json"
log "simulator at $SIM_URL (pid $SIM_PID)"

# ---------------------------------------------------------------------------------------------
phase "5. import credentials + the example workflows, n8n execute examples/agent-basic.json"
EXAMPLES=(agent-basic agent-tools agent-webhook agent-webhook-streaming
	orchestrator-research-webhook orchestrator-daily-report orchestrator-canvas-team orchestrator-debate
	orchestrator-sub-workflow-member cache-agent-webhook)
EXAMPLE_FILES=()
for f in "${EXAMPLES[@]}"; do
	[[ -f $REPO/examples/$f.json ]] || die "examples/$f.json does not exist"
	EXAMPLE_FILES+=("$REPO/examples/$f.json")
done
# n8n's own AI nodes on the package's sub-nodes (ai-nodes.sh): imported with the rest
EXAMPLE_FILES+=("${AI_WORKFLOW_FILES[@]}")
node "$E2E_DIR/make-fixtures.js" --repo "$REPO" --sim-url "$SIM_URL" --backend-name "$BACKEND_NAME" --out "$WORK/fixtures" \
	"${EXAMPLE_FILES[@]}" >"$WORK/fixtures.json" 2>"$WORK/fixtures.err" ||
	die "could not generate the credentials and workflow copies" "$WORK/fixtures.err"
fixture() { node -p "const s = require(process.argv[1]); $1" "$WORK/fixtures.json"; }
# wf KEY EXPR: EXPR on the summary of examples/KEY.json (w), e.g. wf agent-tools w.id
wf() { fixture "const w = s.workflows.find((x) => x.key === '$1'); $2"; }
BASIC_ID=$(wf agent-basic w.id)
TOOLS_ID=$(wf agent-tools w.id)
HOOK_ID=$(wf agent-webhook w.id)
STREAM_ID=$(wf agent-webhook-streaming w.id)
log "credentials: $(fixture 's.credentials.map((c) => `${c.type} ${c.id} "${c.name}"`).join(", ")')"

n8n_cmd import-credentials import:credentials --input="$WORK/fixtures/credentials.json"
# all example workflows in one import (an array of workflows); a workflow n8n skips is only a warning
n8n_cmd import-workflows import:workflow --input="$WORK/fixtures/workflows.json"
grep -qE "Successfully imported ${#EXAMPLE_FILES[@]} workflows" "$WORK/import-workflows.out" "$WORK/import-workflows.err" ||
	die "import:workflow did not import all ${#EXAMPLE_FILES[@]} workflows" "$WORK/import-workflows.out" "$WORK/import-workflows.err"
log "imported workflows: $(fixture 's.workflows.map((w) => `${w.id} (${w.key})`).join(", ")')"
n8n_cmd execute-basic execute --id="$BASIC_ID" --rawOutput
node "$E2E_DIR/assert-agent-output.js" execute "$WORK/execute-basic.out" "$BACKEND_NAME" "$WORK/fixtures/agent-basic.json" ||
	die "the Team Agent output of workflow $BASIC_ID is wrong" "$WORK/execute-basic.out" "$WORK/execute-basic.err" "$WORK/sim.log"
sim_stats "$WORK/sim-stats-1.json"
node "$E2E_DIR/assert-sim.js" "$WORK/sim-stats-0.json" "$WORK/sim-stats-1.json" 1 "simulator after n8n execute" ||
	die "the simulator did not get the chat requests of n8n execute" "$WORK/sim.log"
RESULTS+=("n8n execute --id=$BASIC_ID: Team Agent answered through backend '$BACKEND_NAME', simulator saw the chat requests")

# ---------------------------------------------------------------------------------------------
phase "6. tools: examples/agent-tools.json (n8n's Calculator tool sub-node), n8n execute"
# n8n 2.41 offers a tool sub-node to the model under its node's name (nodeNameToToolName: node
# "Calculator" -> tool "Calculator"), not LangChain's "calculator".
TOOL_NAME=$(wf agent-tools '(w.toolNodes.find((t) => t.type === "@n8n/n8n-nodes-langchain.toolCalculator") || {}).toolName || ""')
[[ -n $TOOL_NAME ]] || die "examples/agent-tools.json has no @n8n/n8n-nodes-langchain.toolCalculator node"
# The model (simulator) asks for the calculator once; after the tool result it answers
# "Based on the tool result: <content>".
sim_post /_sim/scripts "{\"match\":\"calculator\",\"toolCalls\":[{\"name\":\"$TOOL_NAME\",\"arguments\":{\"input\":\"21 * 2\"}}],\"times\":1}" >/dev/null
sim_stats "$WORK/sim-stats-tools-0.json"
n8n_cmd execute-tools execute --id="$TOOLS_ID" --rawOutput
sim_stats "$WORK/sim-stats-tools-1.json"
node "$E2E_DIR/assert-tools.js" "$WORK/execute-tools.out" "$WORK/fixtures/agent-tools.json" \
	"$WORK/sim-stats-tools-0.json" "$WORK/sim-stats-tools-1.json" "$BACKEND_NAME" "$TOOL_NAME" >"$WORK/assert-tools.json" ||
	die "the tool-calling run of workflow $TOOLS_ID is wrong" "$WORK/execute-tools.err" "$WORK/sim.log"
sim_post /_sim/scripts '' DELETE >/dev/null
tools_check="n8n execute --id=$TOOLS_ID: Team Agent called n8n's Calculator tool \"$TOOL_NAME\" (21 * 2 -> 42"
if [[ $(node -p 'require(process.argv[1]).toolInRunData' "$WORK/assert-tools.json") == true ]]; then
	tools_check+=", also in the Calculator node's run data"
else
	tools_check+="; the Calculator node is not in --rawOutput's run data"
fi
tools_check+="), fed the result back (2 chat calls), memory \"demo-session\", run summary item"
RESULTS+=("$tools_check")

# ---------------------------------------------------------------------------------------------
phase "6b. Orchestrator: n8n execute the daily report (its Run Now trigger), the canvas team (Team Agent tools), the debate, the sub-workflow member (Call Workflow tool)"
orchestrator_execute_examples

# ---------------------------------------------------------------------------------------------
phase "6c. n8n's AI nodes on the sub-nodes: AI Agent + Calculator, Basic LLM Chain (50 items), Information Extractor, RAG (test/e2e/ai-nodes.sh)"
ai_execute_workflows

# ---------------------------------------------------------------------------------------------
phase "7. webhooks: publish examples/agent-webhook.json + agent-webhook-streaming.json, n8n start, POST both"
HOOK_PATH=$(wf agent-webhook 'w.webhooks[0] ? w.webhooks[0].path : ""')
HOOK_METHOD=$(wf agent-webhook 'w.webhooks[0] ? w.webhooks[0].method : ""')
[[ -n $HOOK_PATH ]] || die "examples/agent-webhook.json has no n8n-nodes-base.webhook node with a path"
STREAM_PATH=$(wf agent-webhook-streaming 'w.webhooks[0] && w.webhooks[0].responseMode === "streaming" ? w.webhooks[0].path : ""')
STREAM_METHOD=$(wf agent-webhook-streaming 'w.webhooks[0] ? w.webhooks[0].method : ""')
STREAM_NODE=$(wf agent-webhook-streaming 'w.agentNodes[0].name')
[[ -n $STREAM_PATH ]] || die "examples/agent-webhook-streaming.json has no n8n-nodes-base.webhook node with responseMode \"streaming\" and a path"
# n8n 2.x: a workflow is active when a version of it is published; import:workflow leaves it inactive
# and update:workflow --active=true is deprecated (it calls the same publishVersion).
n8n_cmd publish-webhook publish:workflow --id="$HOOK_ID"
n8n_cmd publish-stream publish:workflow --id="$STREAM_ID"
orchestrator_publish_webhook
cache_publish_webhook
ai_publish_webhook

start_bg "$WORK/n8n-start.log" env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" start
E2E_N8N_PID=$BG_PID
E2E_N8N_URL="http://127.0.0.1:$N8N_PORT"
t_start=$(e2e_now)
wait_for_http "$E2E_N8N_URL/healthz" 180 "$E2E_N8N_PID" || die "n8n start did not answer $E2E_N8N_URL/healthz" "$WORK/n8n-start.log"
log "n8n start: /healthz answered after $(e2e_elapsed "$t_start")s"
wait_for_http "$E2E_N8N_URL/healthz/readiness" 180 "$E2E_N8N_PID" || die "n8n start never became ready ($E2E_N8N_URL/healthz/readiness)" "$WORK/n8n-start.log"
log "n8n start: /healthz/readiness answered after $(e2e_elapsed "$t_start")s"
# Registered once the workflow is activated: an unregistered path answers 404 "... is not registered",
# a registered POST-only path answers a GET with a "did you mean to make a POST request" hint.
wait_for_webhook() {
	local path=$1 method=$2 deadline
	deadline=$(($(date +%s) + 60))
	until curl -sS --noproxy '*' --max-time 5 "$E2E_N8N_URL/webhook/$path" 2>/dev/null | grep -qiE "did you mean to make a $method request|not registered for GET"; do
		kill -0 "$E2E_N8N_PID" 2>/dev/null || die "n8n start exited" "$WORK/n8n-start.log"
		(($(date +%s) < deadline)) || die "webhook /webhook/$path was not registered within 60s (last answer: $(curl -sS --noproxy '*' --max-time 5 "$E2E_N8N_URL/webhook/$path" 2>&1 | head -c 300))" "$WORK/n8n-start.log"
		sleep 0.5
	done
}
wait_for_webhook "$HOOK_PATH" "$HOOK_METHOD"
wait_for_webhook "$STREAM_PATH" "$STREAM_METHOD"
log "n8n serving on $E2E_N8N_URL, webhooks /webhook/$HOOK_PATH and /webhook/$STREAM_PATH registered after $(e2e_elapsed "$t_start")s"

sim_stats "$WORK/sim-stats-2.json"
code=$(curl -sS --noproxy '*' --max-time 120 -o "$WORK/webhook-answer.json" -w '%{http_code}' \
	-X "$HOOK_METHOD" -H 'Content-Type: application/json' \
	--data '{"text":"In one sentence: what does a load balancer in front of several Ollama servers do?"}' \
	"$E2E_N8N_URL/webhook/$HOOK_PATH") || die "POST $E2E_N8N_URL/webhook/$HOOK_PATH failed" "$WORK/n8n-start.log"
log "webhook answered HTTP $code: $(head -c 400 "$WORK/webhook-answer.json")"
[[ $code == 200 ]] || die "the webhook answered HTTP $code: $(head -c 2000 "$WORK/webhook-answer.json")" "$WORK/n8n-start.log"
node "$E2E_DIR/assert-agent-output.js" webhook "$WORK/webhook-answer.json" "$BACKEND_NAME" ||
	die "the webhook's answer is not the Team Agent's output" "$WORK/n8n-start.log" "$WORK/sim.log"
sim_stats "$WORK/sim-stats-3.json"
node "$E2E_DIR/assert-sim.js" "$WORK/sim-stats-2.json" "$WORK/sim-stats-3.json" 1 "simulator after the webhook call" ||
	die "the simulator did not get the webhook execution's chat request" "$WORK/sim.log" "$WORK/n8n-start.log"
RESULTS+=("$HOOK_METHOD /webhook/$HOOK_PATH on n8n start: answered the Team Agent's response and usage")

# Streaming: slow generation on purpose (15 tokens/s, 40-60 tokens: ~3 s) so that tokens sent
# while the model generates arrive measurably before the end of the response.
curl -sS --noproxy '*' --max-time 10 "$SIM_URL/_sim/options" >"$WORK/sim-options-saved.json" || die "GET $SIM_URL/_sim/options failed" "$WORK/sim.log"
sim_post /_sim/options '{"decodeTokensPerSec":15,"timeScale":1,"replyTokensMin":40,"replyTokensMax":60}' >/dev/null
sim_stats "$WORK/sim-stats-4.json"
node "$E2E_DIR/stream-client.js" "$E2E_N8N_URL/webhook/$STREAM_PATH" '{"text":"Stream a short story"}' 60000 \
	>"$WORK/stream.json" 2>"$WORK/stream-client.err" ||
	die "POST $E2E_N8N_URL/webhook/$STREAM_PATH (streaming) failed: $(node -p 'require(process.argv[1]).error' "$WORK/stream.json" 2>/dev/null)" \
		"$WORK/stream-client.err" "$WORK/stream.json" "$WORK/n8n-start.log"
sim_post /_sim/options "$(node -p 'const o = require(process.argv[1]); JSON.stringify({ decodeTokensPerSec: o.decodeTokensPerSec, timeScale: o.timeScale, replyTokensMin: o.replyTokensMin, replyTokensMax: o.replyTokensMax })' "$WORK/sim-options-saved.json")" >/dev/null
node "$E2E_DIR/assert-stream.js" "$WORK/stream.json" "$STREAM_NODE" 5 1000 >"$WORK/stream-summary.json" ||
	die "the streaming webhook did not stream the Team Agent's tokens" "$WORK/stream.json" "$WORK/n8n-start.log"
sim_stats "$WORK/sim-stats-5.json"
node "$E2E_DIR/assert-sim.js" "$WORK/sim-stats-4.json" "$WORK/sim-stats-5.json" 1 "simulator after the streaming webhook call" ||
	die "the simulator did not get the streaming execution's chat request" "$WORK/sim.log" "$WORK/n8n-start.log"
RESULTS+=("$STREAM_METHOD /webhook/$STREAM_PATH (responseMode streaming): $(node -p 'const s = require(process.argv[1]); `${s.itemChunks} item chunks from the Team Agent, first at ${Math.round(s.firstItemMs)} ms, last at ${Math.round(s.lastItemMs)} ms, response ended at ${Math.round(s.responseEndMs)} ms`' "$WORK/stream-summary.json")")

orchestrator_call_webhook
cache_call_webhook
ai_call_webhook

# ---------------------------------------------------------------------------------------------
phase "8. stop n8n and the simulator"
stop_bg "$E2E_N8N_PID"
stop_bg "$SIM_PID"
grep -iE 'Failed to load package|Skipping package' "$WORK/n8n-start.log" && die "n8n start could not load $PKG_NAME" "$WORK/n8n-start.log"
phase_end
