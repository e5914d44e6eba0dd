/**
 * Runs nodes inside the real n8n engine: n8n-core's WorkflowExecute for executions and a real
 * PollContext for trigger polls. Only the pieces n8n's server would provide are supplied here:
 * the node types, a credentials helper serving test credentials, and lifecycle hooks.
 */
import { ExecutionLifecycleHooks, PollContext, WorkflowExecute } from 'n8n-core';
import {
	createRunExecutionData,
	ICredentialsHelper,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type ICredentialType,
	type IConnections,
	type IDataObject,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IHttpRequestOptions,
	type IWorkflowExecuteAdditionalData,
	type IVersionedNodeType,
} from 'n8n-workflow';

export const PACKAGE = 'n8n-nodes-s3-inbound';
export const TYPES = {
	trigger: `${PACKAGE}.s3CsvInboundTrigger`,
	fieldMapper: `${PACKAGE}.fieldMapper`,
	accountMatcher: `${PACKAGE}.accountMatcher`,
	statusWriter: `${PACKAGE}.pxStatusWriter`,
	destination: 'test.destination',
	directory: 'test.directory',
	copy: 'test.copy',
	binarySource: 'test.binarySource',
} as const;

class TestNodeTypes implements INodeTypes {
	/** Loaded on first use, so a test loads only the nodes it runs. */
	private readonly loaders: Record<string, () => INodeType> = {
		/* eslint-disable @typescript-eslint/no-require-imports */
		[TYPES.trigger]: () =>
			new (require('../../nodes/S3CsvInboundTrigger/S3CsvInboundTrigger.node').S3CsvInboundTrigger)(),
		[TYPES.fieldMapper]: () =>
			new (require('../../nodes/FieldMapper/FieldMapper.node').FieldMapper)(),
		[TYPES.accountMatcher]: () =>
			new (require('../../nodes/AccountMatcher/AccountMatcher.node').AccountMatcher)(),
		[TYPES.statusWriter]: () =>
			new (require('../../nodes/PxStatusWriter/PxStatusWriter.node').PxStatusWriter)(),
		[TYPES.destination]: () => new (require('./TestDestination.node').TestDestination)(),
		[TYPES.directory]: () => new (require('./TestDirectory.node').TestDirectory)(),
		[TYPES.copy]: () => new (require('./TestCopy.node').TestCopy)(),
		[TYPES.binarySource]: () => new (require('./TestBinarySource.node').TestBinarySource)(),
		/* eslint-enable @typescript-eslint/no-require-imports */
	};
	private readonly types: Record<string, INodeType | IVersionedNodeType> = {};
	/** Adds node types (n8n's own, loaded from its installation by the tests that need them). */
	register(nodeType: string, load: () => INodeType | IVersionedNodeType): void {
		this.loaders[nodeType] = load as () => INodeType;
	}
	getByName(nodeType: string): INodeType | IVersionedNodeType {
		return this.load(nodeType);
	}
	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		const type = this.load(nodeType);
		return 'nodeVersions' in type ? type.getNodeType(version) : type;
	}
	private load(nodeType: string): INodeType | IVersionedNodeType {
		if (!this.types[nodeType]) {
			const load = this.loaders[nodeType];
			if (!load) throw new Error(`Unknown node type in test: ${nodeType}`);
			this.types[nodeType] = load();
		}
		return this.types[nodeType];
	}
	getKnownTypes(): IDataObject {
		return {};
	}
}

export const nodeTypes = new TestNodeTypes();

const CREDENTIAL_TYPES: Record<string, () => unknown> = {
	/* eslint-disable @typescript-eslint/no-require-imports */
	importStatusCallbackApi: () =>
		new (require('../../credentials/ImportStatusCallbackApi.credentials').ImportStatusCallbackApi)(),
	s3InboundAwsApi: () =>
		new (require('../../credentials/S3InboundAwsApi.credentials').S3InboundAwsApi)(),
	/* eslint-enable @typescript-eslint/no-require-imports */
};

