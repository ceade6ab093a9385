/** Small helpers shared by the simulator tests (plain fetch, no client library). */
import { Simulator, SimulatorOptions, startSimulator } from './index';

/**
 * `sim(options)` for a test file: starts a simulator with `defaults` overridden by `options`, and
 * closes every simulator it started after each test (so counters and loaded models do not leak).
 */
export function simulators(defaults: SimulatorOptions = {}): (options?: SimulatorOptions) => Promise<Simulator> {
	const started: Simulator[] = [];
	afterEach(async () => {
		await Promise.all(started.splice(0).map((s) => s.close()));
	});
	return async (options = {}) => {
		const s = await startSimulator({ ...defaults, ...options });
		started.push(s);
		return s;
	};
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string; headers: Headers }> {
	const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
	const text = await res.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, json, text, headers: res.headers };
}

export interface TimedLine {
	at: number;
	obj: any;
}

/** POST and read an NDJSON stream, recording when each line arrived. */
export async function postNdjson(url: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; contentType: string | null; lines: TimedLine[] }> {
	const t0 = performance.now();
	const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
	const lines: TimedLine[] = [];
	const decoder = new TextDecoder();
	let buf = '';
	const reader = res.body!.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		buf += decoder.decode(value, { stream: true });
		const parts = buf.split('\n');
		buf = parts.pop() ?? '';
		const at = performance.now() - t0;
		for (const p of parts) if (p.trim()) lines.push({ at, obj: JSON.parse(p) });
	}
	if (buf.trim()) lines.push({ at: performance.now() - t0, obj: JSON.parse(buf) });
	return { status: res.status, contentType: res.headers.get('content-type'), lines };
}

export async function getJson(url: string): Promise<any> {
	const res = await fetch(url);
	return res.json();
}

export function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

export function norm(v: number[]): number {
	return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

export function cos(a: number[], b: number[]): number {
	let d = 0;
	for (let i = 0; i < a.length; i++) d += a[i] * b[i];
	return d / (norm(a) * norm(b));
}

/** Poll until `cond` holds (or fail after `timeoutMs`). */
export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
	const t0 = Date.now();
	while (!cond()) {
		if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await sleep(5);
	}
}
