import { RedisLayer } from './redis-layer';
import { useCacheTestEnv } from './test-env.fixture';

const env = useCacheTestEnv();

/** Holds this process's event loop (a long synchronous stretch, as a big index build or a CPU-heavy node does). */
function holdEventLoop(ms: number): void {
	const until = performance.now() + ms;
	while (performance.now() < until);
}

describe('RedisLayer', () => {
	it('does not call Redis slow when its reply came in time but this process\'s event loop was held past the deadline', async () => {
		const layer = new RedisLayer(env.client, { timeoutMs: 50 });
		await layer.set('k', { json: '{"a":1}', createdAt: Date.now() }, 60_000);
		const pending = layer.get('k');
		holdEventLoop(200); // Redis answers within a millisecond; the reply waits on the socket
		const result = await pending;
		expect(result.warning).toBeUndefined();
		expect(result.value?.json).toBe('{"a":1}');
		expect(layer.health()).toMatchObject({ up: true, failures: 0 });
	});

	it('is up again as soon as a command succeeds, also one sent before another timed out', async () => {
		const layer = new RedisLayer(env.client, { timeoutMs: 100, retryAfterMs: 60_000 });
		await layer.set('k', { json: '1', createdAt: Date.now() }, 60_000);
		// Redis runs one command at a time: a 300 ms script misses its 100 ms budget (Redis marked down
		// for the 60 s backoff), the GET queued behind it answers within its own 5 s
		const spin = "local t=redis.call('TIME') local s=t[1]*1000000+t[2] while true do local n=redis.call('TIME') if n[1]*1000000+n[2]-s>300000 then break end end return 1";
		const slow = layer.guard(() => env.client.eval(spin, 0), null);
		const queued = layer.guard(() => env.client.get('k'), null, 5000);
		expect((await slow).warning).toMatch(/timeout after 100 ms/);
		expect((await queued).warning).toBeUndefined();
		const next = await layer.get('k');
		expect(next.warning).toBeUndefined();
		expect(next.value?.json).toBe('1');
	});
});
