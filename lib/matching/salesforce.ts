/** Salesforce IDs as CRM IDs: the 15- and 18-character forms and the checksum between them. */

/** A value turned into the key it is compared by, or the reason it cannot match anything. */
export type MatchKey = { key: string } | { reason: string };

const SF_SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 18-character form of a 15-character Salesforce ID (its 3-character case checksum added). */
export function salesforce18(id15: string): string {
	let suffix = '';
	for (let chunk = 0; chunk < 3; chunk++) {
		let bits = 0;
		for (let i = 0; i < 5; i++) {
			const c = id15.charCodeAt(chunk * 5 + i);
			if (c >= 65 && c <= 90) bits |= 1 << i;
		}
		suffix += SF_SUFFIX_CHARS[bits];
	}
	return id15 + suffix;
}

/** True for [A-Za-z0-9] only. */
function alphanumeric(id: string): boolean {
	for (let i = 0; i < id.length; i++) {
		const c = id.charCodeAt(i);
		if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
	}
	return true;
}

/**
 * The case-correct 15-character ID that an 18-character Salesforce ID stands for, whatever case
 * it was written in (its last three characters encode the case), or undefined if it is not one.
 */
function salesforce15Of18(id: string): string | undefined {
	let restored = '';
	for (let chunk = 0; chunk < 3; chunk++) {
		const bits = SF_SUFFIX_CHARS.indexOf(id[15 + chunk].toUpperCase());
		if (bits === -1) return undefined;
		for (let i = 0; i < 5; i++) {
			const c = id[chunk * 5 + i];
			const upper = (bits & (1 << i)) !== 0;
			const lower = c.toLowerCase();
			// A position marked upper-case must hold a letter.
			if (upper && lower === c.toUpperCase()) return undefined;
			restored += upper ? c.toUpperCase() : lower;
		}
	}
	return restored;
}

export const INVALID_SALESFORCE_CHECKSUM = 'invalid Salesforce ID checksum';

/**
 * CRM IDs: trimmed. A 15-character Salesforce ID matches its 18-character form; 18-character IDs
 * compare case-insensitively (their last three characters encode the case), 15-character IDs never.
 * An 18-character ID whose last three characters cannot be its checksum (a suffix character outside
 * the checksum alphabet, or one that marks a digit as upper-case) is refused: rebuilt anyway, it
 * could match a different record. IDs of digits only are not Salesforce IDs and compare exactly.
 */
export function crmIdKey(value: string): MatchKey {
	const id =
		value.length > 0 && (value.charCodeAt(0) <= 32 || value.charCodeAt(value.length - 1) <= 32)
			? value.trim()
			: value;
	if (!id) return { reason: 'the CRM ID is empty' };
	if (/^\d+$/.test(id)) return { key: `id:${id}` };
	if (id.length === 15 && alphanumeric(id)) return { key: `sf:${id}` };
	if (id.length === 18 && alphanumeric(id)) {
		const id15 = salesforce15Of18(id);
		return id15 ? { key: `sf:${id15}` } : { reason: INVALID_SALESFORCE_CHECKSUM };
	}
	return { key: `id:${id}` };
}
