import { callbackRetryDelayMs } from '../../../lib/px/complete';

describe('callbackRetryDelayMs: a later run retries an undelivered callback after 5, 10, 20, 40 minutes, then hourly', () => {
	it.each<[number, number]>([
		[0, 5],
		[1, 5],
		[2, 10],
		[3, 20],
		[4, 40],
		[5, 60],
		[6, 60],
		[50, 60],
	])('after %i runs that tried: %i minutes', (runs, minutes) => {
		expect(callbackRetryDelayMs(runs)).toBe(minutes * 60_000);
	});
});
