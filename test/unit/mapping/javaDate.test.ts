import { compileDatePattern } from '../../../lib/mapping/javaDate';

describe('Java-style date patterns', () => {
	it("reads YYYYMMDD as year-month-day, as Gainsight PX's S3 import guide means it", () => {
		const p = compileDatePattern('YYYYMMDD');
		expect(p.parse('20211225')?.date).toBe('2021-12-25');
		expect(p.parse('20211325')).toBeUndefined();
		expect(p.parse('2021122')).toBeUndefined();
	});

	it('is strict: 2024-02-30 is an error, not a rolled-over date', () => {
		const p = compileDatePattern('yyyy-MM-dd');
		expect(p.parse('2024-02-29')?.date).toBe('2024-02-29');
		expect(p.parse('2024-02-30')).toBeUndefined();
		expect(p.parse('2023-02-29')).toBeUndefined();
		expect(p.parse('2024-2-3')).toBeUndefined();
	});

	it("accepts Z and offsets under yyyy-MM-dd'T'HH:mm:ssX, and outputs ISO 8601 in UTC", () => {
		const p = compileDatePattern("yyyy-MM-dd'T'HH:mm:ssX");
		expect(p.parse('2021-06-25T13:55:42Z')?.dateTime).toBe('2021-06-25T13:55:42.000Z');
		expect(p.parse('2021-06-25T13:55:42+02')?.dateTime).toBe('2021-06-25T11:55:42.000Z');
		expect(p.parse('2021-06-25T13:55:42-0530')?.dateTime).toBe('2021-06-25T19:25:42.000Z');
		expect(p.parse('2021-06-25T25:55:42Z')).toBeUndefined();
		expect(
			compileDatePattern("yyyy-MM-dd'T'HH:mm:ssXXX").parse('2021-06-25T13:55:42+02:00')?.dateTime,
		).toBe('2021-06-25T11:55:42.000Z');
	});

	it('warns when mm (minutes) is used with no hour, where MM (month) was meant', () => {
		expect(compileDatePattern('yyyy-mm-dd').warnings[0]).toMatch(/'mm' \(minutes\).*'MM'/);
		expect(compileDatePattern('yyyy-MM-dd HH:mm').warnings).toEqual([]);
	});

	it('handles month names, 12-hour clocks, fractions and unsupported letters', () => {
		expect(compileDatePattern('dd MMM yyyy').parse('05 Mar 2024')?.date).toBe('2024-03-05');
		expect(compileDatePattern('MM/dd/yyyy hh:mm a').parse('03/05/2024 01:30 PM')?.dateTime).toBe(
			'2024-03-05T13:30:00.000Z',
		);
		expect(
			compileDatePattern('yyyy-MM-dd HH:mm:ss.SSS').parse('2024-03-05 01:02:03.450')?.dateTime,
		).toBe('2024-03-05T01:02:03.450Z');
		expect(() => compileDatePattern('yyyy-MM-dd Q')).toThrow(/letter 'Q'/);
	});
});
