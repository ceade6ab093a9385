# shellcheck shell=bash
# Helpers for the n8n end-to-end test (sourced by run.sh and install-n8n.sh).
# Logging with phase timings, loud failures, background processes that are always stopped,
# free loopback ports and waiting for a log line or an HTTP answer.

E2E_T0=${E2E_T0:-$(date +%s)}
E2E_PHASES=()
E2E_PIDS=()
E2E_PHASE_NAME=''
E2E_PHASE_T0=0

e2e_now() { date +%s.%N; }
e2e_elapsed() { awk -v a="$1" -v b="$(e2e_now)" 'BEGIN { printf "%.1f", b - a }'; }

log() { printf '[e2e %6ss] %s\n' "$(e2e_elapsed "$E2E_T0")" "$*" >&2; }

# die MESSAGE [LOGFILE...]: print the reason (and the tail of each log named), then exit 1.
die() {
	local msg=$1
	shift
	local f
	for f in "$@"; do
		if [[ -s $f ]]; then
			printf '\n----- last 60 lines of %s -----\n' "$f" >&2
			tail -n 60 "$f" >&2
			printf -- '----- end of %s -----\n' "$f" >&2
		fi
	done
	printf '\n[e2e] FAILED%s: %s\n' "${E2E_PHASE_NAME:+ in phase \"$E2E_PHASE_NAME\"}" "$msg" >&2
	exit 1
}

phase() {
	phase_end
	E2E_PHASE_NAME=$1
	E2E_PHASE_T0=$(e2e_now)
	log "==> $1"
}

phase_end() {
	if [[ -n $E2E_PHASE_NAME ]]; then
		local took
		took=$(e2e_elapsed "$E2E_PHASE_T0")
		E2E_PHASES+=("$(printf '%7ss  %s' "$took" "$E2E_PHASE_NAME")")
		log "<== $E2E_PHASE_NAME (${took}s)"
		E2E_PHASE_NAME=''
	fi
}

print_phase_summary() {
	local line
	printf '\n[e2e] phase timings:\n' >&2
	for line in "${E2E_PHASES[@]}"; do printf '  %s\n' "$line" >&2; done
	printf '  %7ss  total\n' "$(e2e_elapsed "$E2E_T0")" >&2
}

# start_bg LOGFILE CMD...: run CMD in its own process group (setsid), output to LOGFILE.
# Sets BG_PID. Every group started this way is stopped by stop_all_bg (run from the EXIT trap).
start_bg() {
	local logfile=$1
	shift
	setsid "$@" >"$logfile" 2>&1 </dev/null &
	BG_PID=$!
	E2E_PIDS+=("$BG_PID")
}

# stop_bg PID: SIGTERM the process group PID leads, SIGKILL it after 10 s.
stop_bg() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "process group $pid did not stop on SIGTERM, sending SIGKILL"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	# children that left the group's leader behind (the leader exited first)
	kill -KILL -- "-$pid" 2>/dev/null || true
}

stop_all_bg() {
	local pid
	for pid in "${E2E_PIDS[@]}"; do stop_bg "$pid"; done
	E2E_PIDS=()
}

# free_port: a TCP port that is free on 127.0.0.1 right now.
free_port() {
	node -e '
		const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); });
	'
}

# wait_for_line FILE REGEX TIMEOUT_S PID: wait until FILE has a line matching REGEX (ERE).
# Fails early if PID exits. Prints the first matching line.
wait_for_line() {
	local file=$1 re=$2 timeout=$3 pid=${4:-} deadline line
	deadline=$(($(date +%s) + timeout))
	while (($(date +%s) < deadline)); do
		line=$(grep -m1 -E -- "$re" "$file" 2>/dev/null || true)
		if [[ -n $line ]]; then
			printf '%s\n' "$line"
			return 0
		fi
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			return 2
		fi
		sleep 0.2
	done
	return 1
}

# wait_for_http URL TIMEOUT_S PID [EXPECTED_STATUS]: wait until URL answers (with that status).
wait_for_http() {
	local url=$1 timeout=$2 pid=${3:-} want=${4:-200} deadline code
	deadline=$(($(date +%s) + timeout))
	while (($(date +%s) < deadline)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" 2>/dev/null || true)
		[[ $code == "$want" ]] && return 0
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			return 2
		fi
		sleep 0.5
	done
	return 1
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "required command '$c' is not installed"
	done
}

# finish_run TAG RC KEEP WHAT_KEPT: the common end of a test script's EXIT trap: stop every background
# process, print the phase timings, and remove $WORK on success unless KEEP is 1 (else say where it is).
finish_run() {
	local tag=$1 rc=$2 keep=$3 what=$4
	phase_end
	stop_all_bg
	print_phase_summary
	if ((rc == 0)); then
		if [[ $keep == 1 ]]; then
			printf '\n[%s] PASSED (work directory kept: %s)\n' "$tag" "$WORK" >&2
		else
			rm -rf "$WORK"
			printf '\n[%s] PASSED\n' "$tag" >&2
		fi
	else
		printf '\n[%s] FAILED (exit %s). %s kept in %s\n' "$tag" "$rc" "$what" "$WORK" >&2
	fi
}
