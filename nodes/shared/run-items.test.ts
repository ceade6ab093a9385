import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

import type { IExecuteFunctions } from 'n8n-workflow';

import { itemWindowFor, runItemsConcurrently } from './run-items';

const contextWith = (count: number, cancel?: AbortSignal) =>
	({
		getInputData: () => Array.from({ length: count }, (_, i) => ({ json: { i } })),
		continueOnFail: () => false,
		getNode: () => ({ name: 'Team Agent', type: 'teamAgent', typeVersion: 1, position: [0, 0], parameters: {} }),
		getExecutionCancelSignal: () => cancel,
	}) as unknown as IExecuteFunctions;

const untilAborted = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('runItemsConcurrently', () => {
	it('cancels the other items when one fails, and all of them when the execution is cancelled', async () => {
		const aborted: number[] = [];
		const failing = runItemsConcurrently(contextWith(5), async (itemIndex, signal) => {
			if (itemIndex === 2) throw new Error('boom');
			return await untilAborted(signal).catch((error) => {
				aborted.push(itemIndex);
				throw error;
			});
		});
		await expect(failing).rejects.toThrow(/Item 2: boom/);
		await new Promise((r) => setImmediate(r));
		expect(aborted.sort()).toEqual([0, 1, 3, 4]);

		const execution = new AbortController();
		const cancelled = runItemsConcurrently(contextWith(3, execution.signal), async (_i, signal) => await untilAborted(signal));
		execution.abort(new Error('execution cancelled'));
		await expect(cancelled).rejects.toThrow(/execution cancelled/);
	});

	it('with a window, starts at most that many items at once and the next as one ends, keeping input order', async () => {
		let running = 0;
		let most = 0;
		const events: string[] = [];
		const output = await runItemsConcurrently(
			contextWith(20),
			async (itemIndex) => {
				events.push(`start ${itemIndex}`);
				most = Math.max(most, ++running);
				await new Promise((r) => setTimeout(r, itemIndex % 3)); // uneven: items end out of order
				running--;
				events.push(`end ${itemIndex}`);
				return { itemIndex };
			},
			{ window: 4 },
		);
		expect(most).toBe(4);
		expect(output.map((item) => [item.json.itemIndex, item.pairedItem])).toEqual(Array.from({ length: 20 }, (_, i) => [i, { item: i }]));
		// the fifth item starts only after one of the first four ended
		expect(events.indexOf('start 4')).toBeGreaterThan(events.findIndex((e) => e.startsWith('end')));
	});

	it('sizes a node\'s window from what the cluster runs at once (at least 32)', () => {
		expect(itemWindowFor({ maxInFlight: 5 })).toBe(32);
		expect(itemWindowFor({ maxInFlight: 27 })).toBe(108);
	});

	it('with a window, a failure starts no more items and is thrown naming its item', async () => {
		const started: number[] = [];
		const failing = runItemsConcurrently(
			contextWith(50),
			async (itemIndex, signal) => {
				started.push(itemIndex);
				if (itemIndex === 5) throw new Error('boom');
				await new Promise((r) => setTimeout(r, 1));
				if (signal.aborted) throw signal.reason;
				return {};
			},
			{ window: 3 },
		);
		await expect(failing).rejects.toThrow(/Item 5: boom/);
		await new Promise((r) => setTimeout(r, 20));
		expect(Math.max(...started)).toBeLessThan(8);
	});

	it('runs 50 items whose calls each listen on their signal without a MaxListenersExceededWarning', () => {
		// In a child process: jest's sandbox does not show Node's process warnings to the test.
		const script = `
			const { runItemsConcurrently } = require('./nodes/shared/run-items.ts');
			const ctx = { getInputData: () => Array.from({ length: 50 }, () => ({ json: {} })), continueOnFail: () => false,
				getNode: () => ({ name: 'n' }), getExecutionCancelSignal: () => undefined };
			runItemsConcurrently(ctx, async (i, signal) => {
				for (let call = 0; call < 3; call++) signal.addEventListener('abort', () => {});
				await new Promise((r) => setTimeout(r, 5));
				return { i };
			}).then((out) => console.log('items', out.length));`;
		const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: resolve(__dirname, '../..'), encoding: 'utf8', timeout: 60_000 });
		expect(child.stdout).toContain('items 50');
		expect(child.stderr).not.toMatch(/MaxListenersExceededWarning/);
	});
});
