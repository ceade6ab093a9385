import { onAbort, RequestAbortedError } from '../ollama';

/**
 * One request in flight that several callers wait for. The work runs with its own abort signal,
 * which fires only when every caller has given up; each caller can still leave on its own signal.
 * Streamed pieces go to every caller (a late joiner first gets what was already sent).
 */
export class Flight<T> {
	readonly controller = new AbortController();
	private readonly chunks: string[] = [];
	private readonly listeners = new Set<(text: string) => void>();
	private participants = 0;
	promise!: Promise<T>;

	/** The onChunk to hand to the work: fans each piece out to every caller. */
	readonly broadcast = (text: string): void => {
		this.chunks.push(text);
		for (const listener of this.listeners) listener(text);
	};

	start(work: (signal: AbortSignal, onChunk: (text: string) => void) => Promise<T>): this {
		this.promise = work(this.controller.signal, this.broadcast);
		this.promise.catch(() => undefined); // each caller gets the error from wait()
		return this;
	}

	/** Waits for the shared result as one caller, with that caller's signal and chunk listener. */
	async wait(signal: AbortSignal | undefined, onChunk: ((text: string) => void) | undefined, backend = 'single-flight'): Promise<T> {
		if (signal?.aborted) throw new RequestAbortedError(backend);
		this.participants++;
		if (onChunk) {
			for (const text of this.chunks) onChunk(text);
			this.listeners.add(onChunk);
		}
		let unlisten: (() => void) | undefined;
		try {
			return await new Promise<T>((resolve, reject) => {
				this.promise.then(resolve, reject);
				if (signal) {
					unlisten = onAbort(signal, () => reject(new RequestAbortedError(backend)));
				}
			});
		} finally {
			unlisten?.();
			if (onChunk) this.listeners.delete(onChunk);
			this.participants--;
			// everyone left before the answer came: stop the work
			if (this.participants === 0 && signal?.aborted) this.controller.abort();
		}
	}
}
