/**
 * Names and small helpers of the OpenAI Responses API (`POST /v1/responses`) shared by both
 * directions. Wire reference: https://platform.openai.com/docs/api-reference/responses
 */
export const OPENAI_RESPONSES_DIALECT = 'openai-responses';

/** A function tool that declares no `parameters` takes none (OpenAI's documented default). */
export const NO_PARAMETERS: Record<string, unknown> = { type: 'object', properties: {} };

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** Splits a `data:<media type>;base64,<data>` URL; undefined when the text is not one. */
export function parseDataUrl(url: string): { mediaType: string | undefined; data: string } | undefined {
  const match = DATA_URL.exec(url);
  return match === null ? undefined : { mediaType: match[1], data: match[2]! };
}

/**
 * The caller-facing response id. Responses ids start with `resp_`; ids from other upstreams
 * (`chatcmpl-…`, `msg_…`) keep their unique tail behind that prefix.
 */
export function responseIdOf(id: string): string {
  if (id.startsWith('resp_')) return id;
  const tail = id.replace(/^chatcmpl-/, '').replace(/[^A-Za-z0-9_-]/g, '');
  return `resp_${tail.length > 0 ? tail : 'tollgate'}`;
}

/** A stable id for the `index`-th output item of a response: `msg_…`, `fc_…`, `rs_…` as OpenAI names them. */
export function outputItemId(prefix: 'msg' | 'fc' | 'rs' | 'mcp', responseId: string, index: number): string {
  return `${prefix}_${responseId.replace(/^resp_/, '')}_${index}`;
}
