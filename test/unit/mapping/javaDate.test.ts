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

/**
 * The fast path for fixed-width patterns (digits read at their places, no regular expression, no
 * `Date` for a date seen before) against the general parser, on generated texts: valid dates and
 * times, the last day of each month in leap and common years, years below 100, every offset form,
 * out-of-range fields, a wrong separator, spaces around the text.
 */
describe('fixed-width patterns read fast, as the general parser reads them', () => {
	const PATTERNS = [
		'yyyy-MM-dd',
		'YYYYMMDD',
		'dd/MM/yyyy',
		'MM/dd/yy',
		"yyyy-MM-dd'T'HH:mm:ssX",
		"yyyy-MM-dd'T'HH:mm:ssXXX",
		"yyyy-MM-dd'T'HH:mm:ss.SSSZ",
		'yyyy-MM-dd HH:mm:ss.S',
		'yyyyMMddHHmmssSS',
		'yyyy-MM-dd hh:mm a',
		'yyyy-MM-dd kk:mm',
		'yyyy-MM-dd KK:mm ax',
	];
	let seed = 7;
	const random = () => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return seed / 2147483648;
	};
	const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
	const two = () => String(Math.floor(random() * 100)).padStart(2, '0');
	/** A text for the pattern: mostly valid values, sometimes off by a little. */
	function text(pattern: string): string {
		const year = pick(['2024', '2023', '1900', '2000', '0099', '0004', '9999', '0000']);
		const month = pick(['01', '02', '04', '12', '13', '00', two()]);
		const day = pick(['01', '28', '29', '30', '31', '32', '00', two()]);
		const hour = pick(['00', '11', '12', '13', '23', '24', '25', two()]);
		let out = pattern
			.replace(/'T'/, 'T')
			.replace(/yyyy|YYYY/, year)
			.replace('yy', year.slice(2))
			.replace(/MM/, month)
			.replace(/dd|DD/, day)
			.replace(/HH|hh|kk|KK/, hour)
			.replace('mm', pick(['00', '59', '60', two()]))
			.replace('ss', pick(['00', '59', '60', two()]))
			.replace(/S+/, (s) => '123456'.slice(0, s.length))
			.replace(/ a/, pick([' AM', ' pm', ' Pm', ' XM']))
			.replace(/X+|Z|x/, () => pick(['Z', '+02', '-0530', '+05:30', '+19', '-00:00', '+2', 'z']));
		if (random() < 0.1) out = ` ${out}`;
		if (random() < 0.05) out = out.replace('-', '/');
		return out;
	}

	it.each(PATTERNS)('%s', (pattern) => {
		const fast = compileDatePattern(pattern);
		const general = compileDatePattern(pattern, { fixedWidth: false });
		let valid = 0;
		for (let n = 0; n < 2000; n++) {
			const t = text(pattern);
			const expected = general.parse(t);
			expect({ t, date: fast.date(t), dateTime: fast.dateTime(t) }).toEqual({
				t,
				date: expected?.date,
				dateTime: expected?.dateTime,
			});
			if (expected) valid++;
		}
		expect(fast.fixedWidth).toBe(true);
		expect(valid).toBeGreaterThan(20);
	});
});
