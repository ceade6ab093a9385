import { canonicalJson } from './canonical';

describe('canonicalJson', () => {
	it('gives one text for objects whose keys differ only in order, at any depth', () => {
		const a = { b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'z' } };
		const b = { a: { c: 'z', d: [1, { x: 1, y: 2 }] }, b: 1 };
		expect(canonicalJson(a)).toBe('{"a":{"c":"z","d":[1,{"x":1,"y":2}]},"b":1}');
		expect(canonicalJson(b)).toBe(canonicalJson(a));
	});

	it('keeps array order and drops undefined fields as JSON does', () => {
		expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
		expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
		expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
	});
});
