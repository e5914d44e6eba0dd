import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/** The encodings a CSV file may be read in: the trigger's and the Field Mapper's choice. */
export const ENCODING_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'UTF-8',
		value: 'utf-8',
		description: 'The default; invalid bytes are an error that names the line',
	},
	{
		name: 'Windows-1252',
		value: 'windows-1252',
		description:
			'What Excel on Windows saves as “CSV”: €, curly quotes and dashes in bytes 0x80-0x9F',
	},
	{
		name: 'Latin-1 (ISO-8859-1)',
		value: 'latin1',
		description: 'True ISO-8859-1; a byte 0x80-0x9F (a Windows-1252 character) is an error',
	},
	{ name: 'UTF-16 LE', value: 'utf-16le' },
];

/** The bare-quotes choice (csv-parse's relaxed quotes), off by default: strict RFC 4180. */
export function allowBareQuotesOption(
	displayOptions?: INodeProperties['displayOptions'],
): INodeProperties {
	return {
		displayName: 'Allow Bare Quotes',
		name: 'allowBareQuotes',
		type: 'boolean',
		default: false,
		description:
			'Whether a quote inside an unquoted field (5\'11", 12" pipe), as some exports write it, is read as an ordinary character (what Extract From File calls Preserve Quotes). Off, such a file is refused with the line.',
		...(displayOptions ? { displayOptions } : {}),
	};
}
