import type { FieldDefinition } from './fields';

/**
 * The account fields a Staircase integration maps (the CS–Staircase integration guide): out of the box CRM Account ID
 * (the key), Name, Owner and Parent Account; added by an admin Tier (the most important),
 * Revenue, Renewal Date and Journey Stage. Owner is a user reference, which S3 import cannot fill:
 * it is there, marked, so that it is refused with its reason until it is removed. Source columns
 * are the snake_case of the field names; change them to the customer's columns.
 */
export const STAIRCASE_ACCOUNT_FIELDS: readonly FieldDefinition[] = [
	{ target: 'crmAccountId', source: 'crm_account_id', type: 'crmId', required: true },
	{ target: 'name', source: 'name', type: 'string' },
	{ target: 'owner', source: 'owner', type: 'string', userReference: true },
	{ target: 'parentAccount', source: 'parent_account', type: 'crmId' },
	{ target: 'tier', source: 'tier', type: 'string' },
	{ target: 'revenue', source: 'revenue', type: 'number' },
	{ target: 'renewalDate', source: 'renewal_date', type: 'date', dateFormat: 'yyyy-MM-dd' },
	{ target: 'journeyStage', source: 'journey_stage', type: 'string' },
];
