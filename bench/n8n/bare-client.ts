/**
 * The baseline of bench/n8n/throughput.sh: a bare client holding exactly `inFlight` chat requests
 * against the simulator (raw keep-alive node:http, non-streamed), the same messages as the workflow's
 * Team Agent sends: its Custom role's system prompt, then the item's prompt (without the system
 * prompt the simulator, which tokenizes every prompt, served ~25 % more requests per second than
 * for the node's requests, so the ratio charged the node for the backend's extra work).
 * Prints { itemsPerSec, wallMs } as JSON.
 */
import { Agent, request } from 'node:http';

import { ROLE_PROMPTS } from '../../nodes/Agent/roles';
import { runConcurrent } from '../stats';

const [url, itemsArg, inFlightArg] = process.argv.slice(2);
const items = Number(itemsArg);
const inFlight = Number(inFlightArg);
const { hostname, port } = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
const chat = (content: string) =>
	new Promise<unknown>((resolve, reject) => {
		const body = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'system', content: ROLE_PROMPTS.custom }, { role: 'user', content }], stream: false });
		const req = request({ hostname, port, path: '/api/chat', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (c: string) => (text += c));
			res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(text))));
		});
		req.on('error', reject);
		req.end(body);
	});

async function main() {
	await chat('warm up');
	const run = await runConcurrent(items, inFlight, (i) => chat(`Question ${i}: say something.`));
	process.stdout.write(JSON.stringify({ itemsPerSec: (items / run.wallMs) * 1000, wallMs: run.wallMs }) + '\n');
	agent.destroy();
}
void main();
