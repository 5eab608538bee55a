import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { streamingLoad } from '../helpers/streaming-load.js';
import { startCli, type RunningCli } from '../helpers/cli.js';

let directory: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-crash-'));
});

after(() => rm(directory, { recursive: true, force: true }));

const ADMIN = 'admin-crash-test';
const KEY = 'vk-crash-test';

/**
 * A token costs 2⁻⁶ USD (15,625 per million), so every request's cost and every sum of them is
 * exact in binary floating point: the ledger and the log can be compared with `===`.
 */
function config(path: string): string {
  return `
storage: { type: sqlite, path: ${JSON.stringify(path)} }
admin: { token: ${ADMIN} }
providers:
  mock:
    type: mock
    models: [slow]
    mock: { chunk_interval_ms: 3, reply: "one two three four five six seven eight nine ten", output_tokens: 10 }
pricing:
  mock/slow: { input: 15625, output: 15625 }
virtual_keys:
  - { id: crash, value: ${KEY}, models: ['*'], budgets: [{ max_usd: 1000000 }, { period: 1M, max_usd: 1000000 }] }
observability: { request_log: true, flush_interval_ms: 50 }
governance: { flush_interval_ms: 1000 }
`;
}

async function start(file: string): Promise<RunningCli> {
  return startCli(['--config', file, '--port', '0'], { cwd: directory });
}

const load = (url: string, workers: number) => streamingLoad(url, KEY, workers);

/** The key's stored lifetime counter (what a flush last saved), read from the file as another process would. */
function storedSpend(path: string): number | undefined {
  const database = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const row = database.prepare("select used from governance_counters where counter like 'key:crash|usd|lifetime|%'").get() as { used: number } | undefined;
    return row?.used;
  } finally {
    database.close();
  }
}

async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

test('after kill -9 under load, the key spent exactly what the request log holds for it (SQLite file, memory ledger)', async (t) => {
  for (let run = 1; run <= 3; run++) {
    await t.test(`run ${run}`, async () => {
      const path = join(directory, `crash-${run}.db`);
      const file = join(directory, `crash-${run}.yaml`);
      await writeFile(file, config(path));

      const first = await start(file);
      const traffic = load(first.url, 12);
      // Kill a moment after a spend flush has saved the counters, so the log has committed records
      // past it (it commits every 50 ms) and the ledger's next flush is most of a second away.
      let saved = storedSpend(path);
      for (let polls = 0; polls < 400 && (saved === undefined || saved === 0); polls++) {
        await pause(10);
        saved = storedSpend(path);
      }
      for (let polls = 0; polls < 400 && storedSpend(path) === saved; polls++) await pause(10);
      await pause(200);
      first.child.kill('SIGKILL');
      await first.exited;
      traffic.stop();
      assert.ok((await traffic.done) > 0);

      const second = await start(file);
      try {
        const usage = await request(`${second.url}/admin/keys/crash/usage`, { headers: { authorization: `Bearer ${ADMIN}` } });
        assert.equal(usage.statusCode, 200);
        const report = (await usage.body.json()) as { budgets: { period: string; spent_usd: number }[] };
        const database = new Database(path, { readonly: true });
        let logged: number;
        try {
          logged = (database.prepare("select total(cost_usd) as usd from tollgate_request_logs where kind = 'request' and virtual_key_id = 'crash'").get() as { usd: number }).usd;
        } finally {
          database.close();
        }
        assert.ok(logged > 0);
        for (const budget of report.budgets) assert.equal(budget.spent_usd, logged, `${budget.period} budget`);
        // The restart charged what only the log had kept: the mechanism ran, not a lucky crash.
        assert.match(second.output(), /charged requests the request log kept and the spend counters lost/);
      } finally {
        assert.equal(await second.stop(), 0);
      }
    });
  }
});
