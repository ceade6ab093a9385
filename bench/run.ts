/**
 * Benchmark runner: `npm run bench -- <name> [--flag value ...]`.
 * Each benchmark lives in `bench/<name>.ts`, exports `run(args)`, measures its own baseline in the
 * same run, prints a human summary and returns a JSON-able result written to bench/results/<name>.json.
 */
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { formatGoal, goalChecks } from './goals';

export type BenchArgs = Record<string, string | boolean>;

function parseArgs(argv: string[]): { name?: string; args: BenchArgs } {
	const args: BenchArgs = {};
	let name: string | undefined;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a.startsWith('--')) {
			const key = a.slice(2);
			const next = argv[i + 1];
			if (next !== undefined && !next.startsWith('--')) {
				args[key] = next;
				i++;
			} else args[key] = true;
		} else if (!name) name = a;
	}
	return { name, args };
}

async function main() {
	const { name, args } = parseArgs(process.argv.slice(2));
	const available = readdirSync(__dirname)
		.filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
		.map((f) => f.replace(/\.ts$/, ''));
	if (!name || !available.includes(name)) {
		console.error(`usage: npm run bench -- <${available.join('|')}> [--flag value]`);
		process.exit(2);
	}
	const mod = (await import(join(__dirname, `${name}.ts`))) as { run: (a: BenchArgs) => Promise<unknown> };
	const result = await mod.run(args);
	const dir = join(__dirname, 'results');
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `${name}.json`);
	const goals = goalChecks();
	writeFileSync(file, JSON.stringify({ name, date: new Date().toISOString(), node: process.version, goals, result }, null, 2));
	console.log(`\nresults written to ${file}`);
	if (goals.length) {
		console.log(`\ngoals (${goals.filter((g) => g.met).length} of ${goals.length} met):`);
		for (const check of goals) console.log(`  ${formatGoal(check)}`);
	}
	// A missed goal fails the command, so a regression is seen.
	if (goals.some((g) => !g.met)) process.exitCode = 1;
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
