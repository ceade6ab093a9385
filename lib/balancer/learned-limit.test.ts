import { LearnedLimit } from './learned-limit';

// The learner alone, fed the samples the router derives from each reply (position when sent,
// others still running at its first token, whether it waited in the server's queue).

const ran = (position: number, concurrent: number) => ({ position, concurrent, queued: false });
const queued = (position: number, concurrent: number) => ({ position, concurrent, queued: true });

describe('LearnedLimit', () => {
	it('grows past look-ahead calls that started after the others had ended (no evidence either way)', () => {
		// A round's look-ahead calls in the flaky HTTP run (3-slot server, limit 2; the same for 20
		// rounds): calls that start together end together, so of the three sent as a wave ends the
		// first finds none of the others still running, the second one, the third two. None queued.
		const limit = new LearnedLimit(2, 16);
		for (const concurrent of [2, 0, 1, 2, 0, 1]) limit.observe(ran(3, concurrent), 1);
		expect(limit.value).toBe(3);
	});

	it('needs two look-ahead calls beside `limit` others, with no look-ahead call queued in between', () => {
		const limit = new LearnedLimit(2, 16);
		limit.observe(ran(3, 2), 1);
		expect(limit.value).toBe(2); // one is not enough
		limit.observe(queued(3, 1), 2); // the server was full at 2 after all
		limit.observe(ran(3, 2), 3);
		expect(limit.value).toBe(2);
		limit.observe(ran(3, 0), 4); // started after the others ended: says nothing
		limit.observe(ran(3, 2), 5);
		expect(limit.value).toBe(3);
	});

	it('a call within the limit that queued also stops a growth in progress', () => {
		const limit = new LearnedLimit(2, 16);
		limit.observe(ran(3, 2), 1);
		limit.observe(queued(2, 1), 2);
		limit.observe(ran(3, 2), 3);
		expect(limit.value).toBe(2);
	});

	it('a 1-slot server stays at 1: its look-ahead call always waits for the one running', () => {
		const limit = new LearnedLimit(1, 16);
		for (let i = 0; i < 50; i++) {
			limit.observe(ran(1, 0), i);
			limit.observe(queued(2, 0), i);
			limit.observe(ran(2, 0), i); // sent as the other ended: started at once, alone
		}
		expect(limit.value).toBe(1);
	});

	it('shrinks when two calls within the limit in a row queued, and grows back on probes', () => {
		const limit = new LearnedLimit(3, 16);
		limit.observe(queued(3, 2), 1);
		expect(limit.value).toBe(3);
		limit.observe(queued(3, 2), 2);
		expect(limit.value).toBe(2);
		expect(limit.changedAt).toBe(2);
		limit.observe(ran(3, 2), 3);
		limit.observe(ran(3, 0), 4);
		limit.observe(ran(3, 2), 5);
		expect(limit.value).toBe(3);
	});
});
