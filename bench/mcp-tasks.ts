/**
 * The fixed task set of `npm run bench:mcp`: 20 tasks over the first six generated servers, each
 * needing 1 to 4 tool calls (independent or chained: a call's argument is a field of an earlier
 * result), with a numeric answer the bench computes itself from `toolResult` and checks.
 */
import { toolResult } from './mcp-servers.js';

/** An argument: a literal, or a field of an earlier step's result. */
export type ArgumentValue = string | number | boolean | Record<string, unknown> | { readonly from: number; readonly field: string };

export interface TaskStep {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, ArgumentValue>>;
}

export interface Task {
  readonly id: number;
  readonly question: string;
  readonly steps: readonly TaskStep[];
  /** The answer: the sum of these fields of these steps' results. */
  readonly sum: readonly (readonly [step: number, field: string])[];
}

const ref = (from: number, field = 'related_id') => ({ from, field });
const step = (server: string, tool: string, args: Record<string, ArgumentValue>): TaskStep => ({ server, tool, args });

export const TASKS: readonly Task[] = [
  { id: 1, question: 'What is the amount on invoice inv_2041?', steps: [step('billing', 'get_invoice', { invoice_id: 'inv_2041' })], sum: [[0, 'amount']] },
  { id: 2, question: 'How many support tickets are open?', steps: [step('support', 'list_ticket', { limit: 1, filter: { status: 'open' } })], sum: [[0, 'total']] },
  { id: 3, question: 'What quantity is recorded for inventory item itm_7733?', steps: [step('inventory', 'get_item', { item_id: 'itm_7733' })], sum: [[0, 'amount']] },
  { id: 4, question: 'How many CRM deals are qualified?', steps: [step('crm', 'list_deal', { limit: 1, filter: { status: 'qualified' } })], sum: [[0, 'total']] },
  { id: 5, question: 'What is the declared value of shipment shp_5120?', steps: [step('shipping', 'get_shipment', { shipment_id: 'shp_5120' })], sum: [[0, 'amount']] },
  { id: 6, question: 'Item itm_1042 is stored in a warehouse: what is that warehouse’s amount?', steps: [step('inventory', 'get_item', { item_id: 'itm_1042' }), step('inventory', 'get_warehouse', { warehouse_id: ref(0) })], sum: [[1, 'amount']] },
  { id: 7, question: 'What is the balance of the customer account invoice inv_3310 belongs to?', steps: [step('billing', 'get_invoice', { invoice_id: 'inv_3310' }), step('billing', 'get_customer_account', { customer_account_id: ref(0) })], sum: [[1, 'amount']] },
  { id: 8, question: 'What is the annual revenue of the company of contact con_0815?', steps: [step('crm', 'get_contact', { contact_id: 'con_0815' }), step('crm', 'get_company', { company_id: ref(0) })], sum: [[1, 'amount']] },
  { id: 9, question: 'What is the capacity of the room booked for event evt_2024?', steps: [step('calendar', 'get_event', { event_id: 'evt_2024' }), step('calendar', 'get_room', { room_id: ref(0) })], sum: [[1, 'amount']] },
  { id: 10, question: 'How many tickets does the agent assigned to ticket tic_9001 hold?', steps: [step('support', 'get_ticket', { ticket_id: 'tic_9001' }), step('support', 'get_agent', { agent_id: ref(0) })], sum: [[1, 'amount']] },
  { id: 11, question: 'What is the value of shipment shp_7781 plus the amount of invoice inv_7781?', steps: [step('shipping', 'get_shipment', { shipment_id: 'shp_7781' }), step('billing', 'get_invoice', { invoice_id: 'inv_7781' })], sum: [[0, 'amount'], [1, 'amount']] },
  { id: 12, question: 'Item itm_2718 is in a warehouse supplied by one supplier: what is that supplier’s amount?', steps: [step('inventory', 'get_item', { item_id: 'itm_2718' }), step('inventory', 'get_warehouse', { warehouse_id: ref(0) }), step('inventory', 'get_supplier', { supplier_id: ref(1) })], sum: [[2, 'amount']] },
  { id: 13, question: 'Shipment shp_3003 went with a carrier; that carrier’s latest parcel: what does it weigh?', steps: [step('shipping', 'get_shipment', { shipment_id: 'shp_3003' }), step('shipping', 'get_carrier', { carrier_id: ref(0) }), step('shipping', 'get_parcel', { parcel_id: ref(1) })], sum: [[2, 'amount']] },
  { id: 14, question: 'Deal dea_3141 is at a pipeline stage; what is the amount of that stage’s latest activity?', steps: [step('crm', 'get_deal', { deal_id: 'dea_3141' }), step('crm', 'get_pipeline_stage', { pipeline_stage_id: ref(0) }), step('crm', 'get_activity', { activity_id: ref(1) })], sum: [[2, 'amount']] },
  { id: 15, question: 'Add up the amounts of item itm_0001, contact con_0002 and event evt_0003.', steps: [step('inventory', 'get_item', { item_id: 'itm_0001' }), step('crm', 'get_contact', { contact_id: 'con_0002' }), step('calendar', 'get_event', { event_id: 'evt_0003' })], sum: [[0, 'amount'], [1, 'amount'], [2, 'amount']] },
  { id: 16, question: 'The revenue of the company of contact con_4242, plus the number of new support tickets?', steps: [step('crm', 'get_contact', { contact_id: 'con_4242' }), step('crm', 'get_company', { company_id: ref(0) }), step('support', 'list_ticket', { limit: 1, filter: { status: 'new' } })], sum: [[1, 'amount'], [2, 'total']] },
  { id: 17, question: 'Invoice inv_5555 → its customer account → that account’s last payment → its subscription: what is the subscription’s amount?', steps: [step('billing', 'get_invoice', { invoice_id: 'inv_5555' }), step('billing', 'get_customer_account', { customer_account_id: ref(0) }), step('billing', 'get_payment', { payment_id: ref(1) }), step('billing', 'get_subscription', { subscription_id: ref(2) })], sum: [[3, 'amount']] },
  { id: 18, question: 'The amount of the warehouse of item itm_8080 plus the load of the agent on ticket tic_8080?', steps: [step('inventory', 'get_item', { item_id: 'itm_8080' }), step('inventory', 'get_warehouse', { warehouse_id: ref(0) }), step('support', 'get_ticket', { ticket_id: 'tic_8080' }), step('support', 'get_agent', { agent_id: ref(2) })], sum: [[1, 'amount'], [3, 'amount']] },
  { id: 19, question: 'For event evt_1999: its room’s first attendee amount, plus the number of confirmed bookings?', steps: [step('calendar', 'get_event', { event_id: 'evt_1999' }), step('calendar', 'get_room', { room_id: ref(0) }), step('calendar', 'get_attendee', { attendee_id: ref(1) }), step('calendar', 'list_booking', { limit: 1, filter: { status: 'confirmed' } })], sum: [[2, 'amount'], [3, 'total']] },
  { id: 20, question: 'Add up shipment shp_1111, invoice inv_2222, deal dea_3333 and ticket tic_4444.', steps: [step('shipping', 'get_shipment', { shipment_id: 'shp_1111' }), step('billing', 'get_invoice', { invoice_id: 'inv_2222' }), step('crm', 'get_deal', { deal_id: 'dea_3333' }), step('support', 'get_ticket', { ticket_id: 'tic_4444' })], sum: [[0, 'amount'], [1, 'amount'], [2, 'amount'], [3, 'amount']] },
];

export function isReference(value: ArgumentValue): value is { from: number; field: string } {
  return typeof value === 'object' && value !== null && 'from' in value && typeof (value as { from: unknown }).from === 'number';
}

/** A step's arguments with references replaced by the earlier results' fields. */
export function resolveArguments(step: TaskStep, results: readonly Record<string, unknown>[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(step.args)) args[name] = isReference(value) ? results[value.from]?.[value.field] : value;
  return args;
}

/** The steps a step depends on. */
export function dependencies(step: TaskStep): number[] {
  return Object.values(step.args).filter(isReference).map((value) => value.from);
}

/** The task's answer computed here, from the tools' deterministic results. */
export function expectedAnswer(task: Task): number {
  const results: Record<string, unknown>[] = [];
  for (const one of task.steps) results.push(toolResult(one.server, one.tool, resolveArguments(one, results)));
  return task.sum.reduce((total, [index, field]) => total + Number(results[index]![field]), 0);
}
