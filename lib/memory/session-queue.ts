/**
 * Runs work for the same session one after another, in the order it was queued, while different
 * sessions run in parallel: a batch holding several messages of one conversation then reads and
 * writes its history turn by turn instead of interleaving. (Within this process; queue-mode
 * workers each order their own items.)
 */
export class SessionQueue {
	private readonly tails = new Map<string, Promise<unknown>>();

	async run<T>(sessionKey: string | undefined, work: () => Promise<T>): Promise<T> {
		if (!sessionKey) return await work();
		const previous = this.tails.get(sessionKey) ?? Promise.resolve();
		const current = previous.catch(() => undefined).then(work);
		this.tails.set(sessionKey, current);
		try {
			return await current;
		} finally {
			if (this.tails.get(sessionKey) === current) this.tails.delete(sessionKey);
		}
	}
}
