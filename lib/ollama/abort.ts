interface FanOut {
	listeners: Set<() => void>;
	handler: () => void;
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

/**
 * Runs `listener` once when `signal` aborts; returns a function that removes it. However many
 * calls wait on one signal (a caller that cancels many calls at once), the signal holds a
 * single 'abort' listener that fans out: a listener per call made Node warn
 * (MaxListenersExceededWarning) past 10 and cost an EventTarget registration per call.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
	let fanOut = fanOuts.get(signal);
	if (!fanOut) {
		const listeners = new Set<() => void>();
		const handler = () => {
			fanOuts.delete(signal);
			for (const l of listeners) l();
		};
		fanOut = { listeners, handler };
		fanOuts.set(signal, fanOut);
		signal.addEventListener('abort', handler, { once: true });
	}
	const { listeners, handler } = fanOut;
	listeners.add(listener);
	return () => {
		if (!listeners.delete(listener) || listeners.size > 0) return;
		if (fanOuts.get(signal)?.listeners === listeners) fanOuts.delete(signal);
		signal.removeEventListener('abort', handler);
	};
}
