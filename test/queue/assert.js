#!/usr/bin/env node
// Checks for test/queue/run.sh. Each command prints a one-line JSON summary, or exits 1 with the reason.
//   answers RESULTS.json N WORKER_LOG... : N answers, all HTTP 200, each from its own execution that
//       ran exactly once, on which worker (from "Worker started execution <id>" in each worker's log)
//   sims CAP STATS.json...              : no simulator ever had more than CAP model requests open
//   metrics REPO REDIS_PORT             : cluster-wide metrics (RedisMetricsStore.snapshot) for the model
//   leases REPO REDIS_PORT              : the slot leases in Redis, counted by worker
'use strict';

const fs = require('fs');

const fail = (message) => {
	process.stderr.write(`assert: ${message}\n`);
	process.exit(1);
};
const [command, ...args] = process.argv.slice(2);

function workerOf(logs) {
	const where = new Map(); // execution id → [worker index...]
	logs.forEach((file, w) => {
		const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
		for (const m of text.matchAll(/Worker started execution (\d+)/g)) where.set(m[1], [...(where.get(m[1]) ?? []), w]);
	});
	return where;
}

if (command === 'answers') {
	const [file, countText, ...logs] = args;
	const results = JSON.parse(fs.readFileSync(file, 'utf8'));
	const n = Number(countText);
	if (results.length !== n) fail(`${file}: ${results.length} results, expected ${n}`);
	const bad = results.filter((r) => r.status !== 200);
	if (bad.length) fail(`${bad.length} of ${n} answers were not HTTP 200, e.g. #${bad[0].i}: ${bad[0].status} ${JSON.stringify(bad[0].body).slice(0, 300)}`);
	const where = workerOf(logs);
	const ids = new Set();
	const perWorker = logs.map(() => 0);
	let completionTokens = 0;
	let calls = 0;
	const layers = {};
	for (const r of results) {
		const json = Array.isArray(r.body) ? r.body[0] : r.body;
		if (!json || typeof json !== 'object' || !json.executionId) fail(`answer #${r.i} has no executionId: ${JSON.stringify(r.body).slice(0, 300)}`);
		if (ids.has(json.executionId)) fail(`execution ${json.executionId} answered twice`);
		ids.add(json.executionId);
		const ran = where.get(String(json.executionId)) ?? [];
		if (ran.length !== 1) fail(`execution ${json.executionId} started ${ran.length} times in the worker logs (expected exactly once)`);
		perWorker[ran[0]]++;
		completionTokens += json.tokenUsage?.completionTokens ?? 0;
		calls += json.calls ?? 0;
		const layer = json.cacheHit ? (json.cacheLayer ?? 'hit') : 'miss';
		layers[layer] = (layers[layer] ?? 0) + 1;
		if (json.output === undefined && json.result === undefined && json.answer === undefined && !json.executionId) fail(`answer #${r.i} is empty`);
	}
	const ms = results.map((r) => r.ms).sort((a, b) => a - b);
	process.stdout.write(`${JSON.stringify({ n, perWorker, calls, completionTokens, layers, outputs: new Set(results.map((r) => JSON.stringify((Array.isArray(r.body) ? r.body[0] : r.body).output))).size, p50Ms: ms[Math.floor(n / 2)], maxMs: ms[n - 1] })}\n`);
} else if (command === 'sims') {
	const [capText, ...files] = args;
	const cap = Number(capText);
	const max = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).maxInFlight);
	if (max.some((m) => typeof m !== 'number')) fail(`a simulator's stats have no maxInFlight: ${files.join(', ')}`);
	const over = max.findIndex((m) => m > cap);
	if (over >= 0) fail(`${files[over]}: ${max[over]} model requests in flight at once, more than slots + look-ahead (${cap})`);
	process.stdout.write(`${JSON.stringify({ cap, maxInFlight: max })}\n`);
} else if (command === 'metrics') {
	const [repo, port] = args;
	const lib = require(`${repo}/dist/lib`);
	const redis = lib.createRedisClient({ host: '127.0.0.1', port: Number(port), keyPrefix: 'agent-team:bull:' }, { lazyConnect: false });
	new lib.RedisMetricsStore(redis)
		.snapshot()
		.then((s) => {
			const m = s.byModel['llama3.2:3b'] ?? { calls: 0, completionTokens: 0, cacheHits: 0 };
			process.stdout.write(`${JSON.stringify({ calls: m.calls, completionTokens: m.completionTokens, cacheHits: m.cacheHits })}\n`);
			return redis.quit();
		})
		.catch((error) => fail(`metrics: ${error.message}`));
} else if (command === 'leases') {
	// every slot lease in Redis, by worker (members are "<worker id>:<n>")
	const [repo, port] = args;
	const lib = require(`${repo}/dist/lib`);
	const redis = lib.createRedisClient({ host: '127.0.0.1', port: Number(port), keyPrefix: '' }, { lazyConnect: false });
	(async () => {
		const keys = (await redis.keys('agent-team:bull:lb:*:slots:*')).filter((k) => !k.endsWith(':wait'));
		const byWorker = {};
		for (const key of keys) {
			for (const member of await redis.zrange(key, 0, -1)) {
				const worker = member.slice(0, member.lastIndexOf(':'));
				byWorker[worker] = (byWorker[worker] ?? 0) + 1;
			}
		}
		process.stdout.write(`${JSON.stringify({ keys: keys.length, workers: Object.keys(byWorker).length, leases: Object.values(byWorker) })}\n`);
		await redis.quit();
	})().catch((error) => fail(`leases: ${error.message}`));
} else {
	fail(`unknown command ${command}`);
}
