import { decodeGeminiResponse, encodeGeminiRequest } from '../../codecs/gemini/index.js';
import { GatewayError } from '../../spec/index.js';
import type { ChatBatchApi, ChatBatchResult, ChatBatchState, ProviderKey, ProviderSettings, UpstreamHttpRequest } from '../provider.js';

/** The settings of the Gemini adapter that batch mode reads. */
interface BatchModeOptions {
  readonly function_call_ids: boolean;
}

/** A batch's resource name (`batches/{id}`) and a responses file's (`files/{id}`): nothing else is put in a URL. */
const BATCH_NAME = /^batches\/[A-Za-z0-9_-]{1,200}$/;
const FILE_NAME = /^files\/[A-Za-z0-9_-]{1,200}$/;

/** Gemini's batch states (`BATCH_STATE_*`; Google's guide also shows the SDK's `JOB_STATE_*`) that end a batch. */
const ENDED_STATES = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED']);

/** google.rpc.Code → HTTP status, for a request that failed in a batch. */
const RPC_STATUS: Record<number, number> = { 1: 499, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 11: 400, 12: 501, 14: 503, 16: 401 };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): GatewayError {
  return new GatewayError('upstream_invalid_response', message);
}

/** `{base}/download/{version}/{file}:download?alt=media`: the download host path next to the configured API version. */
export function geminiDownloadUrl(baseUrl: string, file: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const slash = base.lastIndexOf('/');
  const origin = new URL(base).origin;
  // A base URL without a version path (`https://host`) downloads from `/download/v1beta`.
  const [prefix, version] = slash < origin.length ? [origin, 'v1beta'] : [base.slice(0, slash), base.slice(slash + 1)];
  return `${prefix}/download/${version}/${file}:download?alt=media`;
}

/** The batch's own name, checked, as it goes in a URL. */
function batchPath(id: string): string {
  if (!BATCH_NAME.test(id)) throw new GatewayError('upstream_invalid_response', 'The Gemini batch name is not of the form `batches/{id}`.');
  return id;
}

/**
 * Gemini's batch mode (https://ai.google.dev/api/batch-mode, https://ai.google.dev/gemini-api/docs/batch-mode):
 * `POST {base}/models/{model}:batchGenerateContent` with inline requests (`batch.input_config.requests.requests[]`
 * of `{request: GenerateContentRequest, metadata: {key: custom_id}}`; one model per batch), answered
 * with a long-running operation named `batches/{id}`; `GET {base}/batches/{id}` (the batch in
 * `metadata`, its `state` one of `BATCH_STATE_PENDING | RUNNING | SUCCEEDED | FAILED | CANCELLED |
 * EXPIRED`, `done` once ended), `POST {base}/batches/{id}:cancel`. The results of an inline batch
 * come in the ended operation's `response.inlinedResponses.inlinedResponses[]` (each `{metadata:
 * {key}, response | error}`, in the order of the requests); a batch whose results were written to a
 * file names it in `response.responsesFile`, downloaded as JSON lines from
 * `{base}/../download/{version}/{file}:download?alt=media` on the configured host only.
 */
export function geminiBatchMode<Options extends BatchModeOptions>(modelUrl: (baseUrl: string, model: string, method: string) => string, headersFor: (key: ProviderKey | undefined, settings: ProviderSettings<Options>) => Record<string, string>): ChatBatchApi<Options> {
  const base = (settings: ProviderSettings<Options>): string => settings.baseUrl.replace(/\/+$/, '');
  const call = (url: string, method: UpstreamHttpRequest['method'], key: ProviderKey | undefined, settings: ProviderSettings<Options>): UpstreamHttpRequest => ({ url, method, headers: headersFor(key, settings) });
  return {
    buildCreate(items, key, settings) {
      const models = new Set(items.map((item) => item.upstreamModel.replace(/^models\//, '')));
      if (models.size !== 1) throw new GatewayError('invalid_request', `Gemini's batch mode runs one model per batch; the lines of this batch are sent as ${[...models].slice(0, 5).join(', ')}. Split the input file by model.`, { param: 'input_file_id' });
      const [model] = models;
      const requests = items.map((item) => ({
        request: encodeGeminiRequest({ ...item.request, stream: false }, { includeFunctionCallIds: settings.options.function_call_ids }),
        metadata: { key: item.customId },
      }));
      const body = { batch: { display_name: `tollgate-${Date.now()}`, input_config: { requests: { requests } } } };
      return { ...call(modelUrl(settings.baseUrl, model!, 'batchGenerateContent'), 'POST', key, settings), body: JSON.stringify(body) };
    },
    buildRetrieve: (id, key, settings) => call(`${base(settings)}/${batchPath(id)}`, 'GET', key, settings),
    buildCancel: (id, key, settings) => call(`${base(settings)}/${batchPath(id)}:cancel`, 'POST', key, settings),
    buildResults(_id, key, settings, state) {
      const file = state.resultsRef;
      if (file === undefined || !FILE_NAME.test(file)) throw invalid('The Gemini batch ended without results or a responses file of the form `files/{id}`.');
      return call(geminiDownloadUrl(settings.baseUrl, file), 'GET', key, settings);
    },
    readState(body) {
      // The answer to create and retrieve is an Operation (`name`, `metadata`: the batch, `done`, `response`, `error`); a bare batch is read too.
      if (!isObject(body)) throw invalid('Gemini answered about a batch with something that is not an object.');
      const batch = isObject(body.metadata) ? body.metadata : body;
      const name = typeof body.name === 'string' ? body.name : batch.name;
      if (typeof name !== 'string' || !BATCH_NAME.test(name)) throw invalid('Gemini answered about a batch without a name of the form `batches/{id}`.');
      const rawState = typeof batch.state === 'string' ? batch.state.replace(/^(BATCH|JOB)_STATE_/, '') : '';
      const ended = body.done === true || ENDED_STATES.has(rawState);
      if (!ended) return { id: name, status: 'in_progress' };
      const output = isObject(body.response) ? body.response : isObject(batch.output) ? batch.output : {};
      const inlined = output.inlinedResponses;
      const results = Array.isArray(inlined) ? inlined : isObject(inlined) && Array.isArray(inlined.inlinedResponses) ? inlined.inlinedResponses : undefined;
      const error = isObject(body.error) && typeof body.error.message === 'string' ? body.error.message : undefined;
      const failure = rawState === 'FAILED' ? `The Gemini batch failed${error === undefined ? '' : `: ${error}`}.` : rawState === 'EXPIRED' ? 'The Gemini batch expired before it was processed.' : error;
      const state: ChatBatchState = {
        id: name,
        status: 'ended',
        ...(results !== undefined ? { results } : typeof output.responsesFile === 'string' ? { resultsRef: output.responsesFile } : { results: [] }),
        ...(failure === undefined ? {} : { failure }),
      };
      return state;
    },
    readResult(line): ChatBatchResult {
      // Inline: `{metadata: {key}, response | error}`; a responses file's line: `{key, response | error}`.
      if (!isObject(line)) throw invalid('A Gemini batch result is not an object.');
      const key = isObject(line.metadata) ? line.metadata.key : line.key;
      if (typeof key !== 'string') throw invalid('A Gemini batch result has no metadata.key.');
      if (isObject(line.response)) return { customId: key, response: decodeGeminiResponse(line.response) };
      const error = isObject(line.error) ? line.error : {};
      const status = typeof error.code === 'number' ? (RPC_STATUS[error.code] ?? 500) : 500;
      return { customId: key, error: { status, message: typeof error.message === 'string' ? error.message : 'The request failed at Gemini.' } };
    },
  };
}
