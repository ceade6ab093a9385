// Kills a process (a simulator) once the simulators named have answered `share` of `items` more
// requests than when it started: `node kill-when.js PID ITEMS SHARE URL...`. Prints what it did,
// then answers per second (a stall after the kill shows there) until all items are answered or
// the caller stops it (balancer-kill.sh does when n8n is done).
'use strict';
const [pid, items, share, ...urls] = process.argv.slice(2);
const last = urls.map(() => 0);
// a simulator that no longer answers keeps its last count
const done = async () =>
	(await Promise.all(urls.map((u, i) => fetch(`${u}/_sim/stats`).then((r) => r.json()).then((s) => (last[i] = s.completed)).catch(() => last[i])))).reduce((a, b) => a + b, 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
	const base = await done();
	const t0 = Date.now();
	let killed = false;
	let prev = 0;
	let prevAt = t0;
	for (;;) {
		const n = (await done()) - base;
		if (!killed && n >= Number(items) * Number(share)) {
			process.kill(Number(pid), 'SIGTERM');
			killed = true;
			console.log(`killed the backend after ${n} answers, ${((Date.now() - t0) / 1000).toFixed(1)} s after the first poll`);
		}
		if (Date.now() - prevAt >= 1000) {
			console.log(`  ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s: ${n} answered (+${n - prev})`);
			prev = n;
			prevAt = Date.now();
		}
		if (n >= Number(items) || Date.now() - t0 > 600_000) return;
		await sleep(200);
	}
})();
