import { droppedFieldNames } from '../codecs/dropped-fields.js';
import type { RequestContext } from '../pipeline/context.js';
import { chatCodecOf } from '../providers/instance.js';

/**
 * Headers every pipeline response carries: who served it, attempts, cost, warnings, limits. They
 * are the context's own (the request is answering now), completed with the warnings, not a copy.
 */
export function responseHeaders(context: RequestContext): Record<string, string> {
  const headers = context.responseHeaders;
  const request = context.chatRequest;
  const served = context.served;
  if (request !== undefined && served !== undefined) {
    // A text completion served natively went out in the provider's completions format.
    const native = request.textCompletion !== undefined && served.provider.adapter.buildCompletionRequest !== undefined ? served.provider.adapter.completionCodec : undefined;
    const codec = native ?? chatCodecOf(served.provider, served.model);
    // Modelled fields the upstream's dialect has no place for, then unmodelled ones from another dialect.
    const fields = droppedFieldNames(request, codec.droppedFields);
    if (request.extra !== undefined && request.extraDialect !== codec.dialect) fields.push(...Object.keys(request.extra));
    // A text completion sent as chat loses what only a native `/completions` takes.
    if (native === undefined && request.textCompletion !== undefined) for (const field of ['suffix', 'echo'] as const) if (request.textCompletion[field] !== undefined) fields.push(field);
    if (fields.length > 0) context.warnings.push(`dropped fields ${served.provider.adapter.type} does not support: ${fields.join(', ')}`);
  }
  if (context.warnings.length > 0) headers['x-tollgate-warning'] = context.warnings.join('; ').replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
  return headers;
}
