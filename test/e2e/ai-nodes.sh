# shellcheck shell=bash
# n8n's own AI nodes on this package's sub-nodes, in real n8n (sourced by run.sh; uses its n8n_cmd,
# wf, sim_stats, sim_post, wait_for_webhook, WORK, E2E_DIR, E2E_N8N_URL, RESULTS).
#   - examples/ai-agent-cluster-chat-model.json: AI Agent + n8n's Calculator + Ollama Cluster Chat Model
#   - test/e2e/ai-workflows/ai-llm-chain-items.json: Basic LLM Chain over 50 items
#   - test/e2e/ai-workflows/ai-information-extractor.json: Information Extractor with a schema
#   - examples/ai-rag-cluster-embeddings.json: in-memory vector store filled through Ollama Cluster
#     Embeddings, Question and Answer Chain
#   - test/e2e/ai-workflows/ai-agent-webhook-streaming.json: AI Agent streaming through a Webhook
# Each run fails when n8n rejects a sub-node (the AI Agent's "requires Chat Model which supports
# Tools calling"), when the execution fails, or when its output or the simulator's counts are wrong.

AI_WORKFLOW_FILES=(
	"$REPO/examples/ai-agent-cluster-chat-model.json"
	"$REPO/examples/ai-rag-cluster-embeddings.json"
	"$REPO/test/e2e/ai-workflows/ai-llm-chain-items.json"
	"$REPO/test/e2e/ai-workflows/ai-information-extractor.json"
	"$REPO/test/e2e/ai-workflows/ai-agent-webhook-streaming.json"
)

# ai_execute KEY MODE: n8n execute the workflow KEY (basename), check it with assert-ai-nodes.js MODE.
ai_execute() {
	local key=$1 mode=$2 id summary
	id=$(wf "$key" w.id)
	sim_stats "$WORK/sim-stats-$key-0.json"
	n8n_cmd "execute-$key" execute --id="$id" --rawOutput
	sim_stats "$WORK/sim-stats-$key-1.json"
	summary=$(node "$E2E_DIR/assert-ai-nodes.js" "$mode" "$WORK/execute-$key.out" "$WORK/sim-stats-$key-0.json" "$WORK/sim-stats-$key-1.json") ||
		die "n8n execute --id=$id ($key) is wrong" "$WORK/execute-$key.err" "$WORK/sim.log"
	RESULTS+=("n8n execute --id=$id ($key): $summary")
}

# ai_execute_workflows: the four n8n execute runs.
ai_execute_workflows() {
	# The model (simulator) asks for n8n's Calculator (a tool sub-node is offered under its node's
	# name) once; after the tool result it answers "Based on the tool result: 42".
	sim_post /_sim/scripts '{"match":"Calculator","toolCalls":[{"name":"Calculator","arguments":{"input":"21 * 2"}}],"times":1}' >/dev/null
	ai_execute ai-agent-cluster-chat-model agent-tool
	sim_post /_sim/scripts '' DELETE >/dev/null
	ai_execute ai-llm-chain-items chain
	ai_execute ai-information-extractor extractor
	ai_execute ai-rag-cluster-embeddings rag
}

# ai_publish_webhook: publish the streaming AI Agent webhook (before n8n start).
ai_publish_webhook() {
	n8n_cmd publish-ai-stream publish:workflow --id="$(wf ai-agent-webhook-streaming w.id)"
}

# ai_call_webhook: POST to the streaming AI Agent on the running n8n; the chunks must reach the
# client while the model generates (slow decoding for this call, as for the Team Agent's stream).
ai_call_webhook() {
	local path
	path=$(wf ai-agent-webhook-streaming 'w.webhooks[0].path')
	wait_for_webhook "$path" POST
	curl -sS --noproxy '*' --max-time 10 "$SIM_URL/_sim/options" >"$WORK/sim-options-ai-saved.json" || die "GET $SIM_URL/_sim/options failed" "$WORK/sim.log"
	sim_post /_sim/options '{"decodeTokensPerSec":15,"timeScale":1,"replyTokensMin":40,"replyTokensMax":60}' >/dev/null
	node "$E2E_DIR/stream-client.js" "$E2E_N8N_URL/webhook/$path" '{"text":"Tell a short story about a GPU cluster"}' 60000 \
		>"$WORK/ai-stream.json" 2>"$WORK/ai-stream-client.err" ||
		die "POST $E2E_N8N_URL/webhook/$path (AI Agent streaming) failed" "$WORK/ai-stream-client.err" "$WORK/ai-stream.json" "$WORK/n8n-start.log"
	sim_post /_sim/options "$(node -p 'const o = require(process.argv[1]); JSON.stringify({ decodeTokensPerSec: o.decodeTokensPerSec, timeScale: o.timeScale, replyTokensMin: o.replyTokensMin, replyTokensMax: o.replyTokensMax })' "$WORK/sim-options-ai-saved.json")" >/dev/null
	node "$E2E_DIR/assert-stream.js" "$WORK/ai-stream.json" "AI Agent" 5 1000 >"$WORK/ai-stream-summary.json" ||
		die "n8n's AI Agent did not stream the Ollama Cluster Chat Model's tokens through the webhook" "$WORK/ai-stream.json" "$WORK/n8n-start.log"
	RESULTS+=("POST /webhook/$path (AI Agent, responseMode streaming): $(node -p 'const s = require(process.argv[1]); `${s.itemChunks} item chunks from the AI Agent, first at ${Math.round(s.firstItemMs)} ms, last at ${Math.round(s.lastItemMs)} ms, response ended at ${Math.round(s.responseEndMs)} ms`' "$WORK/ai-stream-summary.json")")
}
