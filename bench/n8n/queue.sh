#!/usr/bin/env bash
# Queue mode with 1 and with 2 workers, in one run (issue 18): real n8n 2.41.1, one main, Postgres,
# a private redis-server as n8n's queue Redis (the package shares its state there by default), three
# simulator backends with 2 slots each, the Team Agent webhook workflow of test/queue (fixtures.js).
# Two workloads per worker count:
#   fast: 16-token replies at 2,000 tok/s (~10 ms a call): the backends are not the limit, n8n is
#         → executions/s, 2 workers against 1;
#   slow: 24-token replies at 8 tok/s (~3 s a call): the backends are the limit → slot utilisation
#         (load + prefill + decode time the backends report, over 6 slots × wall time).
# For each: Redis commands per model call (INFO commandstats; Bull's, the leases', the cache's, the
# metrics', memory's), EVALSHA per call (Bull's scripts and the lease script), Redis CPU per call and its share of one core.
# Usage: bash bench/n8n/queue.sh [EXECUTIONS_FAST] [EXECUTIONS_SLOW]   (defaults 200 and 40;
#        N8N_E2E_SKIP_BUILD=1 packs the existing dist/). The machine may be shared: say so with the figures.
set -Eeuo pipefail
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../test/e2e" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
QUEUE_DIR=$REPO/test/queue
BENCH_DIR=$REPO/bench/n8n
source "$E2E_DIR/lib.sh"
source "$E2E_DIR/install-n8n.sh"
source "$E2E_DIR/n8n-package.sh"
FAST=${1:-200}
SLOW=${2:-40}
SLOTS=6
WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-queue-bench.XXXXXX")
PG_DB=''
cleanup() {
	local i reversed=()
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do reversed+=("${E2E_PIDS[$i]}"); done
	E2E_PIDS=("${reversed[@]}")
	stop_all_bg
	[[ -n $PG_DB ]] && psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
	log "work directory (logs, results): $WORK"
}
trap cleanup EXIT
log "work directory: $WORK"
ensure_n8n
install_package_into_n8n
for w in 1 2; do
	mkdir -p "$WORK/user-$w/.n8n"
	cp -a "$WORK/user/.n8n/nodes" "$WORK/user-$w/.n8n/nodes"
done
export_n8n_env
export N8N_LOG_LEVEL=warn

pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
PG_DB="n8n_queue_bench_$$"
psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $PG_DB" >/dev/null
export DB_TYPE=postgresdb DB_POSTGRESDB_HOST=127.0.0.1 DB_POSTGRESDB_PORT=5432 DB_POSTGRESDB_USER=postgres DB_POSTGRESDB_DATABASE=$PG_DB
REDIS_PORT=$(free_port)
mkdir -p "$WORK/redis"
start_bg "$WORK/redis.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis"
wait_for_line "$WORK/redis.log" 'Ready to accept connections' 20 "$BG_PID" >/dev/null || die "redis-server did not start"
SIM_URLS=()
SIM_ARGS=()
for s in a b c; do
	start_bg "$WORK/sim-$s.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0 --parallel 2 --load-ms 0
	line=$(wait_for_line "$WORK/sim-$s.log" 'listening on http://127\.0\.0\.1:[0-9]+' 60 "$BG_PID") || die "simulator $s did not start"
	SIM_URLS+=("$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)")
	SIM_ARGS+=(--sim "sim-$s=${SIM_URLS[-1]}:2")
done
sims_options() { local u; for u in "${SIM_URLS[@]}"; do curl -sS --noproxy '*' -X POST -H 'Content-Type: application/json' --data "$1" "$u/_sim/options" >/dev/null; done; }

n8n_run() {
	env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" "$@" >>"$WORK/cli.log" 2>&1 || die "n8n $* failed" "$WORK/cli.log"
}
node "$QUEUE_DIR/fixtures.js" --repo "$REPO" --out "$WORK/fixtures" "${SIM_ARGS[@]}" >"$WORK/fixtures.json"
n8n_run import:credentials --input="$WORK/fixtures/credentials.json"
n8n_run import:workflow --input="$WORK/fixtures/workflows.json"
n8n_run publish:workflow --id="$(node -p 'require(process.argv[1]).id' "$WORK/fixtures.json")"

