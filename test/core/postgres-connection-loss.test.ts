import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { postgresDatabase } from '../../src/storage/sql-database.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { POSTGRES_URL } from '../observability/postgres.js';

const target = new URL(POSTGRES_URL);
const relay = new TcpRelay(target.hostname, Number(target.port || 5432));
const uncaught: Error[] = [];
const onUncaught = (error: Error) => void uncaught.push(error);
process.on('uncaughtException', onUncaught);

after(() => {
  process.off('uncaughtException', onUncaught);
  return relay.cut();
});

test('a connection lost inside a transaction fails that transaction, not the process, and the pool recovers', async () => {
  await relay.open();
  const url = new URL(POSTGRES_URL);
  url.host = `127.0.0.1:${relay.port}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  pool.on('error', () => {});
  const database = postgresDatabase(pool);

  const failed = database.transaction(async (transaction) => {
    await transaction.query('select 1');
    // Between two statements the client has no query running: the loss is only an 'error' event.
    await relay.cut();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await transaction.query('select 2');
  });
  await assert.rejects(failed);
  assert.deepEqual(uncaught, []);

  await relay.open();
  const rows = await database.transaction((transaction) => transaction.query<{ answer: number }>('select 42 as answer'));
  assert.equal(rows[0]!.answer, 42);
  await pool.end();
});
