# shellcheck shell=bash
# The Cache node in real n8n (sourced by run.sh; uses its n8n_cmd, wf, sim_stats, WORK, E2E_DIR, E2E_N8N_URL).
# examples/cache-agent-webhook.json: Webhook → Cache Lookup → miss → Team Agent → Cache Store. POSTed
# twice with the same text to the running n8n: the first answer comes from the model, the second from
# the Cache node, and the simulator's /_sim/stats shows no chat request for it.

# cache_publish_webhook: publish the cached-answers webhook (before n8n start).
cache_publish_webhook() {
	n8n_cmd publish-cache publish:workflow --id="$(wf cache-agent-webhook w.id)"
}

# cache_post N: POST the same question, answer in $WORK/cache-answer-N.json
cache_post() {
	local code
	code=$(curl -sS --noproxy '*' --max-time 120 -o "$WORK/cache-answer-$1.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data '{"text":"In one sentence: why cache LLM answers?"}' "$E2E_N8N_URL/webhook/$(wf cache-agent-webhook 'w.webhooks[0].path')") ||
		die "POST to the cache webhook failed" "$WORK/n8n-start.log"
	[[ $code == 200 ]] || die "the cache webhook answered HTTP $code: $(head -c 2000 "$WORK/cache-answer-$1.json")" "$WORK/n8n-start.log"
}

# cache_call_webhook: run the workflow twice; the second run must make no backend call.
cache_call_webhook() {
	local summary
	wait_for_webhook "$(wf cache-agent-webhook 'w.webhooks[0].path')" POST
	sim_stats "$WORK/sim-stats-cache-0.json"
	cache_post 1
	sim_stats "$WORK/sim-stats-cache-1.json"
	cache_post 2
	sim_stats "$WORK/sim-stats-cache-2.json"
	summary=$(node - "$WORK" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
const read = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
const chat = (s) => Object.entries(s.requestsByEndpoint || {}).filter(([e]) => /\/api\/chat\b/.test(e)).reduce((n, [, c]) => n + c, 0);
const [s0, s1, s2] = [0, 1, 2].map((i) => read(`sim-stats-cache-${i}.json`));
const first = read('cache-answer-1.json');
const second = read('cache-answer-2.json');
const problems = [];
if (chat(s1) - chat(s0) < 1) problems.push(`first run: expected a chat request, saw ${chat(s1) - chat(s0)}`);
if (chat(s2) !== chat(s1)) problems.push(`second run: expected no chat request, saw ${chat(s2) - chat(s1)}`);
if (first.cacheStored !== true || typeof first.output !== 'string' || !first.output) problems.push(`first answer is not the stored Team Agent output: ${JSON.stringify(first).slice(0, 300)}`);
if (second.cacheHit !== true || second.cacheLayer !== 'l1' || second.output !== first.output) problems.push(`second answer is not the cached one: ${JSON.stringify(second).slice(0, 300)}`);
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
console.log(`first run +${chat(s1) - chat(s0)} /api/chat (Team Agent, stored), second run +0 /api/chat (cacheHit, layer ${second.cacheLayer}, same output)`);
JS
) || die "the Cache Lookup → miss → Team Agent → Store workflow did not answer the second run from the cache" "$WORK/cache-answer-1.json" "$WORK/cache-answer-2.json" "$WORK/n8n-start.log"
	RESULTS+=("POST /webhook/$(wf cache-agent-webhook 'w.webhooks[0].path') twice (Cache Lookup → miss → Team Agent → Store): $summary")
}
