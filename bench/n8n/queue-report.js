#!/usr/bin/env node
// bench/n8n/queue.sh's arithmetic. Usage:
//   queue-report.js case NAME RESULTS.json WALL_S SLOTS INFO_BEFORE INFO_AFTER   → one JSON line
//   queue-report.js table CASE.json...                                           → a markdown table
// INFO_* are `redis-cli INFO commandstats` + `INFO cpu` dumps.
'use strict';

const fs = require('fs');

function info(file) {
	const text = fs.readFileSync(file, 'utf8');
	const commands = {};
	for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) commands[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
	const cpu = (name) => Number((text.match(new RegExp(`^${name}:([\\d.]+)`, 'm')) || [])[1] || 0);
	return { commands, cpuS: cpu('used_cpu_sys') + cpu('used_cpu_user') };
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'case') {
	const [name, resultsFile, wallText, slotsText, before, after] = args;
	const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
	const wallS = Number(wallText);
	const ok = results.filter((r) => r.status === 200);
	const b = info(before);
	const a = info(after);
	const delta = {};
	for (const [cmd, v] of Object.entries(a.commands)) {
		const d = v.calls - (b.commands[cmd]?.calls ?? 0);
		if (d > 0) delta[cmd] = d;
	}
	delete delta.info;
	const total = Object.values(delta).reduce((s, n) => s + n, 0);
	const calls = ok.reduce((s, r) => s + ((Array.isArray(r.body) ? r.body[0] : r.body).calls ?? 0), 0);
	// slot time: what the backends report per call (load + prefill + decode), over slots x wall time
	const busyMs = ok.reduce((s, r) => {
		const t = (Array.isArray(r.body) ? r.body[0] : r.body).timings ?? {};
		return s + (t.loadMs ?? 0) + (t.promptEvalMs ?? 0) + (t.evalMs ?? 0);
	}, 0);
	const top = Object.entries(delta).sort((x, y) => y[1] - x[1]).slice(0, 6).map(([c, n]) => `${c} ${(n / Math.max(1, calls)).toFixed(1)}`).join(', ');
	process.stdout.write(`${JSON.stringify({
		name,
		executions: results.length,
		ok: ok.length,
		wallS,
		execPerS: ok.length / wallS,
		slotUtilisation: busyMs / (Number(slotsText) * wallS * 1000),
		redisCommandsPerCall: total / Math.max(1, calls),
		leaseScriptsPerCall: (delta.evalsha ?? 0) / Math.max(1, calls),
		redisCpuMsPerCall: ((a.cpuS - b.cpuS) * 1000) / Math.max(1, calls),
		redisCpuShare: (a.cpuS - b.cpuS) / wallS,
		topCommandsPerCall: top,
	})}\n`);
} else if (mode === 'table') {
	const rows = args.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
	const lines = ['| case | executions ok | wall s | executions/s | slot utilisation | Redis cmds/call | EVALSHA/call (Bull + leases) | Redis CPU ms/call | Redis CPU share | top commands per call |', '|---|---|---|---|---|---|---|---|---|---|'];
	for (const r of rows) {
		lines.push(`| ${r.name} | ${r.ok}/${r.executions} | ${r.wallS.toFixed(1)} | ${r.execPerS.toFixed(2)} | ${(100 * r.slotUtilisation).toFixed(0)} % | ${r.redisCommandsPerCall.toFixed(1)} | ${r.leaseScriptsPerCall.toFixed(2)} | ${r.redisCpuMsPerCall.toFixed(3)} | ${(100 * r.redisCpuShare).toFixed(1)} % | ${r.topCommandsPerCall} |`);
	}
	process.stdout.write(`${lines.join('\n')}\n`);
}