/** Serves credentials by type, as n8n's CredentialsHelper would after decrypting them. */
class TestCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly byType: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}
	getParentTypes(): string[] {
		return [];
	}
	isCredentialUsableByNode(): boolean {
		return true;
	}
	/**
	 * Applies the credential type's own `authenticate` block to a request, as n8n's server-side
	 * CredentialsHelper does for generic authentication (which lives in the n8n package, not in
	 * n8n-core): its headers and query values, with `{{$credentials.x}}` resolved.
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		type: string,
		options: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const load = CREDENTIAL_TYPES[type];
		const authenticate = load ? (load() as ICredentialType).authenticate : undefined;
		if (!authenticate || typeof authenticate === 'function') return options;
		const resolve = (value: unknown) =>
			typeof value === 'string'
				? value.replace(/^=\{\{\s*\$credentials\.(\w+)\s*\}\}$/, (_m, name: string) =>
						String(credentials[name] ?? ''),
					)
				: value;
		const result = {
			...options,
			headers: { ...(options.headers ?? {}) },
			qs: { ...(options.qs ?? {}) },
		};
		for (const [name, value] of Object.entries(authenticate.properties.headers ?? {}))
			result.headers[name] = resolve(value) as string;
		for (const [name, value] of Object.entries(authenticate.properties.qs ?? {}))
			result.qs[name] = resolve(value) as string;
		return result;
	}
	async preAuthentication(): Promise<undefined> {
		return undefined;
	}
	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}
	async getCredentials(_details: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		throw new Error(`getCredentials(${type}) is not used by these nodes`);
	}
	async getDecrypted(
		_a: IWorkflowExecuteAdditionalData,
		_d: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.byType[type];
		if (!data) throw new Error(`No test credential of type ${type}`);
		return structuredClone(data);
	}
	async updateCredentials(): Promise<void> {}
	async updateCredentialsOauthTokenData(): Promise<void> {}
	getCredentialsProperties(): INodeProperties[] {
		return [];
	}
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TestCredentials = Record<string, any>;

/** Sub-workflows by id, for n8n's Execute Sub-workflow node (see `registerSubWorkflow`). */
const subWorkflows = new Map<string, WorkflowSpec>();
/** Every sub-execution run in this process, in order, with the workflow it ran. */
export const subExecutions: Array<{ workflowId: string; run: IRun }> = [];

/** Makes a workflow callable by n8n's Execute Sub-workflow node (source: database, by id). */
export function registerSubWorkflow(id: string, spec: WorkflowSpec): void {
	subWorkflows.set(id, spec);
}

/**
 * What n8n's server does for an Execute Sub-workflow node (WorkflowExecuteAdditionalData's
 * executeWorkflow): runs the sub-workflow from its trigger with the items given, in the same
 * process, to the end, and answers with the last node's output; a failed sub-execution is an error.
 */
async function executeSubWorkflow(
	credentials: TestCredentials,
	workflowInfo: { id?: string },
	_additionalData: IWorkflowExecuteAdditionalData,
	options: { inputData?: INodeExecutionData[] },
): Promise<{ executionId: string; data: Array<INodeExecutionData[] | null> }> {
	const spec = workflowInfo.id ? subWorkflows.get(workflowInfo.id) : undefined;
	if (!spec) throw new Error(`No sub-workflow with id ${workflowInfo.id ?? '?'}`);
	const workflow = new Workflow({
		id: workflowInfo.id,
		name: `sub-workflow ${workflowInfo.id}`,
		nodes: spec.nodes,
		connections: spec.connections,
		active: false,
		nodeTypes,
		staticData: {},
		settings: { executionOrder: 'v1' },
	});
	const start = spec.nodes.find((n) => n.type === 'n8n-nodes-base.executeWorkflowTrigger');
	if (!start) throw new Error('The sub-workflow has no When Executed by Another Workflow node');
	const run = await execute(workflow, start.name, [options.inputData ?? []], credentials);
	subExecutions.push({ workflowId: workflowInfo.id!, run });
	const error = run.data.resultData.error;
	if (error) throw new Error(error.message);
	const last = run.data.resultData.lastNodeExecuted;
	const task = last ? run.data.resultData.runData[last]?.at(-1) : undefined;
	return { executionId: `sub-${subExecutions.length}`, data: task?.data?.main ?? [] };
}

