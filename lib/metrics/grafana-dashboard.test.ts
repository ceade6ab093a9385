import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { fullMetrics } from './prometheus.fixture';
import { toPrometheusText } from './prometheus';

interface Panel {
	title: string;
	targets: Array<{ expr: string }>;
}

describe('docs/grafana-dashboard.json', () => {
	const dashboard = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: Panel[] };
	const exported = new Set([...toPrometheusText(fullMetrics).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));

	it('queries only metric names the Metrics operation exports, with their labels', () => {
		const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/agent_team_\w+/g)].map((m) => m[0])));
		expect(used.length).toBeGreaterThan(15);
		expect(used.filter((name) => !exported.has(name))).toEqual([]);
		const labels = new Set(['backend', 'model', 'kind', 'layer', 'quantile', 'state', 'reason', 'result', 'scope', 'profile']);
		for (const p of dashboard.panels) for (const t of p.targets) for (const m of t.expr.matchAll(/\b(?:by|on) \(([^)]*)\)|\{([^}]*)\}/g)) {
			const names = (m[1] ?? m[2]).split(',').map((s) => s.trim().split(/[=!~]/)[0]).filter(Boolean);
			expect(names.filter((n) => !labels.has(n))).toEqual([]);
		}
	});

	it('has the panels a user watches first', () => {
		expect(dashboard.panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Requests / s', 'Error ratio', 'Cache hit ratio', 'Calls waiting in the queue', 'Time to first token by model', 'Backends up']));
	});
});
