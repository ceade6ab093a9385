import type { ChatRequest } from '../ollama';
import { canonicalJson } from './hash';
import { answerSettingsJson, chatHash } from './request-key';

const base: ChatRequest = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Hello' }] };

describe('request keys', () => {
	it('writes the usual settings directly, as the same canonical JSON the generic form gives', () => {
		const generic = (request: ChatRequest, kept: Record<string, unknown>) => canonicalJson([request.tools ?? null, request.format ?? null, request.think ?? null, kept]);
		const cases: Array<[ChatRequest, Record<string, unknown>]> = [
			[base, {}],
			[{ ...base, options: { temperature: 0 } }, { temperature: 0 }],
			[{ ...base, options: { seed: 7, temperature: 0.2, num_predict: 20, stop: undefined } as ChatRequest['options'] }, { seed: 7, temperature: 0.2, num_predict: 20 }],
			// speed-only options are left out; key order does not matter
			[{ ...base, options: { num_thread: 8, top_k: 40, num_batch: 512, mirostat: 0 } as ChatRequest['options'] }, { mirostat: 0, top_k: 40 }],
			[{ ...base, options: { stop: ['\n', 'User:'], temperature: 0 } as ChatRequest['options'] }, { stop: ['\n', 'User:'], temperature: 0 }],
			[{ ...base, format: 'json', options: { temperature: 0 } }, { temperature: 0 }],
		];
		for (const [request, kept] of cases) expect(answerSettingsJson(request)).toBe(generic(request, kept));
	});

	it('hashes requests that differ only in an answer-changing option apart, and speed-only options alike', () => {
		const a = chatHash({ ...base, options: { temperature: 0, num_predict: 10 } }, 'sha256:1');
		expect(chatHash({ ...base, options: { num_predict: 10, temperature: 0 } }, 'sha256:1')).toBe(a);
		expect(chatHash({ ...base, options: { temperature: 0, num_predict: 10, num_thread: 4 } as ChatRequest['options'] }, 'sha256:1')).toBe(a);
		expect(chatHash({ ...base, options: { temperature: 0, num_predict: 11 } }, 'sha256:1')).not.toBe(a);
		expect(chatHash({ ...base, options: { temperature: 0, num_predict: 10 } }, 'sha256:2')).not.toBe(a);
	});
});
