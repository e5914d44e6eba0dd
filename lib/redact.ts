/** Replaces every secret in a text with '***', so it can go to a log, an error or a status file. */
export function redact(text: string, secrets: Array<string | undefined>): string {
	let out = text;
	for (const secret of secrets) {
		if (!secret || secret.length < 4) continue;
		out = out.split(secret).join('***');
	}
	return out;
}