export function additionalDataFor(credentials: TestCredentials): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper: new TestCredentialsHelper(credentials),
		executeWorkflow: async (
			workflowInfo: { id?: string },
			additionalData: IWorkflowExecuteAdditionalData,
			options: { inputData?: INodeExecutionData[] },
		) => await executeSubWorkflow(credentials, workflowInfo, additionalData, options),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formBaseUrl: 'http://127.0.0.1:5678/form',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		formTestBaseUrl: 'http://127.0.0.1:5678/form-test',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		mcpBaseUrl: 'http://127.0.0.1:5678/mcp',
		mcpTestBaseUrl: 'http://127.0.0.1:5678/mcp-test',
		variables: {},
		userId: 'test-user',
		workflowId: 'test-workflow',
	} as unknown as IWorkflowExecuteAdditionalData;
}

export interface WorkflowSpec {
	nodes: INode[];
	connections: IConnections;
	/** Kept between polls and activations, as n8n keeps it in its database. */
	staticData?: IDataObject;
}

export function buildWorkflow(spec: WorkflowSpec): Workflow {
	return new Workflow({
		id: 'test-workflow',
		name: 'test workflow',
		nodes: spec.nodes,
		connections: spec.connections,
		active: true,
		nodeTypes,
		staticData: spec.staticData ?? {},
		settings: { executionOrder: 'v1' },
	});
}

/** Calls the trigger's poll() with a real PollContext, as n8n's poll scheduler does. */
export async function poll(
	workflow: Workflow,
	triggerName: string,
	credentials: TestCredentials,
	mode: 'trigger' | 'manual' = 'trigger',
): Promise<INodeExecutionData[][] | null> {
	const node = workflow.getNode(triggerName);
	if (!node) throw new Error(`No node named ${triggerName}`);
	const type = nodeTypes.getByNameAndVersion(node.type);
	if (!type.poll) throw new Error(`${triggerName} is not a polling trigger`);
	const emitted: INodeExecutionData[][][] = [];
	const context = new PollContext(
		workflow,
		node,
		additionalDataFor(credentials),
		mode,
		mode === 'manual' ? 'manual' : 'activate',
		(data) => emitted.push(data),
	);
	return await type.poll.call(context);
}

/** Runs a whole execution from the trigger with the data its poll returned, as n8n does after a poll. */
export async function execute(
	workflow: Workflow,
	triggerName: string,
	triggerData: INodeExecutionData[][],
	credentials: TestCredentials,
	/** Called (and awaited) after each node, as n8n's nodeExecuteAfter hook. */
	onNodeFinished?: (nodeName: string) => unknown,
): Promise<IRun> {
	const node = workflow.getNode(triggerName);
	if (!node) throw new Error(`No node named ${triggerName}`);
	const additionalData = additionalDataFor(credentials);
	const workflowData = {
		id: workflow.id,
		name: workflow.name ?? 'test',
		nodes: Object.values(workflow.nodes),
		connections: workflow.connectionsBySourceNode,
		active: true,
		activeVersionId: null,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
		settings: { executionOrder: 'v1' as const },
	};
	additionalData.hooks = new ExecutionLifecycleHooks(
		'trigger',
		'test-execution',
		workflowData as never,
	);
	if (onNodeFinished)
		additionalData.hooks.addHandler('nodeExecuteAfter', async (nodeName) => {
			await onNodeFinished(nodeName);
		});
	const runData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node, data: { main: triggerData }, source: null }],
		},
	});
	const engine = new WorkflowExecute(additionalData, 'trigger', runData);
	return await engine.processRunExecutionData(workflow);
}

/** Poll, and when there is something, run the execution. */
export async function pollAndRun(
	workflow: Workflow,
	triggerName: string,
	credentials: TestCredentials,
): Promise<IRun | null> {
	const data = await poll(workflow, triggerName, credentials);
	if (!data) return null;
	return await execute(workflow, triggerName, data, credentials);
}

/** The items a node put on one of its outputs in a run. */
export function outputOf(run: IRun, nodeName: string, outputIndex = 0): INodeExecutionData[] {
	const task = run.data.resultData.runData[nodeName];
	if (!task) return [];
	return task.flatMap((t) => t.data?.main?.[outputIndex] ?? []);
}

/** The error a run stopped on, if any. */
export function runError(run: IRun): string | undefined {
	const error = run.data.resultData.error;
	return error
		? `${error.message}${error.description ? ` (${error.description})` : ''}`
		: undefined;
}

