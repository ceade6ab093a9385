# shellcheck shell=bash
# Orchestrator examples in real n8n (sourced by run.sh; uses its n8n_cmd, wf, sim_post, WORK, E2E_DIR).
# Supervisor runs need a known plan: the simulator gets scripted planner and reviewer replies (the
# lead's prompts start with "PLAN THE TASK" / "REVIEW THE RESULTS"); members answer unscripted.

ORCH_RESEARCH_PLAN='{"steps":[{"id":"s1","task":"Find the facts the task needs","member":"researcher","dependsOn":[],"expectedOutput":"facts"},{"id":"s2","task":"Analyse the facts","member":"analyst","dependsOn":["s1"],"expectedOutput":"analysis"},{"id":"s3","task":"Write the text","member":"writer","dependsOn":["s2"],"expectedOutput":"draft"},{"id":"s4","task":"Review and correct the text","member":"reviewer","dependsOn":["s3"],"expectedOutput":"final text"}]}'
ORCH_CANVAS_PLAN='{"steps":[{"id":"a","task":"Collect facts about pooled connections","member":"Researcher","dependsOn":[],"expectedOutput":"facts"},{"id":"b","task":"Estimate the queueing gain","member":"Analyst","dependsOn":[],"expectedOutput":"numbers"},{"id":"c","task":"Write three short paragraphs","member":"Writer","dependsOn":["a","b"],"expectedOutput":"text"}]}'
ORCH_REVIEW='{"satisfied":true,"feedback":"complete","steps":[]}'

# orch_script PLAN_JSON: the planner answers PLAN_JSON, the reviewer is satisfied.
orch_script() {
	sim_post /_sim/scripts '' DELETE >/dev/null
	sim_post /_sim/scripts "$(node -e 'const [plan, review] = process.argv.slice(1); process.stdout.write(JSON.stringify([{ match: "^PLAN THE TASK", reply: plan }, { match: "^REVIEW THE RESULTS", reply: review }]))' "$1" "$ORCH_REVIEW")" >/dev/null
}

# orchestrator_execute_examples: n8n execute the daily report (from its Run Now trigger: n8n execute
# cannot start at a Schedule Trigger), the team drawn from Team Agent tools, the debate and the team
# with a Call Workflow tool (a sub-workflow) as a member, asserting each Orchestrator's output.
orchestrator_execute_examples() {
	local key node strategy steps members summary
	for spec in 'orchestrator-daily-report|Daily Report Team|supervisor|4|researcher,analyst,writer,reviewer' \
		'orchestrator-canvas-team|Orchestrator|supervisor|3|Researcher,Analyst,Writer' \
		'orchestrator-debate|Debate|debate|6|optimist,skeptic,pragmatist'; do
		IFS='|' read -r key node strategy steps members <<<"$spec"
		case $key in
		orchestrator-daily-report) orch_script "$ORCH_RESEARCH_PLAN" ;;
		orchestrator-canvas-team) orch_script "$ORCH_CANVAS_PLAN" ;;
		*) sim_post /_sim/scripts '' DELETE >/dev/null ;;
		esac
		n8n_cmd "execute-$key" execute --id="$(wf "$key" w.id)" --rawOutput
		summary=$(node "$E2E_DIR/assert-orchestrator.js" execute "$WORK/execute-$key.out" "$node" "$strategy" "$steps" "$BACKEND_NAME" "$members") ||
			die "the Orchestrator output of examples/$key.json is wrong" "$WORK/execute-$key.out" "$WORK/execute-$key.err" "$WORK/sim.log"
		RESULTS+=("n8n execute examples/$key.json: $summary")
	done
	sim_post /_sim/scripts '' DELETE >/dev/null
	# A whole sub-workflow as a member: n8n's Call Workflow tool on the Team input, after a model member.
	key=orchestrator-sub-workflow-member
	n8n_cmd "execute-$key" execute --id="$(wf "$key" w.id)" --rawOutput
	summary=$(node "$E2E_DIR/assert-orchestrator.js" subworkflow "$WORK/execute-$key.out" Orchestrator Fact_Sheet 'FACT SHEET' "$BACKEND_NAME") ||
		die "the Orchestrator output of examples/$key.json is wrong" "$WORK/execute-$key.out" "$WORK/execute-$key.err" "$WORK/sim.log"
	RESULTS+=("n8n execute examples/$key.json: $summary")
}

# orchestrator_publish_webhook: publish the research team's streaming webhook (before n8n start).
orchestrator_publish_webhook() {
	n8n_cmd publish-orchestrator publish:workflow --id="$(wf orchestrator-research-webhook w.id)"
}

# orchestrator_call_webhook: POST to the published research team webhook (n8n start running) and
# assert the streamed progress lines and answer.
orchestrator_call_webhook() {
	local path summary
	path=$(wf orchestrator-research-webhook 'w.webhooks[0].path')
	wait_for_webhook "$path" POST
	orch_script "$ORCH_RESEARCH_PLAN"
	node "$E2E_DIR/stream-client.js" "$E2E_N8N_URL/webhook/$path" '{"text":"How does a shared gateway make an agent team faster?"}' 120000 \
		>"$WORK/stream-orchestrator.json" 2>"$WORK/stream-orchestrator.err" ||
		die "POST /webhook/$path (streaming) failed" "$WORK/stream-orchestrator.err" "$WORK/stream-orchestrator.json" "$WORK/n8n-start.log"
	sim_post /_sim/scripts '' DELETE >/dev/null
	summary=$(node "$E2E_DIR/assert-orchestrator.js" stream "$WORK/stream-orchestrator.json" 'Research Team' 4) ||
		die "the research team webhook did not stream its progress and answer" "$WORK/stream-orchestrator.json" "$WORK/n8n-start.log"
	RESULTS+=("POST /webhook/$path (streaming): Orchestrator supervisor streamed its steps and answer: $summary")
}
