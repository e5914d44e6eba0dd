import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import {
	indexDirectory,
	matchRows,
	MissingMatchingColumnError,
	type MatcherOptions,
	type ScopeFilter,
} from '../../lib/matching/matcher';
import type { MatchingType } from '../../lib/matching/normalise';
import { IMPORT_KEY, importOfItem } from '../../lib/importMetadata';
import { handOnRows, outputProperties, rowOutputOf, withoutImport } from '../shared/rowOutput';

export class AccountMatcher implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Account Matcher',
		name: 'accountMatcher',
		icon: { light: 'file:accountMatcher.svg', dark: 'file:accountMatcher.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ ($parameter["entity"] === "stakeholder" ? "Stakeholders by " : "Accounts by ") + ({ crmId: "CRM ID", name: "name", domain: "domain", appId: "app ID", email: "email" })[$parameter["entity"] === "stakeholder" ? $parameter["stakeholderMatchingType"] : $parameter["accountMatchingType"]] }}',
		description:
			'Matches imported rows to accounts or stakeholders by CRM ID, name, domain, app ID or email; one row per account',
		defaults: { name: 'Account Matcher' },
		inputs: [
			{ type: NodeConnectionTypes.Main, displayName: 'Rows' },
			{ type: NodeConnectionTypes.Main, displayName: 'Directory' },
		],
		inputNames: ['Rows', 'Directory'],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Matched', 'Unmatched', 'Ambiguous'],
		properties: [
			{
				displayName:
					'Connect the imported rows (the Field Mapper’s output) to <b>Rows</b>, and your accounts or stakeholders, one item each (from your CRM or database node), to <b>Directory</b>. Each row comes out on Matched (with your system’s ID for it in _match), Unmatched or Ambiguous, with the reason.',
				name: 'wiringNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Entity',
				name: 'entity',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Account', value: 'account' },
					{ name: 'Stakeholder', value: 'stakeholder' },
				],
				default: 'account',
			},
			{
				displayName: 'Matching Property Name',
				name: 'matchingColumn',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'salesforce_id',
				description: 'The CSV column that holds the identity (a column header, not a field label)',
			},
			{
				displayName: 'Matching Type',
				name: 'accountMatchingType',
				type: 'options',
				options: [
					{ name: 'CRM ID (Recommended)', value: 'crmId' },
					{ name: 'Name', value: 'name' },
					{ name: 'Domain', value: 'domain' },
					{ name: 'App ID', value: 'appId' },
				],
				default: 'crmId',
				displayOptions: { show: { entity: ['account'] } },
			},
			{
				displayName: 'Matching Type',
				name: 'stakeholderMatchingType',
				type: 'options',
				options: [
					{ name: 'CRM ID (Recommended)', value: 'crmId' },
					{ name: 'Email', value: 'email' },
				],
				default: 'crmId',
				displayOptions: { show: { entity: ['stakeholder'] } },
			},
			{
				displayName: 'Directory Field to Match On',
				name: 'directoryKeyField',
				type: 'string',
				default: 'crmId',
				required: true,
				description:
					'The field of the Directory items compared with the Matching Property (the same CRM ID, name, domain, app ID or email)',
			},
			{
				displayName: 'Directory Field to Return',
				name: 'directoryIdField',
				type: 'string',
				default: 'id',
				required: true,
				description:
					'The field of the matched Directory item whose value is attached to the matched row in _match (your system’s account or stakeholder ID)',
			},
			{
				displayName: 'Duplicates',
				name: 'duplicates',
				type: 'options',
				options: [
					{
						name: 'Reject All',
						value: 'rejectAll',
						description: 'Every row of a duplicated account goes to Unmatched',
					},
					{ name: 'Keep First', value: 'keepFirst' },
					{ name: 'Keep Last', value: 'keepLast' },
					{
						name: 'Keep All',
						value: 'keepAll',
						description:
							'Rows are not one per account (e.g. users that belong to accounts): keep every matched row',
					},
				],
				default: 'rejectAll',
				description:
					'What to do when several rows are for the same account (and the same date, when rows have a date column)',
			},
			{
				displayName: 'Account Scope',
				name: 'scope',
				type: 'options',
				options: [
					{ name: 'All Accounts', value: 'all' },
					{ name: 'Accounts Matching Filters', value: 'filter' },
				],
				default: 'all',
				displayOptions: { show: { entity: ['account'] } },
			},
			{
				displayName: 'Filters',
				name: 'filters',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				placeholder: 'Add Filter',
				default: {},
				displayOptions: { show: { entity: ['account'], scope: ['filter'] } },
				options: [
					{
						displayName: 'Filter',
						name: 'filter',
						values: [
							{ displayName: 'Field', name: 'field', type: 'string', default: '' },
							{
								displayName: 'Operator',
								name: 'operator',
								type: 'options',
								options: [
									{ name: 'Contains', value: 'contains' },
									{ name: 'Equals', value: 'equals' },
									{ name: 'Is Empty', value: 'isEmpty' },
									{ name: 'Is Not Empty', value: 'isNotEmpty' },
									{ name: 'Not Equals', value: 'notEquals' },
								],
								default: 'equals',
							},
							{ displayName: 'Value', name: 'value', type: 'string', default: '' },
						],
					},
				],
			},
			{
				displayName: 'Leave Out by Status',
				name: 'excludeStatuses',
				type: 'boolean',
				default: false,
				description:
					'Whether to leave out accounts whose status is in a list (by default Churned and Prospect): their rows go to Unmatched, saying so',
				displayOptions: { show: { entity: ['account'] } },
			},
			{
				displayName: 'Status Field',
				name: 'statusField',
				type: 'string',
				default: 'status',
				displayOptions: { show: { entity: ['account'], excludeStatuses: [true] } },
			},
			{
				displayName: 'Statuses to Leave Out',
				name: 'excludedStatuses',
				type: 'string',
				default: 'Churned, Prospect',
				description: 'Comma-separated status values',
				displayOptions: { show: { entity: ['account'], excludeStatuses: [true] } },
			},
			{
				displayName: 'Date Column',
				name: 'dateColumn',
				type: 'string',
				default: 'date',
				description:
					'With this column in the rows, duplicates are counted per account and date (history loads)',
			},
			...outputProperties(
				{},
				'its fields and _match; batches hold the Matched output’s rows (Unmatched and Ambiguous stay one item per row)',
			),
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const rows = this.getInputData(0);
		const directory = this.getInputData(1) ?? [];
		const entity = this.getNodeParameter('entity', 0) as 'account' | 'stakeholder';
		const excludeStatuses =
			entity === 'account' && (this.getNodeParameter('excludeStatuses', 0, false) as boolean);
		const scope =
			entity === 'account' ? (this.getNodeParameter('scope', 0, 'all') as string) : 'all';
		const options: MatcherOptions = {
			entity,
			matchingType: this.getNodeParameter(
				entity === 'account' ? 'accountMatchingType' : 'stakeholderMatchingType',
				0,
			) as MatchingType,
			matchingColumn: (this.getNodeParameter('matchingColumn', 0) as string).trim(),
			directoryKeyField: (this.getNodeParameter('directoryKeyField', 0) as string).trim(),
			directoryIdField: (this.getNodeParameter('directoryIdField', 0) as string).trim(),
			duplicates: this.getNodeParameter('duplicates', 0) as MatcherOptions['duplicates'],
			dateColumn: (this.getNodeParameter('dateColumn', 0, 'date') as string).trim(),
			scope: {
				filters:
					scope === 'filter'
						? (((this.getNodeParameter('filters', 0, {}) as { filter?: ScopeFilter[] }).filter ??
								[]) as ScopeFilter[])
						: [],
				statusField: excludeStatuses
					? (this.getNodeParameter('statusField', 0) as string)
					: undefined,
				excludedStatuses: excludeStatuses
					? String(this.getNodeParameter('excludedStatuses', 0))
							.split(',')
							.map((s) => s.trim())
							.filter(Boolean)
					: [],
			},
		};
		let index;
		let result;
		try {
			if (!options.matchingColumn) {
				throw new NodeOperationError(this.getNode(), 'Matching Property Name is empty', {
					description: 'Enter the CSV column that holds the identity, e.g. salesforce_id.',
				});
			}
			index = indexDirectory(
				directory.map((d) => d.json),
				options,
			);
			result = matchRows(
				rows.map((r) => r.json),
				index,
				options,
				(i) => importOfItem(rows[i]),
			);
		} catch (error) {
			const failure =
				error instanceof NodeOperationError
					? error
					: new NodeOperationError(this.getNode(), error as Error, {
							description:
								error instanceof MissingMatchingColumnError
									? undefined
									: 'The rows could not be matched.',
						});
			if (!this.continueOnFail()) throw failure;
			// Continue On Fail: no row is matched and none is dropped. Every row goes to Unmatched
			// with the reason. With n8n's error output chosen, each row goes there instead, as n8n
			// builds it: the item says only its error, and n8n adds the row's fields from its paired
			// item (an item's own fields would be replaced by its error).
			const toErrorOutput = this.getNode().onError === 'continueErrorOutput';
			const unmatched = rows.map((r, i): INodeExecutionData => ({
				json: toErrorOutput
					? { error: failure.message }
					: (Object.assign({}, r.json, {
							_match: {
								entity,
								matchingType: options.matchingType,
								value: String(r.json[options.matchingColumn] ?? ''),
								reason: failure.message,
							},
						}) as IDataObject),
				...(r[IMPORT_KEY] !== undefined ? { [IMPORT_KEY]: r[IMPORT_KEY] } : {}),
				pairedItem: { item: i, input: 0 },
			}));
			return [[], unmatched, []];
		}
		const summary = `${index.inScope} of ${index.total} ${entity}s in scope; ${result.matched.length} rows matched, ${result.unmatched.length} unmatched, ${result.ambiguous.length} ambiguous, ${result.duplicates} duplicates`;
		this.logger.info(`Account Matcher: ${summary}`);
		this.addExecutionHints?.({ message: summary, location: 'outputPane' });
		const out = (list: typeof result.matched): INodeExecutionData[] =>
			list.map(({ source, match }) => ({
				// Object.assign, not a spread: a spread with an added key costs ~3x the memory per row.
				json: Object.assign({}, rows[source].json, { _match: match }) as IDataObject,
				// Rows of the Field Mapper's version 3 carry their import metadata beside their JSON.
				...(rows[source][IMPORT_KEY] !== undefined
					? { [IMPORT_KEY]: rows[source][IMPORT_KEY] }
					: {}),
				pairedItem: { item: source, input: 0 },
			}));
		// Matched rows in batches: match on rows, then one call per batch to the destination.
		const matched =
			this.getNodeParameter('output', 0, 'rows') === 'batches'
				? handOnRows(
						result.matched.map(({ source, match }) => ({
							json: Object.assign({}, withoutImport(rows[source].json), { _match: match }),
							meta: importOfItem(rows[source]),
							paired: { item: source, input: 0 },
						})),
						rowOutputOf((name, fallback) => this.getNodeParameter(name, 0, fallback), 'item'),
					)
				: out(result.matched);
		return [matched, out(result.unmatched), out(result.ambiguous)];
	}
}
