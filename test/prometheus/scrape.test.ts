/**
 * A real Prometheus scrapes the Metrics operation's exposition while a workload runs through the
 * gateway against the simulator. In-process: a small HTTP server serves exactly what the Load
 * Balancer's Metrics operation returns (collectGatewayMetrics → toPrometheusText), so CI needs no n8n
 * here (examples/metrics-prometheus.json runs in the harness and in test:e2e).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { clusterConfigFromCredential, type Gateway } from '../../lib/gateway';
import { collectGatewayMetrics, processMetrics, PROMETHEUS_CONTENT_TYPE, recordFromChatResult, toPrometheusText } from '../../lib/metrics';
import { closeAllGateways, getGateway } from '../../lib/registry';
import { startSimulator, type Simulator } from '../simulator';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? 'prometheus';
const SCRAPE_INTERVAL_S = 1;
const MODEL = 'llama3.2:3b';

let sim: Simulator;
let gateway: Gateway;
let exporter: Server;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let dataDir = '';
let scrapes = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
	const server = createNetServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((r) => server.close(r));
	return port;
}

async function query(promql: string, time?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
	const params = new URLSearchParams({ query: promql });
	if (time !== undefined) params.set('time', String(time));
	const reply = (await (await fetch(`${promUrl}/api/v1/query?${params}`)).json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
	if (reply.status !== 'success') throw new Error(`PromQL ${promql}: ${reply.error}`);
	return reply.data.result;
}
const scalar = async (promql: string, time?: number) => {
	const [first] = await query(promql, time);
	return first ? Number(first.value[1]) : NaN;
};

/** Waits until Prometheus has scraped the exporter `n` more times (counted at the exporter: event order, not a clock). */
async function scrapesPass(n: number): Promise<void> {
	const target = scrapes + n;
	while (scrapes < target) await sleep(50);
}

async function chat(prompt: string, numPredict: number, cache: boolean): Promise<void> {
	const result = await gateway.chat(
		{ model: MODEL, messages: [{ role: 'user', content: prompt }], options: { temperature: 0, seed: 1, num_predict: numPredict } },
		cache ? { hints: { cache: { mode: 'exact', namespace: 'prometheus-test' } } } : {},
	);
	processMetrics().record(recordFromChatResult(result)); // as the Team Agent does for each call
}

beforeAll(async () => {
	const version = spawnSync(PROMETHEUS, ['--version'], { encoding: 'utf8' });
	if (version.error || version.status !== 0) throw new Error(`"${PROMETHEUS}" is not installed: run npm run test:prometheus, which installs Debian's prometheus package`);

	sim = await startSimulator({ parallel: 2, loadMs: 0, timeScale: 1, decodeTokensPerSec: 100, prefillTokensPerSec: 20000 });
	gateway = getGateway(clusterConfigFromCredential({ backends: { backend: [{ name: 'gpu-1', baseUrl: sim.url, weight: 1, parallel: 2 }] }, loadBalancing: { healthInterval: 0 } }));
	processMetrics().reset();

	exporter = createServer((req, res) => {
		if (req.url !== '/metrics') return void res.writeHead(404).end();
		collectGatewayMetrics(gateway)
			.then((metrics) => {
				scrapes++;
				res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }).end(toPrometheusText(metrics));
			})
			.catch((error: Error) => res.writeHead(500).end(error.message));
	});
	await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
	const exporterPort = (exporter.address() as { port: number }).port;

	dataDir = mkdtempSync(join(tmpdir(), 'agent-team-prometheus-'));
	const config = join(dataDir, 'prometheus.yml');
	writeFileSync(
		config,
		`global:\n  scrape_interval: ${SCRAPE_INTERVAL_S}s\n  evaluation_interval: ${SCRAPE_INTERVAL_S}s\nscrape_configs:\n  - job_name: agent-team\n    static_configs:\n      - targets: ['127.0.0.1:${exporterPort}']\n`,
	);
	const promPort = await freePort();
	promUrl = `http://127.0.0.1:${promPort}`;
	prometheus = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], {
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	let stderr = '';
	prometheus.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	prometheus.on('exit', (code) => {
		if (code) console.error(`prometheus exited with ${code}: ${stderr}`);
	});
	// ready when it answers /-/ready and has scraped once
	for (;;) {
		const ready = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
		if (ready && scrapes > 0) break;
		if (prometheus.exitCode !== null) throw new Error(`prometheus did not start: ${stderr}`);
		await sleep(100);
	}
}, 60_000);

