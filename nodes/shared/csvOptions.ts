import type { INodePropertyOptions } from 'n8n-workflow';

/** The encodings a CSV file may be read in: the trigger's and the Field Mapper's choice. */
export const ENCODING_OPTIONS: INodePropertyOptions[] = [
	{ name: 'UTF-8', value: 'utf-8' },
	{ name: 'Latin-1 (ISO-8859-1)', value: 'latin1' },
	{ name: 'UTF-16 LE', value: 'utf-16le' },
];
