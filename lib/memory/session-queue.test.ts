import { SessionQueue } from './session-queue';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SessionQueue', () => {
	it('runs one session\'s work in queue order, other sessions alongside, and survives failures', async () => {
		const queue = new SessionQueue();
		const log: string[] = [];
		const job = (name: string, ms: number, fail = false) => async () => {
			log.push(`start ${name}`);
			await tick(ms);
			log.push(`end ${name}`);
			if (fail) throw new Error(name);
			return name;
		};
		const results = await Promise.allSettled([
			queue.run('a', job('a1', 30, true)),
			queue.run('a', job('a2', 5)),
			queue.run('b', job('b1', 10)),
			queue.run(undefined, job('free', 1)),
		]);
		expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
		expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
		expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
		expect(log.indexOf('start free')).toBeLessThan(log.indexOf('end a1'));
	});
});
