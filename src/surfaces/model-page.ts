import { GatewayError } from '../spec/index.js';

/** One page of a model list, cursor-paginated as Anthropic's and Gemini's list APIs are. */
export interface ModelPage {
  ids: string[];
  /** True when models follow the page. */
  more: boolean;
}

/**
 * The page of `ids` after `after` (or before `before`), at most `limit` long. An unknown cursor is
 * an error rather than an empty page, so a caller paging through a list that changed finds out.
 */
export function modelPage(ids: readonly string[], limit: number, after: string | undefined, before: string | undefined): ModelPage {
  if (after !== undefined) {
    const start = cursorIndex(ids, after, 'after_id') + 1;
    return { ids: ids.slice(start, start + limit), more: start + limit < ids.length };
  }
  if (before !== undefined) {
    const end = cursorIndex(ids, before, 'before_id');
    const start = Math.max(0, end - limit);
    return { ids: ids.slice(start, end), more: start > 0 };
  }
  return { ids: ids.slice(0, limit), more: limit < ids.length };
}

function cursorIndex(ids: readonly string[], cursor: string, param: string): number {
  const index = ids.indexOf(cursor);
  if (index < 0) throw new GatewayError('invalid_request', `${param} \`${cursor.slice(0, 200)}\` is not a model in this list.`, { param });
  return index;
}

/** A page size query parameter: a whole number within [1, max], or `fallback` when absent. */
export function pageSize(value: string | null, param: string, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || size > max) throw new GatewayError('invalid_request', `${param} must be a whole number from 1 to ${max}.`, { param });
  return size;
}
