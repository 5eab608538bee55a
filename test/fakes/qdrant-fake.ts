import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Qdrant, written from Qdrant's REST reference (the part a client of collections and
 * points uses): `GET /collections/{name}/exists`, `PUT` and `DELETE /collections/{name}`,
 * `PUT /collections/{name}/points` (upsert), `POST /collections/{name}/points/query` (nearest by
 * cosine, with `must` filters of `match.value` and `range`), `POST /collections/{name}/points/delete`
 * (by ids or filter) and `POST /collections/{name}/points/count`. Answers use Qdrant's envelope:
 * `{ result, status: "ok", time }`, errors `{ status: { error }, time }` with 404 for a missing collection.
 * Searching is brute force here: the fake checks the contract, not Qdrant's index.
 */
export interface QdrantFake {
  readonly url: string;
  /** Requests seen, as `METHOD path`. */
  readonly requests: string[];
  /** Collections and their points (id → vector, payload). */
  readonly collections: Map<string, { size: number; distance: string; points: Map<string, { vector: number[]; payload: Record<string, unknown> }> }>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Condition = { key: string; match?: { value: unknown }; range?: { gt?: number; gte?: number; lt?: number; lte?: number } };

export async function startQdrantFake(): Promise<QdrantFake> {
  const requests: string[] = [];
  const collections: QdrantFake['collections'] = new Map();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      try {
        handle(request, response, body.length === 0 ? {} : (JSON.parse(body) as Json));
      } catch (error) {
        send(response, 400, { status: { error: `Format error in JSON body: ${(error as Error).message}` }, time: 0 });
      }
    });
  });
  const handle = (request: IncomingMessage, response: ServerResponse, body: Json) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    requests.push(`${request.method} ${url.pathname}`);
    const match = /^\/collections\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (match === null) return send(response, 404, { status: { error: 'Not found' }, time: 0 });
    const name = decodeURIComponent(match[1]!);
    const rest = match[2] ?? '';
    const collection = collections.get(name);
    const ok = (result: unknown) => send(response, 200, { result, status: 'ok', time: 0.0001 });
    const missing = () => send(response, 404, { status: { error: `Not found: Collection \`${name}\` doesn't exist!` }, time: 0 });
    if (rest === '/exists' && request.method === 'GET') return ok({ exists: collection !== undefined });
    if (rest === '' && request.method === 'PUT') {
      if (collection !== undefined) return send(response, 409, { status: { error: `Wrong input: Collection \`${name}\` already exists!` }, time: 0 });
      const vectors = body.vectors as { size: number; distance: string };
      if (typeof vectors?.size !== 'number' || !['Cosine', 'Dot', 'Euclid', 'Manhattan'].includes(vectors.distance)) return send(response, 422, { status: { error: 'Validation error: vectors' }, time: 0 });
      collections.set(name, { size: vectors.size, distance: vectors.distance, points: new Map() });
      return ok(true);
    }
    if (rest === '' && request.method === 'DELETE') return ok(collections.delete(name));
    if (collection === undefined) return missing();
    if (rest === '/points' && request.method === 'PUT') {
      for (const point of body.points as { id: string | number; vector: number[]; payload?: Json }[]) {
        if (point.vector.length !== collection.size) return send(response, 400, { status: { error: `Wrong input: Vector dimension error: expected dim: ${collection.size}, got ${point.vector.length}` }, time: 0 });
        collection.points.set(String(point.id), { vector: point.vector, payload: point.payload ?? {} });
      }
      return ok({ operation_id: requests.length, status: url.searchParams.get('wait') === 'true' ? 'completed' : 'acknowledged' });
    }
    if (rest === '/points/query' && request.method === 'POST') {
      const query = body.query as number[];
      const limit = (body.limit as number | undefined) ?? 10;
      const scored = [...collection.points].filter(([, point]) => passes(point.payload, body.filter as Json | undefined)).map(([id, point]) => ({ id, version: 0, score: cosine(query, point.vector), ...(body.with_payload === true ? { payload: point.payload } : {}) }));
      scored.sort((a, b) => b.score - a.score);
      return ok({ points: scored.slice(0, limit) });
    }
    if (rest === '/points/delete' && request.method === 'POST') {
      if (Array.isArray(body.points)) for (const id of body.points) collection.points.delete(String(id));
      else for (const [id, point] of [...collection.points]) if (passes(point.payload, body.filter as Json | undefined)) collection.points.delete(id);
      return ok({ operation_id: requests.length, status: 'completed' });
    }
    if (rest === '/points/count' && request.method === 'POST') return ok({ count: [...collection.points.values()].filter((point) => passes(point.payload, body.filter as Json | undefined)).length });
    return send(response, 404, { status: { error: 'Not found' }, time: 0 });
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, collections, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function passes(payload: Json, filter: Json | undefined): boolean {
  if (filter === undefined) return true;
  const must = (filter.must as Condition[] | undefined) ?? [];
  return must.every((condition) => {
    const value = payload[condition.key];
    if (condition.match !== undefined) return Array.isArray(value) ? value.includes(condition.match.value) : value === condition.match.value;
    const range = condition.range;
    if (range !== undefined) {
      if (typeof value !== 'number') return false;
      return (range.gt === undefined || value > range.gt) && (range.gte === undefined || value >= range.gte) && (range.lt === undefined || value < range.lt) && (range.lte === undefined || value <= range.lte);
    }
    return true;
  });
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    na += a[index]! * a[index]!;
    nb += b[index]! * b[index]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
