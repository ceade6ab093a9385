import { mapError } from './map-error';
import { Watchdog } from './watchdog';

const timeouts = { connectMs: 1000, firstTokenMs: 1000, idleMs: 1000, totalMs: 1000 };
function map(error: unknown) {
	const watchdog = new Watchdog(timeouts);
	try {
		return mapError(error, { backend: 'gpu-1', watchdog, timeouts });
	} finally {
		watchdog.stop();
	}
}

describe('mapError never puts a URL in a message', () => {
	it('names the backend, not the URL, when fetch refuses a URL with credentials (not retryable)', () => {
		const error = map(new TypeError('Request cannot be constructed from a URL that includes credentials: http://ops:hunter2@10.0.0.7:11434/api/chat'));
		expect(error.message).toMatch(/Ollama backend "gpu-1"/);
		expect(error.message).not.toMatch(/hunter2|10\.0\.0\.7|http:/);
		expect(error.retryable).toBe(false);
		expect(error.code).toBe('BAD_CONFIG');
	});

	it.each([
		new Error('getaddrinfo ENOTFOUND ops:hunter2@gpu.internal'),
		new Error('unexpected reply from http://ops:hunter2@gpu.internal:11434/api/chat?key=s3cr3t'),
		Object.assign(new Error('fetch failed'), { cause: new Error('connect to https://ops:hunter2@gpu.internal failed') }),
	])('strips URLs and user:password out of any detail (%#)', (raw) => {
		const error = map(raw);
		expect(error.message).toMatch(/Ollama backend "gpu-1"/);
		expect(error.message).not.toMatch(/hunter2|s3cr3t|https?:\/\//);
	});
});
