import { parseKeepAlive } from './keep-alive';

describe('parseKeepAlive', () => {
	it('reads whole numbers as seconds and keeps durations as text', () => {
		expect(parseKeepAlive('-1')).toBe(-1);
		expect(parseKeepAlive(' 300 ')).toBe(300);
		expect(parseKeepAlive('0')).toBe(0);
		expect(parseKeepAlive('30m')).toBe('30m');
		expect(parseKeepAlive('1.5')).toBe('1.5');
	});

	it('leaves an empty field to the server default', () => {
		expect(parseKeepAlive('')).toBeUndefined();
		expect(parseKeepAlive('  ')).toBeUndefined();
		expect(parseKeepAlive(undefined)).toBeUndefined();
		expect(parseKeepAlive(null)).toBeUndefined();
	});
});
