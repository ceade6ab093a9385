import { ContextOverflowError } from './context-overflow-error';
import { countChatTokens, countMessageTokens, type ChatMessage } from './counter';
import { getEncoder } from './encoders';
import { DEFAULT_RESERVE_OUTPUT, fitContext, type FitContextInput } from './fit-context';

/** A conversation of `count` messages, alternating user/assistant, each about 60 tokens. */
function conversation(count: number): ChatMessage[] {
	return Array.from({ length: count }, (_, i) => ({
		role: i % 2 === 0 ? 'user' : 'assistant',
		content: `Turn ${i}. ` + 'We talked about gardening, soil, seasons and watering schedules. '.repeat(5),
	}));
}

function turnNumbers(messages: ChatMessage[]): number[] {
	return messages.flatMap((m) => {
		const match = /^Turn (\d+)\./.exec(m.content);
		return match ? [Number(match[1])] : [];
	});
}

function documentsBlock(messages: ChatMessage[]): string | undefined {
	return messages.find((m) => m.content.startsWith('Context documents'))?.content;
}

const base: FitContextInput = { system: 'You are a helpful gardening assistant.', history: [], prompt: 'When should I water tomatoes?', numCtx: 2048, reserveOutput: 256 };

describe('fitContext', () => {
	it('keeps everything, in order, when it all fits', async () => {
		const history = conversation(6);
		const result = await fitContext({ ...base, history });
		expect(result.messages).toEqual([{ role: 'system', content: base.system }, ...history, { role: 'user', content: base.prompt }]);
		expect(result.dropped).toEqual({ turns: 0, documents: 0, chunks: 0, tokens: 0 });
		expect(result.tokensSaved).toBe(0);
		expect(result.promptTokens).toBe(countChatTokens(result.messages));
	});

	it('always keeps the system prompt and the new prompt, and keeps the newest turns', async () => {
		const history = conversation(100);
		const result = await fitContext({ ...base, history, numCtx: 1024 });
		expect(result.messages[0]).toEqual({ role: 'system', content: base.system });
		expect(result.messages[result.messages.length - 1]).toEqual({ role: 'user', content: base.prompt });
		const kept = turnNumbers(result.messages);
		expect(kept.length).toBeGreaterThan(3);
		expect(kept.length).toBeLessThan(100);
		// A contiguous newest part: the last turn is 99 and nothing is skipped.
		expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 100 - kept.length + i));
		expect(result.dropped.turns).toBe(100 - kept.length);
		expect(result.promptTokens).toBeLessThanOrEqual(1024 - 256);
		expect(result.tokensSaved).toBeGreaterThan(0);
	});

	it('uses the whole window for history when there are no documents (document share spills over)', async () => {
		const result = await fitContext({ ...base, history: conversation(100), numCtx: 4096 });
		const oneTurn = countMessageTokens(conversation(1)[0]);
		expect(result.budget.history).toBe(result.budget.available);
		expect(result.promptTokens).toBeGreaterThan(4096 - 256 - oneTurn);
		expect(result.promptTokens).toBeLessThanOrEqual(4096 - 256);
	});

	it('treats an unset num_predict (-1) as the default reserve', async () => {
		const result = await fitContext({ ...base, reserveOutput: -1 });
		expect(result.budget.reserveOutput).toBe(DEFAULT_RESERVE_OUTPUT);
	});

	it('keeps an assistant tool call and its tool results together', async () => {
		const big = 'Weather report with lots of numbers 12 14 17 19 22 and conditions. '.repeat(8);
		const history: ChatMessage[] = [
			{ role: 'user', content: 'Turn 0. What is the weather in Paris and Rome?' },
			{ role: 'assistant', content: '', tool_calls: [{ function: { name: 'weather', arguments: { city: 'Paris' } } }, { function: { name: 'weather', arguments: { city: 'Rome' } } }] },
			{ role: 'tool', content: big },
			{ role: 'tool', content: big },
			{ role: 'assistant', content: 'Turn 4. Sunny in both.' },
		];
		const groupTokens = history.slice(1, 4).reduce((sum, m) => sum + countMessageTokens(m), 0);
		const toolsOnly = history.slice(2, 5).reduce((sum, m) => sum + countMessageTokens(m), 0);
		const fixed = countChatTokens([{ role: 'system', content: base.system as string }, { role: 'user', content: base.prompt }]);
		// Room for the two tool results and the answer, but not for the call as well.
		const numCtx = base.reserveOutput + fixed + toolsOnly + Math.floor((groupTokens + countMessageTokens(history[4]) - toolsOnly) / 2);
		const result = await fitContext({ ...base, history, numCtx });
		const roles = result.messages.map((m) => m.role);
		expect(roles).toEqual(['system', 'assistant', 'user']);
		expect(result.messages[1].content).toBe('Turn 4. Sunny in both.');
		expect(result.dropped.turns).toBe(4);

		// Room for the call, its results and the answer, but not the question before them.
		const justEnough = base.reserveOutput + fixed + groupTokens + countMessageTokens(history[4]) + 1;
		const roomier = await fitContext({ ...base, history, numCtx: justEnough });
		expect(roomier.messages.map((m) => m.role)).toEqual(['system', 'assistant', 'tool', 'tool', 'assistant', 'user']);
	});

	it('ranks documents by lexical relevance to the prompt and drops the least relevant', async () => {
		const filler = ' Some general remarks that every document shares to make them equally long.'.repeat(6);
		const documents = [
			{ id: 'cars', text: 'Engines, gearboxes and tyres of racing cars.' + filler },
			{ id: 'tomatoes', text: 'Water tomatoes deeply in the morning; tomatoes dislike wet leaves.' + filler },
			{ id: 'taxes', text: 'Filing deadlines and deductions for income taxes.' + filler },
		];
		const oneDocument = countMessageTokens({ role: 'system', content: documents[1].text }) + 30;
		const fixed = countChatTokens([{ role: 'system', content: base.system as string }, { role: 'user', content: base.prompt }]);
		const result = await fitContext({ ...base, documents, numCtx: base.reserveOutput + fixed + oneDocument });
		const block = documentsBlock(result.messages) as string;
		expect(block).toContain('[tomatoes]');
		expect(block).not.toContain('[cars]');
		expect(block).not.toContain('[taxes]');
		expect(result.dropped.documents).toBe(2);
		// The block sits right before the prompt.
		expect(result.messages[result.messages.length - 2].content).toBe(block);
	});

	it('orders documents by their retrieval score when every document has one', async () => {
		const documents = [
			{ id: 'low', text: 'Tomatoes need water.', score: 0.1 },
			{ id: 'high', text: 'Something unrelated.', score: 0.9 },
			{ id: 'mid', text: 'Another text.', score: 0.5 },
		];
		const block = documentsBlock((await fitContext({ ...base, documents })).messages) as string;
		expect(block.indexOf('[high]')).toBeLessThan(block.indexOf('[mid]'));
		expect(block.indexOf('[mid]')).toBeLessThan(block.indexOf('[low]'));
	});

	it('honours the history/documents split when both sides want more than their share', async () => {
		const documents = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, text: `Document ${i} on watering tomatoes. ` + 'Detailed notes about irrigation. '.repeat(50) }));
		const history = conversation(200);
		const result = await fitContext({ ...base, history, documents, numCtx: 8192, split: { history: 0.25, documents: 0.75 } });
		const historyTokens = result.messages.filter((m) => /^Turn /.test(m.content)).reduce((sum, m) => sum + countMessageTokens(m), 0);
		const documentTokens = countMessageTokens({ role: 'system', content: documentsBlock(result.messages) as string });
		const { available } = result.budget;
		expect(historyTokens).toBeLessThanOrEqual(Math.floor(available * 0.25));
		expect(historyTokens).toBeGreaterThan(available * 0.25 - 100);
		// Whole documents: at most one document's worth of the share stays unused.
		const oneDocument = countMessageTokens({ role: 'system', content: documents[0].text });
		expect(documentTokens).toBeLessThanOrEqual(available - historyTokens);
		expect(documentTokens).toBeGreaterThan(available * 0.75 - oneDocument);
		expect(result.promptTokens).toBeLessThanOrEqual(8192 - 256);
	});

	it('gives the history share to documents when the history is short', async () => {
		const documents = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, text: `Document ${i}. ` + 'Detailed notes about irrigation. '.repeat(12) }));
		const result = await fitContext({ ...base, history: conversation(2), documents, numCtx: 4096 });
		const documentTokens = countMessageTokens({ role: 'system', content: documentsBlock(result.messages) as string });
		expect(documentTokens).toBeGreaterThan(result.budget.available * 0.4 + 500);
		expect(result.dropped.turns).toBe(0);
		expect(result.promptTokens).toBeLessThanOrEqual(4096 - 256);
	});

	it('throws ContextOverflowError when system + prompt + reserve exceed num_ctx', async () => {
		const system = 'You must follow these rules carefully. '.repeat(200);
		const error = await fitContext({ ...base, system, numCtx: 1024 }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ContextOverflowError);
		const overflow = error as ContextOverflowError;
		expect(overflow.available).toBe(1024);
		expect(overflow.needed).toBeGreaterThan(1024);
		expect(overflow.systemTokens).toBeGreaterThan(overflow.promptTokens);
		expect(overflow.message).toContain('num_ctx');
	});

	it('fits to the calibrated count when a calibration is given', async () => {
		const history = conversation(100);
		const plain = await fitContext({ ...base, history });
		const calibrated = await fitContext({ ...base, history, calibrate: (estimated) => Math.round(estimated * 1.5 + 20) });
		expect(turnNumbers(calibrated.messages).length).toBeLessThan(turnNumbers(plain.messages).length);
		expect(calibrated.promptTokens).toBeLessThanOrEqual(2048 - 256);
		expect(calibrated.promptTokens).toBeGreaterThan(2048 - 256 - 100);
		expect(calibrated.promptTokens).toBe(Math.round(countChatTokens(calibrated.messages) * 1.5 + 20));
	});

	it('encodes nothing again when the same conversation is fitted a second time', async () => {
		const documents = Array.from({ length: 5 }, (_, i) => ({ id: `d${i}`, text: `Document ${i}. ` + 'Notes about soil and watering. '.repeat(40) }));
		for (const strategy of ['dropOldest', 'chunk'] as const) {
			const input: FitContextInput = { ...base, history: conversation(80), documents, numCtx: 2048, strategy };
			const first = await fitContext(input);
			const encode = jest.spyOn(getEncoder('cl100k_base'), 'encode_ordinary');
			const second = await fitContext(input);
			expect(encode).not.toHaveBeenCalled();
			expect(second).toEqual(first);
			encode.mockRestore();
		}
	});

	describe("strategy 'summarize'", () => {
		it('replaces the dropped turns with one summary and reports the saving', async () => {
			const history = conversation(60);
			const calls: Array<{ turns: ChatMessage[]; target: number }> = [];
			const summarize = async (turns: ChatMessage[], target: number) => {
				calls.push({ turns, target });
				return 'We discussed gardening basics at length.';
			};
			const result = await fitContext({ ...base, history, strategy: 'summarize', summarize });
			expect(calls).toHaveLength(1);
			const kept = turnNumbers(result.messages);
			// The callback got exactly the turns that were left out: the oldest ones.
			expect(turnNumbers(calls[0].turns)).toEqual(Array.from({ length: 60 - kept.length }, (_, i) => i));
			expect(calls[0].target).toBeGreaterThan(0);
			expect(result.messages[1]).toEqual({ role: 'system', content: 'Summary of earlier conversation: We discussed gardening basics at length.' });
			expect(result.summarized?.turns).toBe(calls[0].turns.length);
			expect(result.summarized?.tokensBefore).toBe(calls[0].turns.reduce((sum, m) => sum + countMessageTokens(m), 0));
			expect(result.summarized?.tokensAfter).toBe(countMessageTokens(result.messages[1]));
			expect(result.tokensSaved).toBe(countChatTokens([result.messages[0], ...history, result.messages[result.messages.length - 1]]) - result.promptTokens);
			expect(result.promptTokens).toBeLessThanOrEqual(2048 - 256);
		});

		it('does not call the summarizer when everything fits', async () => {
			const summarize = jest.fn(async () => 'unused');
			const result = await fitContext({ ...base, history: conversation(4), strategy: 'summarize', summarize });
			expect(summarize).not.toHaveBeenCalled();
			expect(result.summarized).toBeUndefined();
		});

		it('drops a summary that comes back too long and falls back to dropping the oldest turns', async () => {
			const history = conversation(60);
			const summarize = async () => 'An endless summary. '.repeat(2000);
			const result = await fitContext({ ...base, history, strategy: 'summarize', summarize });
			const plain = await fitContext({ ...base, history });
			expect(result.summarized).toBeUndefined();
			expect(result.messages).toEqual(plain.messages);
		});

		it('requires the callback', async () => {
			await expect(fitContext({ ...base, strategy: 'summarize' })).rejects.toThrow(/summarize callback/);
		});
	});

	describe("strategy 'chunk'", () => {
		it('keeps the most relevant chunk of a long document', async () => {
			const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} covers fertiliser ratios, compost heaps and mulching depth in general terms.`.repeat(3));
			paragraphs[17] = 'Tomatoes should be watered at the base early in the morning, deeply, about twice a week.';
			const documents = [{ id: 'manual', text: paragraphs.join('\n\n') }];
			const result = await fitContext({ ...base, documents, numCtx: 1024, strategy: 'chunk', chunkTokens: 64 });
			const block = documentsBlock(result.messages) as string;
			expect(block).toContain('Tomatoes should be watered at the base');
			expect(block).toMatch(/\[manual part \d+\/\d+\]/);
			expect(result.dropped.chunks).toBeGreaterThan(0);
			expect(result.dropped.documents).toBe(0);
			expect(result.promptTokens).toBeLessThanOrEqual(1024 - 256);

			const whole = await fitContext({ ...base, documents, numCtx: 1024 });
			expect(documentsBlock(whole.messages)).toBeUndefined();
			expect(whole.dropped.documents).toBe(1);
		});
	});
});
