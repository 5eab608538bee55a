import { after } from 'node:test';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startScriptedUpstream, type ScriptedUpstream } from './scripted-upstream.js';

/** What a test file opened (fakes, gateways, servers), closed in reverse order after its tests. */
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

export function closeAfterTests(close: () => Promise<void>): void {
  cleanups.push(close);
}

/** An OpenAI fake upstream, closed after the file's tests. */
export async function fake(): Promise<FakeUpstream> {
  const upstream = await startOpenAIFake();
  closeAfterTests(() => upstream.close());
  return upstream;
}

/** A scripted upstream (each test says how it answers), closed after the file's tests. */
export async function scripted(): Promise<ScriptedUpstream> {
  const upstream = await startScriptedUpstream();
  closeAfterTests(() => upstream.close());
  return upstream;
}
