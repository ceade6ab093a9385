/**
 * Prompt (KV) cache per slot, after the runner's LoadCacheSlot / findLongestCacheSlot: a request
 * takes the free slot with the longest common token prefix and prefills only the rest.
 * prompt_eval_count: the whole prompt (llm/llama_server.go CacheN + PromptN since v0.30.1, and the
 * Go runners before v0.30.0); only the uncached part on v0.30.0's llama-server builds.
 */
import { Simulator } from './index';
import { postJson, simulators } from './testutil';

const MODELS = [{ name: 'sim:8b', family: 'sim', contextLength: 32768 }];
const sim = simulators({ models: MODELS, loadMs: 0, timeScale: 0.2 });

const SYSTEM = { role: 'system', content: 'You are a careful assistant. '.repeat(150) }; // ~750 tokens
type Msg = { role: string; content: string };
const chat = (s: Simulator, messages: Msg[]) =>
	postJson(`${s.url}/api/chat`, { model: 'sim:8b', messages, stream: false, options: { num_predict: 3 } });

async function conversation(s: Simulator, who: string): Promise<{ first: any; second: any }> {
	const turn1: Msg[] = [SYSTEM, { role: 'user', content: `${who}: what is the plan?` }];
	const first = (await chat(s, turn1)).json;
	const turn2: Msg[] = [...turn1, { role: 'assistant', content: first.message.content }, { role: 'user', content: `${who}: and then?` }];
	const second = (await chat(s, turn2)).json;
	return { first, second };
}

test('the next turn of a conversation prefills only what is new; prompt_eval_count stays the whole prompt', async () => {
	const s = await sim({ parallel: 1 });
	const { first, second } = await conversation(s, 'ann');
	expect(second.prompt_eval_count).toBeGreaterThan(first.prompt_eval_count);
	const cached = s.stats.cachedPromptTokens;
	// everything up to the previous reply was in the slot
	expect(cached).toBeGreaterThan(first.prompt_eval_count);
	expect(second.prompt_eval_count - cached).toBeLessThan(30);
	expect(second.prompt_eval_duration).toBeLessThan(first.prompt_eval_duration / 5);
	expect(s.loadedModels()[0].cachedTokens[0]).toBeGreaterThan(second.prompt_eval_count);
	// the same prompt again: everything but the last token comes from the cache (one is left to sample)
	const before = s.stats.cachedPromptTokens;
	const again = await chat(s, [SYSTEM, { role: 'user', content: 'ann: what is the plan?' }]);
	expect(s.stats.cachedPromptTokens - before).toBe(again.json.prompt_eval_count - 1);
});

test('version 0.30.0 reports only the uncached part in prompt_eval_count; 0.30.1 the whole prompt again', async () => {
	const old = await sim({ parallel: 1, version: '0.30.0' });
	const a = await conversation(old, 'bob');
	const cached = old.stats.cachedPromptTokens;
	expect(a.second.prompt_eval_count).toBeLessThan(30);
	const fixed = await sim({ parallel: 1, version: '0.30.1' });
	const b = await conversation(fixed, 'bob');
	expect(b.second.prompt_eval_count).toBe(a.second.prompt_eval_count + cached);
	expect(b.first.prompt_eval_count).toBe(a.first.prompt_eval_count);
});

test('findLongestCacheSlot lets a second user overwrite the first one\'s slot; OLLAMA_MULTIUSER_CACHE keeps both', async () => {
	const t1 = (who: string): Msg[] => [SYSTEM, { role: 'user', content: `${who} asks about topic ${who} ${'in great detail '.repeat(10)}` }];
	const run = async (s: Simulator) => {
		const a1 = (await chat(s, t1('ann'))).json;
		await chat(s, t1('bob'));
		const before = s.stats.cachedPromptTokens;
		await chat(s, [...t1('ann'), { role: 'assistant', content: a1.message.content }, { role: 'user', content: 'more' }]);
		return s.stats.cachedPromptTokens - before;
	};
	// default: bob's prompt shares the system prompt with ann's slot, so he takes (and overwrites) it
	const longest = await run(await sim({ parallel: 2 }));
	// multi-user: bob gets the other slot (with the shared prefix copied), ann's turn is still there
	const best = await run(await sim({ parallel: 2, multiUserCache: true }));
	expect(longest).toBeGreaterThan(1000); // the shared system prompt
	expect(best).toBeGreaterThan(longest + 30); // plus ann's question and the reply
});
