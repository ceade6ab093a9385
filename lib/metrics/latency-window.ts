/** Checks a window size option early, so a bad value fails at construction, not on the first call. */
export function validWindow(capacity: number): number {
	if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window must be a positive integer, got ${capacity}`);
	return capacity;
}

/** The last `capacity` latencies, in a fixed array: memory stays bounded however long n8n runs. */
export class LatencyWindow {
	private readonly buffer: number[] = [];
	private next = 0;

	constructor(readonly capacity: number) {
		validWindow(capacity);
	}

	push(value: number): void {
		if (this.buffer.length < this.capacity) this.buffer.push(value);
		else this.buffer[this.next] = value;
		this.next = (this.next + 1) % this.capacity;
	}

	get size(): number {
		return this.buffer.length;
	}

	/** The kept values, oldest first. */
	values(): number[] {
		if (this.buffer.length < this.capacity) return [...this.buffer];
		return [...this.buffer.slice(this.next), ...this.buffer.slice(0, this.next)];
	}
}
