// Kills a process (a simulator) once the simulators named have answered `share` of `items` more
// requests than when it started: `node kill-when.js PID ITEMS SHARE URL...`. Prints what it did.
'use strict';
const [pid, items, share, ...urls] = process.argv.slice(2);
const done = async () => (await Promise.all(urls.map((u) => fetch(`${u}/_sim/stats`).then((r) => r.json()).then((s) => s.completed).catch(() => 0)))).reduce((a, b) => a + b, 0);
(async () => {
	const base = await done();
	for (;;) {
		const n = (await done()) - base;
		if (n >= Number(items) * Number(share)) {
			process.kill(Number(pid), 'SIGTERM');
			console.log(`killed the backend after ${n} answers`);
			return;
		}
		await new Promise((r) => setTimeout(r, 200));
	}
})();
