import { RECORD_COLUMNS, type RequestRecord } from './request-record.js';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Quote when needed; a leading formula character is prefixed so spreadsheets do not evaluate it.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const CSV_HEADER = `${RECORD_COLUMNS.join(',')}\r\n`;

export function csvRow(record: RequestRecord): string {
  return `${RECORD_COLUMNS.map((column) => cell(record[column])).join(',')}\r\n`;
}
