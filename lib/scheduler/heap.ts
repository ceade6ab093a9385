/**
 * A binary max-heap by `better(a, b)`. Written by hand (a dozen lines) because the queue needs
 * lazy deletion by a flag on the element, which the heap packages do not offer cheaply.
 */
export class Heap<T> {
	private readonly items: T[] = [];

	constructor(private readonly better: (a: T, b: T) => boolean) {}

	get length(): number {
		return this.items.length;
	}

	peek(): T | undefined {
		return this.items[0];
	}

	push(item: T): void {
		const a = this.items;
		a.push(item);
		for (let i = a.length - 1; i > 0; ) {
			const parent = (i - 1) >> 1;
			if (!this.better(a[i], a[parent])) break;
			[a[i], a[parent]] = [a[parent], a[i]];
			i = parent;
		}
	}

	pop(): T | undefined {
		const a = this.items;
		const top = a[0];
		const last = a.pop();
		if (a.length > 0 && last !== undefined) {
			a[0] = last;
			for (let i = 0; ; ) {
				const l = 2 * i + 1;
				const r = l + 1;
				let best = i;
				if (l < a.length && this.better(a[l], a[best])) best = l;
				if (r < a.length && this.better(a[r], a[best])) best = r;
				if (best === i) break;
				[a[i], a[best]] = [a[best], a[i]];
				i = best;
			}
		}
		return top;
	}
}
