import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback upstream speaking OpenAI's embeddings wire format (`POST /v1/embeddings`), whose
 * vectors a test chooses: `vectorOf(text)` maps each input to its vector, so similarity between
 * prompts is whatever the test says. It records every input it embedded.
 */
export interface EmbeddingFake {
  readonly url: string;
  readonly inputs: string[];
  vectorOf: (text: string) => number[];
  close(): Promise<void>;
}

export async function startEmbeddingFake(vectorOf: (text: string) => number[]): Promise<EmbeddingFake> {
  const inputs: string[] = [];
  const fake: EmbeddingFake = { url: '', inputs, vectorOf, close: async () => {} };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/embeddings') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      const parsed = JSON.parse(body) as { model: string; input: string | string[] };
      const texts = typeof parsed.input === 'string' ? [parsed.input] : parsed.input;
      inputs.push(...texts);
      const tokens = texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          object: 'list',
          data: texts.map((text, index) => ({ object: 'embedding', index, embedding: fake.vectorOf(text) })),
          model: parsed.model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** A unit vector in `dimensions` along axis `axis`, turned towards axis `axis + 1` so that its cosine with the plain axis is `cosine`. */
export function direction(axis: number, cosine = 1, dimensions = 8): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  vector[axis] = cosine;
  vector[(axis + 1) % dimensions] = Math.sqrt(Math.max(0, 1 - cosine * cosine));
  return vector;
}
