import type { WireEvent } from './codec.js';

/**
 * One Server-Sent Event as wire text. Each line of the data gets its own `data:` field, as the SSE
 * format requires (a receiver joins them with newlines again); a bare `data: ${text}` would end
 * the field at the first newline and leave the rest as a malformed line.
 */
export function sseFrame(event: WireEvent): string {
  const { data } = event;
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return event.event === undefined ? `data: ${data}\n\n` : `event: ${event.event}\ndata: ${data}\n\n`;
  const lines = data.split(/\r\n|\r|\n/);
  let text = event.event === undefined ? '' : `event: ${event.event}\n`;
  for (const line of lines) text += `data: ${line}\n`;
  return `${text}\n`;
}
