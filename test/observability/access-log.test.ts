import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessLogObserver } from '../../src/observability/access-log.js';
import { createContext, type RequestContext } from '../../src/pipeline/context.js';
import { createLogger } from '../../src/lib/logger.js';
import { GatewayError } from '../../src/spec/index.js';

function observed(change: (context: RequestContext) => void): Record<string, unknown> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', write: (text) => void lines.push(text) });
  const context = createContext({ id: 'req-1', surface: 'openai', operation: 'chat', method: 'POST', path: '/v1/chat/"odd"\npath', headers: {}, clientAddress: undefined, signal: new AbortController().signal });
  change(context);
  accessLogObserver(logger).onRequestEnd(context);
  logger.flush();
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith('}\n'));
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test('the access line is valid JSON whatever the texts hold, and leaves out what is unknown', () => {
  const line = observed((context) => {
    context.requestedModel = 'model "x"\u2028';
    context.stream = true;
    context.usage = { inputTokens: 12, outputTokens: Number.NaN };
  });
  assert.equal(line.msg, 'request');
  assert.equal(line.level, 'info');
  assert.equal(line.request_id, 'req-1');
  assert.equal(line.path, '/v1/chat/"odd"\npath');
  assert.equal(line.model, 'model "x"\u2028');
  assert.equal(line.status, 200);
  assert.equal(line.stream, true);
  assert.equal(line.attempts, 0);
  assert.equal(line.input_tokens, 12);
  assert.ok(!('output_tokens' in line), 'a non-finite count is left out');
  assert.ok(!('provider' in line) && !('virtual_key_id' in line) && !('cost_usd' in line) && !('error_code' in line));
  assert.equal(typeof line.latency_ms, 'number');
});

test('the access line gives the cost as the exact amount priced, not the nearest double', () => {
  const line = observed((context) => {
    context.cost = { known: true, usd: 0.1 + 0.2, exact: '0.3' };
  });
  assert.equal(line.cost_usd, 0.3);
  const unpriced = observed((context) => {
    context.cost = { known: false, usd: 0 };
  });
  assert.ok(!('cost_usd' in unpriced));
});

test('the access line gives the latency in milliseconds to two decimals', () => {
  for (const [elapsed, expected] of [[1234.567, 1234.57], [12.3, 12.3], [7.004, 7], [0.05, 0.05], [99.999, 100]] as const) {
    const line = observed((context) => {
      context.endedAt = context.startedAt + elapsed;
    });
    assert.equal(line.latency_ms, expected, `${elapsed} ms`);
  }
});

test('a failed request logs its error; an internal error also its cause, at warn', () => {
  const refused = observed((context) => {
    context.status = 429;
    context.error = new GatewayError('rate_limit_exceeded', 'Too many "requests"');
  });
  assert.equal(refused.level, 'info');
  assert.equal(refused.error_code, 'rate_limit_exceeded');
  assert.equal(refused.error, 'Too many "requests"');

  const broken = observed((context) => {
    context.status = 500;
    context.error = new GatewayError('internal_error', 'Something broke', { cause: new TypeError('x is not a function') });
  });
  assert.equal(broken.level, 'warn');
  assert.equal(broken.msg, 'request failed');
  assert.equal(broken.error_code, 'internal_error');
  assert.equal((broken.cause as { message: string }).message, 'x is not a function');
});
