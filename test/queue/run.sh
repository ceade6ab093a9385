#!/usr/bin/env bash
# Queue mode in a real n8n (npm run test:queue): one main, two workers, Postgres, Redis.
#
#   1. Node 24 + n8n 2.41.1 (test/e2e/install-n8n.sh), the package built, packed and installed into
#      each process's own user folder the way n8n installs a community package
#   2. a database of its own on the machine's Postgres (created here, dropped at the end), a private
#      redis-server (n8n's queue Redis), two simulator backends with 2 slots each (+1 look-ahead: at
#      most 3 model requests in flight per backend)
#   3. a Team Agent workflow and an Orchestrator workflow behind webhooks; ONE credential (Ollama
#      Cluster) and no Agent Team Redis credential: the nodes must share their state through n8n's
#      queue Redis by default
#   4. main + worker A: conversation turn 1 and a cacheable prompt P (both on A: B is not running yet)
#   5. worker B joins: 200 Team Agent + 20 Orchestrator webhook executions over both workers, each
#      answered once; the same cacheable prompt sent 10 times at once reaches a backend once; the
#      cluster-wide metrics in Redis equal the sum of the calls the answers report
#   6. SIGKILL worker A mid-burst: B keeps serving; conversation turn 2 and prompt P on B see A's
#      history and A's cache entry (L2); A's slot leases expire, so a burst 4 s after the kill fills
#      every slot (3 + 3); what n8n does with A's executions is recorded
#   never: more than slots + look-ahead in flight at either backend (the simulators' own counters)
# Environment: N8N_E2E_* as in test/e2e/run.sh (cache, versions, KEEP=1, SKIP_BUILD=1).
# Redis stopped mid-run is not part of this test (it is n8n's own queue Redis here: n8n itself stops);
# lib/balancer/shared-state.test.ts covers a Redis outage with two gateways.

set -Eeuo pipefail

QUEUE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$QUEUE_DIR/../.." && pwd)
E2E_DIR=$REPO/test/e2e
# shellcheck source=../e2e/lib.sh
source "$E2E_DIR/lib.sh"
# shellcheck source=../e2e/install-n8n.sh
source "$E2E_DIR/install-n8n.sh"
# shellcheck source=../e2e/n8n-package.sh
source "$E2E_DIR/n8n-package.sh"

N8N_E2E_TIMEOUT=${N8N_E2E_TIMEOUT:-240}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-agent-team-queue.XXXXXX")
RESULTS=()
PG_DB=''
CAP=3 # per backend: 2 slots + 1 look-ahead

