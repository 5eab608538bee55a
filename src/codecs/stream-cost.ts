import { STREAM_COST_FIELD, type WireEvent } from './codec.js';

/**
 * `event` with the stream's cost added to its JSON object (STREAM_COST_FIELD), or as it is when its
 * data is not a JSON object. Runs once per stream, on its last event.
 */
export function withCost(event: WireEvent, cost: string): WireEvent {
  let body: unknown;
  try {
    body = JSON.parse(event.data);
  } catch {
    return event;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return event;
  (body as Record<string, unknown>)[STREAM_COST_FIELD] = cost;
  return { ...event, data: JSON.stringify(body) };
}
