import { request } from 'undici';

/**
 * Streams chat requests with `key` back to back on `workers` connections until `stop()`; an error
 * (the gateway killed under it) ends a worker. `done` resolves with how many were answered.
 */
export function streamingLoad(url: string, key: string, workers: number, model = 'mock/slow'): { stop(): void; done: Promise<number> } {
  let stopped = false;
  let answered = 0;
  const worker = async () => {
    while (!stopped) {
      try {
        const response = await request(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'count' }] }),
        });
        await response.body.text();
        answered++;
      } catch {
        return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => answered);
  return { stop: () => (stopped = true), done };
}