export EXECUTIONS_MODE=queue QUEUE_BULL_REDIS_HOST=127.0.0.1 QUEUE_BULL_REDIS_PORT=$REDIS_PORT QUEUE_HEALTH_CHECK_ACTIVE=false
start_bg "$WORK/main.log" env PATH="$E2E_N8N_PATH" N8N_LOG_LEVEL=info N8N_RUNNERS_BROKER_PORT="$(free_port)" "$E2E_NODE24" "$E2E_N8N_CLI" start
MAIN_PID=$BG_PID
start_worker() {
	start_bg "$WORK/worker-$1.log" env PATH="$E2E_N8N_PATH" N8N_LOG_LEVEL=info N8N_USER_FOLDER="$WORK/user-$1" N8N_RUNNERS_BROKER_PORT="$(free_port)" \
		"$E2E_NODE24" "$E2E_N8N_CLI" worker --concurrency=16
	wait_for_line "$WORK/worker-$1.log" 'n8n worker is now ready' 180 "$BG_PID" >/dev/null || die "worker $1 did not start" "$WORK/worker-$1.log"
}
start_worker 1
URL="http://127.0.0.1:$N8N_PORT"
wait_for_http "$URL/healthz/readiness" 180 "$MAIN_PID" || die "n8n main never became ready" "$WORK/main.log"
deadline=$(($(date +%s) + 60))
until curl -sS --noproxy '*' --max-time 5 "$URL/webhook/queue-agent" 2>/dev/null | grep -qiE 'did you mean to make a POST request|not registered for GET'; do
	(($(date +%s) < deadline)) || die "webhook not registered" "$WORK/main.log"
	sleep 0.5
done

redis_info() { { redis-cli -p "$REDIS_PORT" INFO commandstats; redis-cli -p "$REDIS_PORT" INFO cpu; } >"$1"; }
run_case() { # run_case NAME COUNT
	local t0 wall
	node "$QUEUE_DIR/drive.js" "$URL/webhook/queue-agent" 16 16 '{"text":"warm {i}"}' "$WORK/warm-$1.json" >/dev/null
	redis_info "$WORK/$1.before"
	t0=$(e2e_now)
	node "$QUEUE_DIR/drive.js" "$URL/webhook/queue-agent" "$2" 48 "{\"text\":\"$1 {i}: a question about queues\"}" "$WORK/$1.json" >/dev/null
	wall=$(e2e_elapsed "$t0")
	redis_info "$WORK/$1.after"
	node "$BENCH_DIR/queue-report.js" case "$1" "$WORK/$1.json" "$wall" "$SLOTS" "$WORK/$1.before" "$WORK/$1.after" >"$WORK/case-$1.json"
	log "$(cat "$WORK/case-$1.json")"
}
FAST_OPTS='{"decodeTokensPerSec":2000,"prefillTokensPerSec":100000,"replyTokensMin":16,"replyTokensMax":16}'
SLOW_OPTS='{"decodeTokensPerSec":8,"prefillTokensPerSec":4000,"replyTokensMin":24,"replyTokensMax":24}'
sims_options "$FAST_OPTS"
run_case fast-1-worker "$FAST"
sims_options "$SLOW_OPTS"
run_case slow-1-worker "$SLOW"
start_worker 2
sims_options "$FAST_OPTS"
run_case fast-2-workers "$FAST"
sims_options "$SLOW_OPTS"
run_case slow-2-workers "$SLOW"

node "$BENCH_DIR/queue-report.js" table "$WORK"/case-fast-1-worker.json "$WORK"/case-fast-2-workers.json "$WORK"/case-slow-1-worker.json "$WORK"/case-slow-2-workers.json | tee "$WORK/table.md"
node -e '
	const [one, two] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
	console.log(`fast: 2 workers / 1 worker = ${(two.execPerS / one.execPerS).toFixed(2)}x executions/s (goal >= 1.8x where the backends are not the limit; one machine, its cores shared by main, both workers, Redis, Postgres and the simulators)`);
' "$WORK/case-fast-1-worker.json" "$WORK/case-fast-2-workers.json" | tee -a "$WORK/table.md"