afterAll(async () => {
	if (prometheus && prometheus.exitCode === null) {
		const exited = new Promise((r) => prometheus!.once('exit', r));
		prometheus.kill('SIGTERM');
		await exited;
	}
	await new Promise((r) => exporter?.close(r));
	await closeAllGateways();
	await sim?.close();
	processMetrics().reset();
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('Prometheus scrapes the exposition: promtool accepts it; PromQL gives the request rate, the cache hit ratio and a queue depth above zero in a burst', async () => {
	// The exposition passes Prometheus' own linter.
	const text = toPrometheusText(await collectGatewayMetrics(gateway));
	const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
	expect(lint.error ? `promtool: ${lint.error.message}` : lint.stdout + lint.stderr).toBe('');

	// 1. Steady phase: 10 distinct prompts asked 3 times each, one at a time, through the cache:
	//    30 calls, 10 misses (answered by the model) and 20 L1 hits.
	await scrapesPass(1); // a sample of 0 calls just before the phase
	const steadyStart = Date.now();
	for (let round = 0; round < 3; round++) for (let i = 0; i < 10; i++) await chat(`steady question ${i}`, 20, true);
	await scrapesPass(2);
	const afterSteady = Date.now() / 1000;

	const calls = await scalar(`sum(agent_team_model_calls_total{model="${MODEL}"})`);
	expect(calls).toBe(30);
	const hitRatio = await scalar('sum(agent_team_cache_hits_total) / (sum(agent_team_cache_hits_total) + sum(agent_team_cache_misses_total))');
	expect(hitRatio).toBeCloseTo(20 / 30, 6);
	expect(await scalar('agent_team_cache_hits_total{layer="l1"}')).toBe(20);
	// The request rate over the steady phase. gpu-1's counter exists from the first scrape at 0
	// (configured backends start at 0), so a window from just before the phase to its end holds
	// samples from 0 to 30. Prometheus extrapolates the increase from the sampled span to the
	// window's edges, so the rate lies between 30 / window and 30 / sampled span: both bounds come
	// from the samples Prometheus stored, none from this machine's speed.
	const window = Math.ceil(afterSteady - steadyStart / 1000 + 2 * SCRAPE_INTERVAL_S);
	const series = `agent_team_backend_calls_total{backend="gpu-1"}`;
	const raw = (await query(`${series}[${window}s]`, afterSteady)) as unknown as Array<{ values: Array<[number, string]> }>;
	const samples = raw[0].values;
	expect(Number(samples[0][1])).toBe(0);
	expect(Number(samples.at(-1)![1])).toBe(30);
	const sampledSpan = samples.at(-1)![0] - samples[0][0];
	const rate = await scalar(`rate(${series}[${window}s])`, afterSteady);
	expect(rate).toBeGreaterThanOrEqual(30 / window - 1e-9);
	expect(rate).toBeLessThanOrEqual(30 / sampledSpan + 1e-9);

	// 2. Burst: 24 calls at once on 2 slots, ~0.4 s each: about 5 s with calls waiting in the queue.
	const burst = Promise.all(Array.from({ length: 24 }, (_, i) => chat(`burst ${i}`, 40, false)));
	await scrapesPass(2); // scraped while the burst runs
	await burst;
	await scrapesPass(2);
	expect(await scalar('max_over_time(agent_team_queue_waiting_calls[1m])')).toBeGreaterThan(0);
	expect(await scalar('max(agent_team_queue_max_waiting_calls)')).toBeGreaterThanOrEqual(await scalar('max_over_time(agent_team_queue_waiting_calls[1m])'));
	expect(await scalar('agent_team_queue_waiting_calls')).toBe(0);
	expect(await scalar(`sum(agent_team_model_calls_total{model="${MODEL}"})`)).toBe(54);
	expect(await scalar('agent_team_backend_up{backend="gpu-1"}')).toBe(1);
	expect(await scalar(`agent_team_model_loaded{backend="gpu-1",model="${MODEL}"}`)).toBe(1);
	expect(await scalar(`agent_team_model_decode_tokens_per_second{backend="gpu-1",model="${MODEL}"}`)).toBeGreaterThan(0);

	// 3. Every query of docs/grafana-dashboard.json is valid PromQL and finds data here
	//    (after a probe: /api/ps gives the loaded model's GPU memory).
	await gateway.balancer.probe();
	await scrapesPass(2);
	const dashboard = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
	const empty: string[] = [];
	for (const panel of dashboard.panels) for (const { expr } of panel.targets) if ((await query(expr)).length === 0) empty.push(`${panel.title}: ${expr}`);
	// an open circuit and per-kind errors need failures this workload does not make
	expect(empty).toEqual(['Errors / s by kind: sum by (kind) (rate(agent_team_errors_total[5m]))']);
}, 90_000);