let nodeCounter = 0;
export function node(
	name: string,
	type: string,
	parameters: object,
	extra: Partial<INode> = {},
): INode {
	nodeCounter += 1;
	const credentials: INode['credentials'] = {};
	if (type === TYPES.trigger || type === TYPES.statusWriter || type === TYPES.fieldMapper)
		credentials.s3InboundAwsApi = { id: 'aws', name: 'S3 Inbound AWS' };
	if (type === TYPES.statusWriter)
		credentials.importStatusCallbackApi = { id: 'cb', name: 'Import Status Callback' };
	return {
		credentials,
		id: `node-${nodeCounter}`,
		name,
		type,
		typeVersion: type === TYPES.fieldMapper ? 2 : 1,
		position: [nodeCounter * 200, 0],
		parameters: parameters as INode['parameters'],
		...extra,
	};
}

/** Connects nodes: [from, to, fromOutput?, toInput?]. */
export function connect(...links: Array<[string, string, number?, number?]>): IConnections {
	const connections: IConnections = {};
	for (const [from, to, output = 0, input = 0] of links) {
		connections[from] ??= { main: [] };
		const main = connections[from].main;
		while (main.length <= output) main.push([]);
		(main[output] ??= []).push({ node: to, type: 'main', index: input });
	}
	return connections;
}

/**
 * Records what nodes log through n8n's logger (the one `this.logger` returns), for the duration
 * of `fn`, so tests can read the log and check that no secret reaches it.
 */
export async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; logs: string[] }> {
	/* eslint-disable @typescript-eslint/no-require-imports */
	const { Container } = require('@n8n/di') as typeof import('@n8n/di');
	const { Logger } = require('@n8n/backend-common') as typeof import('@n8n/backend-common');
	/* eslint-enable @typescript-eslint/no-require-imports */
	const original = Container.get(Logger);
	const logs: string[] = [];
	const record = (level: string) => (message: string, meta?: object) => {
		logs.push(`${level}: ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}`);
	};
	const capturing = {
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
		scoped: () => capturing,
	};
	Container.set(Logger, capturing as unknown as InstanceType<typeof Logger>);
	try {
		return { result: await fn(), logs };
	} finally {
		Container.set(Logger, original);
	}
}

/**
 * The marker-folder flow of PX's S3 import guide, as the tests run it: Trigger (base folder `px`) →
 * Field Mapper (strict: id, score) → Destination (error output on) → PX Status Writer, with the
 * Field Mapper's Rejected output on the writer's third input.
 */
export function pxFlow(
	bucket: string,
	staticData: IDataObject,
	parameters: {
		destination?: object;
		statusWriterOptions?: object;
		statusWriterVersion?: number;
		trigger?: object;
		triggerOptions?: object;
		triggerVersion?: number;
		fieldMapper?: object;
		fieldMapperVersion?: number;
	} = {},
): Workflow {
	return buildWorkflow({
		nodes: [
			node(
				'Trigger',
				TYPES.trigger,
				{
					mode: 'markerFolders',
					bucketPath: bucket,
					baseFolder: 'px',
					...parameters.trigger,
					options: { leaseMinutes: 1, ...parameters.triggerOptions },
				},
				{ typeVersion: parameters.triggerVersion ?? 1 },
			),
			node(
				'Field Mapper',
				TYPES.fieldMapper,
				{
					mode: 'strict',
					fields: { field: [{ target: 'id' }, { target: 'score', type: 'number' }] },
					...parameters.fieldMapper,
				},
				{ typeVersion: parameters.fieldMapperVersion ?? 2 },
			),
			node('Destination', TYPES.destination, parameters.destination ?? {}, {
				onError: 'continueErrorOutput',
			}),
			node(
				'PX Status Writer',
				TYPES.statusWriter,
				{ sendCallback: true, options: parameters.statusWriterOptions ?? {} },
				{ typeVersion: parameters.statusWriterVersion ?? 1 },
			),
		],
		connections: connect(
			['Trigger', 'Field Mapper'],
			['Field Mapper', 'Destination', 0, 0],
			['Field Mapper', 'PX Status Writer', 1, 2],
			['Destination', 'PX Status Writer', 0, 0],
			['Destination', 'PX Status Writer', 1, 1],
		),
		staticData,
	});
}