on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if ((${#RESULTS[@]})); then
		printf '\n[queue] checks passed:\n' >&2
		printf '  - %s\n' "${RESULTS[@]}" >&2
	fi
	phase_end
	# n8n first, Redis and the simulators last (started first): workers do not wait for a Redis that is gone
	local i reversed=()
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do reversed+=("${E2E_PIDS[$i]}"); done
	E2E_PIDS=("${reversed[@]}")
	stop_all_bg
	if [[ -n $PG_DB ]]; then
		psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $PG_DB"
	fi
	finish_run queue "$rc" "${N8N_E2E_KEEP:-}" "Logs and fixtures"
	exit "$rc"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM
trap 'rc=$?; [[ $BASHPID == "$$" ]] && die "command failed (exit $rc) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

require_cmd node npm curl tar setsid flock psql redis-server
log "work directory: $WORK"

# ---------------------------------------------------------------------------------------------
phase "1. Node 24 + n8n, build, pack, install into each process's user folder"
ensure_n8n
install_package_into_n8n # into $WORK/user (the main's); the workers get their own copies
for w in a b; do
	mkdir -p "$WORK/user-$w/.n8n"
	cp -a "$WORK/user/.n8n/nodes" "$WORK/user-$w/.n8n/nodes"
done
export_n8n_env

# ---------------------------------------------------------------------------------------------
phase "2. Postgres database, private Redis, two simulator backends"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
	log "Postgres is not running: starting the machine's cluster"
	pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || die "could not start Postgres"
fi
PG_DB="n8n_queue_$$_$RANDOM"
psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $PG_DB" >/dev/null || die "could not create database $PG_DB"
export DB_TYPE=postgresdb DB_POSTGRESDB_HOST=127.0.0.1 DB_POSTGRESDB_PORT=5432 DB_POSTGRESDB_USER=postgres DB_POSTGRESDB_DATABASE=$PG_DB

REDIS_PORT=$(free_port)
mkdir -p "$WORK/redis"
start_bg "$WORK/redis.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis"
wait_for_line "$WORK/redis.log" 'Ready to accept connections' 20 "$BG_PID" >/dev/null || die "redis-server did not start" "$WORK/redis.log"

SIM_URLS=()
for s in a b; do
	start_bg "$WORK/sim-$s.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0 \
		--parallel 2 --decode-tps 150 --reply-tokens-min 24 --reply-tokens-max 32 --load-ms 200
	line=$(wait_for_line "$WORK/sim-$s.log" 'Ollama simulator listening on http://127\.0\.0\.1:[0-9]+' 60 "$BG_PID") ||
		die "simulator $s did not start" "$WORK/sim-$s.log"
	SIM_URLS+=("$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)")
done
sim_stats() { curl -sS --noproxy '*' --max-time 10 "${SIM_URLS[$1]}/_sim/stats" >"$2" || die "GET ${SIM_URLS[$1]}/_sim/stats failed"; }
sims_reset() { local u; for u in "${SIM_URLS[@]}"; do curl -sS --noproxy '*' --max-time 10 -X POST "$u/_sim/reset" >/dev/null || die "POST $u/_sim/reset failed"; done; }
chat_requests() { # total /api/chat requests at both simulators
	local u total=0 n
	for u in "${SIM_URLS[@]}"; do
		n=$(curl -sS --noproxy '*' --max-time 10 "$u/_sim/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).requestsByEndpoint["/api/chat"]||0))')
		total=$((total + n))
	done
	echo "$total"
}
check_sims() { # check_sims TAG: never more than CAP in flight at either backend since the last reset
	sim_stats 0 "$WORK/sim-a-$1.json"
	sim_stats 1 "$WORK/sim-b-$1.json"
	node "$QUEUE_DIR/assert.js" sims "$CAP" "$WORK/sim-a-$1.json" "$WORK/sim-b-$1.json" || die "a backend had more than $CAP in flight ($1)"
}
log "redis :$REDIS_PORT, postgres database $PG_DB, simulators ${SIM_URLS[*]}"

# ---------------------------------------------------------------------------------------------
phase "3. import the credential and workflows, publish"
n8n_cmd() {
	local name=$1 pid rc
	shift
	setsid env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
	pid=$!
	E2E_PIDS+=("$pid")
	rc=0
	timeout "$N8N_E2E_TIMEOUT" tail --pid="$pid" -f /dev/null || true
	kill -0 "$pid" 2>/dev/null && { stop_bg "$pid"; die "n8n $* did not finish within ${N8N_E2E_TIMEOUT}s" "$WORK/$name.err"; }
	wait "$pid" || rc=$?
	kill -KILL -- "-$pid" 2>/dev/null || true
	((rc == 0)) || die "n8n $* exited with $rc" "$WORK/$name.out" "$WORK/$name.err"
}
node "$QUEUE_DIR/fixtures.js" --repo "$REPO" --out "$WORK/fixtures" --sim "sim-a=${SIM_URLS[0]}:2" --sim "sim-b=${SIM_URLS[1]}:2" >"$WORK/fixtures.json"
WORKFLOW_ID=$(node -p 'require(process.argv[1]).id' "$WORK/fixtures.json")
n8n_cmd import-credentials import:credentials --input="$WORK/fixtures/credentials.json"
n8n_cmd import-workflows import:workflow --input="$WORK/fixtures/workflows.json"
n8n_cmd publish publish:workflow --id="$WORKFLOW_ID"

# ---------------------------------------------------------------------------------------------
phase "4. queue mode: main + worker A"
export EXECUTIONS_MODE=queue QUEUE_BULL_REDIS_HOST=127.0.0.1 QUEUE_BULL_REDIS_PORT=$REDIS_PORT QUEUE_HEALTH_CHECK_ACTIVE=false
# A dead worker's jobs: Bull finds them stalled once their lock (renewed by the live worker every
# LOCK_RENEW_TIME) has expired, at its next stalled check (every STALLED_INTERVAL). n8n's defaults
# (60 s, 10 s, 30 s) would make this test wait minutes; the behaviour is the same.
export QUEUE_WORKER_LOCK_DURATION=6000 QUEUE_WORKER_LOCK_RENEW_TIME=2000 QUEUE_WORKER_STALLED_INTERVAL=5000
start_bg "$WORK/main.log" env PATH="$E2E_N8N_PATH" N8N_RUNNERS_BROKER_PORT="$(free_port)" "$E2E_NODE24" "$E2E_N8N_CLI" start
MAIN_PID=$BG_PID
start_worker() { # start_worker a|b
	start_bg "$WORK/worker-$1.log" env PATH="$E2E_N8N_PATH" N8N_USER_FOLDER="$WORK/user-$1" N8N_RUNNERS_BROKER_PORT="$(free_port)" \
		"$E2E_NODE24" "$E2E_N8N_CLI" worker --concurrency=8
	WORKER_PID=$BG_PID
	wait_for_line "$WORK/worker-$1.log" 'n8n worker is now ready' 180 "$WORKER_PID" >/dev/null || die "worker $1 did not start" "$WORK/worker-$1.log"
}
start_worker a
WORKER_A=$WORKER_PID
N8N_URL="http://127.0.0.1:$N8N_PORT"
wait_for_http "$N8N_URL/healthz/readiness" 180 "$MAIN_PID" || die "n8n main never became ready" "$WORK/main.log"
for p in queue-agent queue-orchestrator; do
	deadline=$(($(date +%s) + 60))
	until curl -sS --noproxy '*' --max-time 5 "$N8N_URL/webhook/$p" 2>/dev/null | grep -qiE 'did you mean to make a POST request|not registered for GET'; do
		(($(date +%s) < deadline)) || die "webhook /webhook/$p was not registered" "$WORK/main.log"
		sleep 0.5
	done
done
AGENT_URL="$N8N_URL/webhook/queue-agent"
ORCH_URL="$N8N_URL/webhook/queue-orchestrator"
drive() { node "$QUEUE_DIR/drive.js" "$@" >>"$WORK/drive.log"; }
answers() { node "$QUEUE_DIR/assert.js" answers "$@" "$WORK/worker-a.log" "$WORK/worker-b.log"; }

# ---------------------------------------------------------------------------------------------
phase "5. on worker A: conversation turn 1, cacheable prompt P"
drive "$AGENT_URL" 1 1 '{"text":"My name is Ada Lovelace. Remember it.","session":"queue-conversation"}' "$WORK/turn1.json"
answers "$WORK/turn1.json" 1 >"$WORK/turn1.summary" || die "conversation turn 1 failed" "$WORK/main.log" "$WORK/worker-a.log"
drive "$AGENT_URL" 1 1 '{"text":"Cacheable prompt P: what is a GPU slot?","cache":true}' "$WORK/p1.json"
answers "$WORK/p1.json" 1 >"$WORK/p1.summary" || die "prompt P failed" "$WORK/worker-a.log"
grep -q '"perWorker":\[1,0\]' "$WORK/turn1.summary" && grep -q '"perWorker":\[1,0\]' "$WORK/p1.summary" || die "turn 1 / P did not run on worker A: $(cat "$WORK/turn1.summary" "$WORK/p1.summary")"

# ---------------------------------------------------------------------------------------------
phase "6. worker B joins: 200 Team Agent + 20 Orchestrator executions, cache burst, metrics"
start_worker b
WORKER_B=$WORKER_PID
sims_reset
metrics0=$(node "$QUEUE_DIR/assert.js" metrics "$REPO" "$REDIS_PORT")
t0=$(e2e_now)
drive "$AGENT_URL" 200 24 '{"text":"Load {i}: say something about queues."}' "$WORK/load.json" &
drive_pid=$!
drive "$ORCH_URL" 20 4 '{"text":"Team task {i}: explain shared slots."}' "$WORK/orch.json"
wait "$drive_pid"
took=$(e2e_elapsed "$t0")
metrics1=$(node "$QUEUE_DIR/assert.js" metrics "$REPO" "$REDIS_PORT")
load=$(answers "$WORK/load.json" 200) || die "the 200 Team Agent executions" "$WORK/main.log" "$WORK/worker-a.log" "$WORK/worker-b.log"
orch=$(answers "$WORK/orch.json" 20) || die "the 20 Orchestrator executions" "$WORK/main.log" "$WORK/worker-a.log" "$WORK/worker-b.log"
log "load: $load; orchestrator: $orch; ${took}s"
node -e '
	const [load, orch] = process.argv.slice(1).map(JSON.parse);
	for (const [name, s] of [["Team Agent", load], ["Orchestrator", orch]]) if (s.perWorker.some((n) => n === 0)) { console.error(`${name}: not spread over both workers: ${s.perWorker}`); process.exit(1); }
' "$load" "$orch" || die "executions did not spread over both workers"
check_sims load
RESULTS+=("200 Team Agent + 20 Orchestrator webhook executions in ${took}s, each answered once by its own execution: $load / $orch; $(cat "$WORK/drive.log" | tail -n 1)")
RESULTS+=("never more than $CAP (2 slots + 1 look-ahead) in flight at a backend across both workers: $(node "$QUEUE_DIR/assert.js" sims "$CAP" "$WORK/sim-a-load.json" "$WORK/sim-b-load.json")")
# metrics: Team Agent calls recorded cluster-wide = the calls the 200 answers report (from both
# workers); the Orchestrator records its own calls too, so they are added from the chat count below.
node -e '
	const [m0, m1, load] = process.argv.slice(1).map(JSON.parse);
	const calls = m1.calls - m0.calls, tokens = m1.completionTokens - m0.completionTokens;
	if (calls < load.calls) { console.error(`metrics in Redis: ${calls} calls, but the Team Agent answers alone report ${load.calls}`); process.exit(1); }
	console.log(JSON.stringify({ redisCalls: calls, redisCompletionTokens: tokens, teamAgentCalls: load.calls, teamAgentCompletionTokens: load.completionTokens }));
' "$metrics0" "$metrics1" "$load" >"$WORK/metrics-load.json" || die "cluster-wide metrics"
# The Team Agent alone, in isolation: 20 more executions; the Redis totals grow by exactly their calls and tokens.
metrics2=$(node "$QUEUE_DIR/assert.js" metrics "$REPO" "$REDIS_PORT")
drive "$AGENT_URL" 20 10 '{"text":"Metrics {i}: one more."}' "$WORK/metrics.json"
metrics3=$(node "$QUEUE_DIR/assert.js" metrics "$REPO" "$REDIS_PORT")
m=$(answers "$WORK/metrics.json" 20) || die "metrics executions"
node -e '
	const [m0, m1, s] = process.argv.slice(1).map(JSON.parse);
	const calls = m1.calls - m0.calls, tokens = m1.completionTokens - m0.completionTokens;
	if (calls !== s.calls || tokens !== s.completionTokens) { console.error(`Redis metrics grew by ${calls} calls / ${tokens} tokens; the answers (workers ${s.perWorker}) report ${s.calls} / ${s.completionTokens}`); process.exit(1); }
	if (s.perWorker.some((n) => n === 0)) { console.error(`all 20 on one worker: ${s.perWorker}`); process.exit(1); }
	console.log(`cluster-wide metrics grew by ${calls} calls / ${tokens} completion tokens = the sum over both workers (${s.perWorker.join(" + ")} executions)`);
' "$metrics2" "$metrics3" "$m" >"$WORK/metrics.txt" || die "cluster-wide metrics are not the sum of both workers' calls"
RESULTS+=("$(cat "$WORK/metrics.txt")")

# the same cacheable prompt 10 times at once: concurrency 8 per worker, so both workers take some
before=$(chat_requests)
drive "$AGENT_URL" 10 10 '{"text":"Cacheable prompt Q: what is look-ahead?","cache":true}' "$WORK/q.json"
after=$(chat_requests)
q=$(answers "$WORK/q.json" 10) || die "the cache burst" "$WORK/worker-a.log" "$WORK/worker-b.log"
node -e '
	const [s, chats] = [JSON.parse(process.argv[1]), Number(process.argv[2])];
	if (s.perWorker.some((n) => n === 0)) { console.error(`the 10 ran on one worker only: ${s.perWorker}`); process.exit(1); }
	if (chats !== 1) { console.error(`10 identical cacheable prompts over both workers reached the backends ${chats} times (expected once): ${JSON.stringify(s)}`); process.exit(1); }
	if (s.outputs !== 1) { console.error(`the 10 answers differ: ${s.outputs} distinct outputs`); process.exit(1); }
' "$q" "$((after - before))" || die "cache across workers"
RESULTS+=("the same cacheable prompt 10 times at once over both workers reached a backend once, identical answers: $q")

# ---------------------------------------------------------------------------------------------
phase "7. SIGKILL worker A mid-burst"
sims_reset
leases_before=$(node "$QUEUE_DIR/assert.js" leases "$REPO" "$REDIS_PORT")
# the burst's requests get 45 s: what n8n does with those the dead worker held is recorded, not assumed
drive "$AGENT_URL" 40 16 '{"text":"Kill burst {i}."}' "$WORK/kill.json" 45000 &
kill_drive=$!
# kill once A is running some of the burst
deadline=$(($(date +%s) + 60))
started_before=$(grep -c 'Worker started execution' "$WORK/worker-a.log" || true)
until (($(grep -c 'Worker started execution' "$WORK/worker-a.log" || true) >= started_before + 4)); do
	(($(date +%s) < deadline)) || die "worker A took no job of the burst"
	sleep 0.1
done
leases_at_kill=$(node "$QUEUE_DIR/assert.js" leases "$REPO" "$REDIS_PORT")
kill -KILL "$WORKER_A"
killed_at=$(e2e_now)
log "worker A (pid $WORKER_A) killed with SIGKILL; leases in Redis just before: $leases_at_kill"
# the survivor: conversation turn 2 and prompt P (cached by A) run on B, the only worker left
drive "$AGENT_URL" 1 1 '{"text":"What is my name?","session":"queue-conversation"}' "$WORK/turn2.json"
turn2=$(answers "$WORK/turn2.json" 1) || die "conversation turn 2 on the survivor" "$WORK/worker-b.log"
node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].body;
	const json = Array.isArray(r) ? r[0] : r;
	const m = json.memory || {};
	const seen = JSON.stringify(m);
	if (!(m.historyMessages >= 2) || m.store !== "redis") { console.error(`turn 2 saw no history: memory ${seen}`); process.exit(1); }
	console.log(seen);
' "$WORK/turn2.json" >"$WORK/turn2.memory" || die "the conversation did not continue on the other worker"
drive "$AGENT_URL" 1 1 '{"text":"Cacheable prompt P: what is a GPU slot?","cache":true}' "$WORK/p2.json"
p2=$(answers "$WORK/p2.json" 1) || die "prompt P on the survivor"
grep -q '"l2":1' <<<"$p2" || die "prompt P on worker B was not an L2 hit: $p2"
RESULTS+=("conversation turn 1 on worker A, turn 2 on worker B sees its history (memory $(cat "$WORK/turn2.memory")); prompt P stored by A is an L2 hit on B")
# A's leases: renewed last just before the kill, they expire 3 s later. 4 s after the kill only the
# survivor's leases are left, and a burst of slow calls (2 s each, so that B's 8 executions all reach
# their model call) fills every slot.
sleep "$(awk -v k="$killed_at" -v n="$(e2e_now)" 'BEGIN { d = k + 4 - n; print (d > 0 ? d : 0) }')"
leases_after=$(node "$QUEUE_DIR/assert.js" leases "$REPO" "$REDIS_PORT")
node -e 'const l = JSON.parse(process.argv[1]); if (l.workers > 1) { console.error(`4 s after the kill, leases of ${l.workers} workers are in Redis: ${process.argv[1]}`); process.exit(1); }' "$leases_after" ||
	die "the dead worker's leases did not expire"
check_sims kill-burst
for u in "${SIM_URLS[@]}"; do curl -sS --noproxy '*' --max-time 10 -X POST -H 'Content-Type: application/json' --data '{"decodeTokensPerSec":15}' "$u/_sim/options" >/dev/null; done
sims_reset
drive "$AGENT_URL" 16 16 '{"text":"Recovery {i}."}' "$WORK/recovery.json"
for u in "${SIM_URLS[@]}"; do curl -sS --noproxy '*' --max-time 10 -X POST -H 'Content-Type: application/json' --data '{"decodeTokensPerSec":150}' "$u/_sim/options" >/dev/null; done
recovery=$(answers "$WORK/recovery.json" 16) || die "the recovery burst on the survivor" "$WORK/worker-b.log"
check_sims recovery
node -e '
	const max = process.argv.slice(2).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")).maxInFlight);
	if (max.some((m) => m !== Number(process.argv[1]))) { console.error(`4 s after the kill a burst reached ${max} in flight, not ${process.argv[1]} at each backend: capacity stuck in Redis`); process.exit(1); }
' "$CAP" "$WORK/sim-a-recovery.json" "$WORK/sim-b-recovery.json" || die "slots did not come back after the kill"
RESULTS+=("worker B kept serving after A's SIGKILL (leases in Redis at the kill: $leases_at_kill; 4 s later: $leases_after); a burst then filled every slot ($CAP + $CAP in flight): $recovery")

wait "$kill_drive" || true # the requests A held end at their 45 s timeout at the latest
node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const by = {};
	for (const x of r) { const k = x.status === 0 ? "no answer within 45 s" : `HTTP ${x.status}`; by[k] ??= { n: 0, maxS: 0 }; by[k].n++; by[k].maxS = Math.max(by[k].maxS, Math.round(x.ms / 100) / 10); if (x.status !== 200) by[k].sample = JSON.stringify(x.body).slice(0, 120); }
	console.log(JSON.stringify(by));
' "$WORK/kill.json" >"$WORK/kill-outcome.json"
statuses=$(psql -h 127.0.0.1 -U postgres -d "$PG_DB" -At -c "SELECT status, count(*) FROM execution_entity GROUP BY status ORDER BY status" | tr '\n' ' ')
bull_queue=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'bull:*:id' 2>/dev/null | sed -n '1s/:id$//p' || true)
[[ -n $bull_queue ]] && statuses+="; Bull jobs: active $(redis-cli -p "$REDIS_PORT" LLEN "$bull_queue:active"), waiting $(redis-cli -p "$REDIS_PORT" LLEN "$bull_queue:wait"), failed $(redis-cli -p "$REDIS_PORT" ZCARD "$bull_queue:failed")"
RESULTS+=("what n8n did with the killed worker's executions (lock ${QUEUE_WORKER_LOCK_DURATION} ms, stalled check every ${QUEUE_WORKER_STALLED_INTERVAL} ms): the 40-request burst's answers $(cat "$WORK/kill-outcome.json"); executions in Postgres by status: $statuses")
grep -hiE 'stalled|crashed' "$WORK/main.log" "$WORK/worker-b.log" | head -n 3 >"$WORK/stalled.txt" || true
[[ -s $WORK/stalled.txt ]] && RESULTS+=("n8n logged: $(tr '\n' ' ' <"$WORK/stalled.txt" | head -c 400)")

# ---------------------------------------------------------------------------------------------
phase "8. stop"
stop_bg "$MAIN_PID"
stop_bg "$WORKER_B"
grep -iE 'Failed to load package|Skipping package' "$WORK/main.log" "$WORK/worker-b.log" && die "n8n could not load the package"
phase_end
