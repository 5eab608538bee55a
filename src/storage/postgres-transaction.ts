import type pg from 'pg';

/**
 * Runs `work` on one pooled connection between BEGIN and COMMIT (ROLLBACK when it throws). A
 * connection lost meanwhile is emitted on the client, which the pool no longer watches while it is
 * checked out: the error is kept here rather than crashing the process, and the broken connection
 * is discarded instead of being handed to the next caller.
 */
export async function inPostgresTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
