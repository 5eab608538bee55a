import { createHash } from 'node:crypto';
import type { CounterSnapshot, CounterState, LedgerCounter, LimitLine, ReserveResult, SettlementNote, SettlementNotes, SpendStore } from './spend-store.js';

/**
 * The one Redis call the store needs: a command and its arguments, answered with the decoded reply.
 * ioredis's `redis.call(command, ...args)` has this shape, so an ioredis client can be passed as is.
 */
export interface RedisCommands {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** Where the ledger's keys live unless `governance.spend_store.key_prefix` says otherwise. */
export const DEFAULT_KEY_PREFIX = 'tollgate:{governance}:';

/** Counters outlive their window by this much, so late settlements and usage reads still find them. */
const COUNTER_GRACE_MS = 86_400_000;

// Amounts are integers (nano-USD, tokens, requests) passed as decimal text and added with HINCRBY,
// so sums are exact; Lua compares them as doubles, exact up to 2^53. A number computed in Lua is
// never handed back to Redis (Lua writes large numbers as 1e+14, which HINCRBY refuses): a
// negation is the amount's own text with a minus sign.
//
// Shared by the scripts: refuse when `used + reserved + amount` passes the ceiling, or the counter is spent.
const RESERVE = `
local n = tonumber(ARGV[1])
for i = 1, n do
  local state = redis.call('HMGET', KEYS[i], 'used', 'reserved', 'credit')
  local used = tonumber(state[1]) or 0
  local reserved = tonumber(state[2]) or 0
  local ceiling = tonumber(ARGV[1 + i]) + (tonumber(state[3]) or 0)
  if used + reserved + tonumber(ARGV[1 + n + i]) > ceiling or used >= ceiling then
    return {0, i - 1, state[1] or '0', state[2] or '0', state[3] or '0'}
  end
end
local id = redis.call('INCR', KEYS[n + 2])
local reservation = ARGV[4 * n + 3] .. 'r:' .. id
local fields = {'n', n}
local remaining = {}
for i = 1, n do
  local reserved = tonumber(redis.call('HINCRBY', KEYS[i], 'reserved', ARGV[1 + n + i]))
  local state = redis.call('HMGET', KEYS[i], 'used', 'credit')
  remaining[i] = tostring(tonumber(ARGV[1 + i]) + (tonumber(state[2]) or 0) - (tonumber(state[1]) or 0) - reserved)
  local windowEnd = tonumber(ARGV[1 + 3 * n + i])
  if windowEnd > 0 then redis.call('PEXPIRE', KEYS[i], math.max(1, windowEnd - tonumber(ARGV[4 * n + 4])) + ${COUNTER_GRACE_MS}) end
  table.insert(fields, 'k' .. i); table.insert(fields, KEYS[i])
  table.insert(fields, 'a' .. i); table.insert(fields, ARGV[1 + n + i])
  table.insert(fields, 'e' .. i); table.insert(fields, ARGV[1 + 2 * n + i])
  table.insert(fields, 'w' .. i); table.insert(fields, ARGV[1 + 3 * n + i])
end
redis.call('HSET', reservation, unpack(fields))
redis.call('ZADD', KEYS[n + 1], ARGV[4 * n + 2], id)
return {1, id, remaining}
`;

// Settles one reservation (KEYS[1] its hash, KEYS[2] the expiry index) with ARGV amounts, or with
// its own expiry charges when ARGV[2] is 'expire'.
const SETTLE_BODY = `
local function settle(reservation, index, id, actual, expire)
  local n = tonumber(redis.call('HGET', reservation, 'n'))
  if not n then return 0 end
  for i = 1, n do
    local key = redis.call('HGET', reservation, 'k' .. i)
    local amount = redis.call('HGET', reservation, 'a' .. i)
    if tonumber(amount) ~= 0 then
      local left = tonumber(redis.call('HINCRBY', key, 'reserved', '-' .. amount))
      if left < 0 then redis.call('HSET', key, 'reserved', 0) end
    end
    local used = expire and redis.call('HGET', reservation, 'e' .. i) or actual[i]
    if tonumber(used) ~= 0 then
      redis.call('HINCRBY', key, 'used', used)
      if expire then
        redis.call('HINCRBY', key, 'expired', used)
        redis.call('HINCRBY', key, 'expired_count', 1)
      end
    end
    -- A counter that expired while the request ran was re-created by HINCRBY: give it a grace TTL again.
    if tonumber(redis.call('HGET', reservation, 'w' .. i)) > 0 and redis.call('PTTL', key) == -1 then redis.call('PEXPIRE', key, ${COUNTER_GRACE_MS}) end
  end
  redis.call('DEL', reservation)
  redis.call('ZREM', index, id)
  return 1
end
`;

const SETTLE = `${SETTLE_BODY}
local actual = {}
for i = 2, #ARGV do actual[i - 1] = ARGV[i] end
return settle(KEYS[1], KEYS[2], ARGV[1], actual, false)
`;

// SETTLE, noting the settlement (KEYS[3], field ARGV[1]: the time ARGV[2], the request id ARGV[3],
// then each counter and the amount settled on it, newline-separated) until its request record is stored.
const SETTLE_NOTED = `${SETTLE_BODY}
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if not n then return 0 end
local actual = {}
local note = {ARGV[2], ARGV[3]}
for i = 4, #ARGV do actual[i - 3] = ARGV[i] end
for i = 1, n do
  table.insert(note, redis.call('HGET', KEYS[1], 'k' .. i))
  table.insert(note, actual[i] or '0')
end
settle(KEYS[1], KEYS[2], ARGV[1], actual, false)
redis.call('HSET', KEYS[3], ARGV[1], table.concat(note, '\\n'))
return 1
`;

const SWEEP = `${SETTLE_BODY}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 500)
for _, id in ipairs(expired) do settle(ARGV[2] .. 'r:' .. id, KEYS[1], id, {}, true) end
return #expired
`;

interface Script {
  readonly text: string;
  readonly sha: string;
}

const luaScript = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') });
const RESERVE_SCRIPT = luaScript(RESERVE);
const SETTLE_SCRIPT = luaScript(SETTLE);
const SETTLE_NOTED_SCRIPT = luaScript(SETTLE_NOTED);
const SWEEP_SCRIPT = luaScript(SWEEP);

// Counters and reservations written before amounts were integers held USD as floats: each is
// converted once to nano-USD (rounded), by the one replica that claimed the conversion (see upgrade()).
const CONVERT = `
local function nano(value) return string.format('%d', math.floor((tonumber(value) or 0) * 1e9 + 0.5)) end
local key = KEYS[1]
if ARGV[1] == 'counter' then
  local state = redis.call('HMGET', key, 'used', 'reserved', 'credit')
  redis.call('HSET', key, 'used', nano(state[1]), 'reserved', nano(state[2]), 'credit', nano(state[3]))
  return 1
end
local n = tonumber(redis.call('HGET', key, 'n'))
if not n then return 0 end
for i = 1, n do
  if string.find(redis.call('HGET', key, 'k' .. i) or '', '|usd|', 1, true) then
    redis.call('HSET', key, 'a' .. i, nano(redis.call('HGET', key, 'a' .. i)), 'e' .. i, nano(redis.call('HGET', key, 'e' .. i)))
  end
end
return 1
`;
const CONVERT_SCRIPT = luaScript(CONVERT);

/** What `${prefix}unit` holds once the ledger's USD amounts are integer nano-USD. */
const NANO_UNIT = 'nano-usd';

/**
 * The SpendStore for several replicas: counters are Redis hashes (`used`, `reserved`, `credit`),
 * each reservation a hash plus an entry in a sorted set by expiry, and every operation that must be
 * atomic is one Lua script (Redis runs a script without interleaving other commands). All keys share
 * the hash tag of `prefix`, so they live in one cluster slot.
 *
 * Durability is Redis's own (AOF/RDB): `takeChanged` reports nothing, so replicas do not race to
 * copy counters into SQL, and `restore` is a no-op.
 */
export class RedisSpendStore implements SpendStore, SettlementNotes {
  private readonly prefix: string;
  /** Whether settlements are noted until their records are stored (SettlementNotes). */
  private noting = false;

  constructor(
    private readonly redis: RedisCommands,
    prefix = DEFAULT_KEY_PREFIX,
  ) {
    this.prefix = prefix;
  }

  async reserve(lines: readonly LimitLine[], now: number, ttlMs: number): Promise<ReserveResult> {
    const n = lines.length;
    const keys = [...lines.map((line) => this.counterKey(line.counter)), this.indexKey(), `${this.prefix}seq`];
    const args: (string | number)[] = [n];
    for (const line of lines) args.push(String(line.limit));
    for (const line of lines) args.push(String(line.amount));
    for (const line of lines) args.push(String(line.chargeOnExpiry));
    for (const line of lines) args.push(Number.isFinite(line.windowEnd) ? line.windowEnd : 0);
    args.push(now + ttlMs, this.prefix, now);
    const reply = (await this.script(RESERVE_SCRIPT, keys, args)) as unknown[];
    if (Number(reply[0]) === 1) return { ok: true, id: String(reply[1]), remaining: (reply[2] as string[]).map(Number) };
    return { ok: false, index: Number(reply[1]), state: { used: Number(reply[2]), reserved: Number(reply[3]), credit: Number(reply[4]) } };
  }

  async settle(id: string, actual: readonly number[], requestId?: string): Promise<void> {
    if (this.noting && requestId !== undefined) await this.script(SETTLE_NOTED_SCRIPT, [`${this.prefix}r:${id}`, this.indexKey(), this.notesKey()], [id, Date.now(), requestId, ...actual.map(String)]);
    else await this.script(SETTLE_SCRIPT, [`${this.prefix}r:${id}`, this.indexKey()], [id, ...actual.map(String)]);
  }

  noteSettlements(): void {
    this.noting = true;
  }

  async forgetSettlements(ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += 1_000) await this.redis.call('HDEL', this.notesKey(), ...ids.slice(start, start + 1_000));
  }

  async peek(counter: string): Promise<CounterState> {
    const [used, reserved, credit] = (await this.redis.call('HMGET', this.counterKey(counter), 'used', 'reserved', 'credit')) as (string | null)[];
    return { used: Number(used ?? 0), reserved: Math.max(0, Number(reserved ?? 0)), credit: Number(credit ?? 0) };
  }

  async addCredit(counter: string, windowEnd: number, amount: number, now: number): Promise<void> {
    const key = this.counterKey(counter);
    await this.redis.call('HINCRBY', key, 'credit', String(amount));
    if (Number.isFinite(windowEnd)) await this.redis.call('PEXPIRE', key, Math.max(1, windowEnd - now) + COUNTER_GRACE_MS);
  }

  async resetScope(scope: string): Promise<void> {
    for (const pattern of [`${this.prefix}c:${scope}|*`, `${this.prefix}c:${scope}/*`]) {
      let cursor = '0';
      do {
        const [next, keys] = (await this.redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 500)) as [string, string[]];
        cursor = next;
        for (const key of keys) await this.redis.call('HSET', key, 'used', 0, 'credit', 0, 'expired', 0, 'expired_count', 0);
      } while (cursor !== '0');
    }
  }

  async sweep(now: number): Promise<void> {
    await this.script(SWEEP_SCRIPT, [this.indexKey()], [now, this.prefix]);
  }

  takeChanged(): CounterSnapshot[] {
    return [];
  }

  restore(): void {}

  async list(marker: string): Promise<LedgerCounter[]> {
    const found: LedgerCounter[] = [];
    const head = `${this.prefix}c:`;
    let cursor = '0';
    do {
      const [next, keys] = (await this.redis.call('SCAN', cursor, 'MATCH', `${globEscaped(head)}*`, 'COUNT', 500)) as [string, string[]];
      cursor = next;
      for (const key of keys) {
        const counter = key.slice(head.length);
        if (!counter.includes(marker)) continue;
        const [used, reserved, credit, expired, expiredCount] = (await this.redis.call('HMGET', key, 'used', 'reserved', 'credit', 'expired', 'expired_count')) as (string | null)[];
        found.push({ counter, used: Number(used ?? 0), reserved: Math.max(0, Number(reserved ?? 0)), credit: Number(credit ?? 0), expired: Number(expired ?? 0), expiredCount: Number(expiredCount ?? 0) });
      }
    } while (cursor !== '0');
    return found;
  }

  async notesBefore(olderThan: number): Promise<SettlementNote[]> {
    const notes: SettlementNote[] = [];
    const head = `${this.prefix}c:`;
    let cursor = '0';
    do {
      const [next, pairs] = (await this.redis.call('HSCAN', this.notesKey(), cursor, 'COUNT', 500)) as [string, string[]];
      cursor = next;
      for (let index = 0; index + 1 < pairs.length; index += 2) {
        const [time, requestId, ...lines] = pairs[index + 1]!.split('\n');
        if (!(Number(time) < olderThan) || requestId === undefined) continue;
        const amounts: { counter: string; amount: number }[] = [];
        for (let line = 0; line + 1 < lines.length; line += 2) {
          if (lines[line]!.startsWith(head)) amounts.push({ counter: lines[line]!.slice(head.length), amount: Number(lines[line + 1]) });
        }
        notes.push({ id: pairs[index]!, requestId, amounts });
      }
    } while (cursor !== '0');
    return notes;
  }

  /**
   * Converts a ledger written when USD amounts were floats to integer nano-USD, once: the replica
   * whose `SET <prefix>unit nano-usd NX` succeeds converts every USD counter and reservation; a
   * fresh ledger only gets the marker. Returns how many keys were converted.
   */
  async upgrade(): Promise<number> {
    const claimed = await this.redis.call('SET', `${this.prefix}unit`, NANO_UNIT, 'NX');
    if (claimed !== 'OK') return 0;
    let converted = 0;
    for (const [kind, pattern] of [['counter', `${globEscaped(`${this.prefix}c:`)}*|usd|*`], ['reservation', `${globEscaped(`${this.prefix}r:`)}*`]] as const) {
      let cursor = '0';
      do {
        const [next, keys] = (await this.redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 500)) as [string, string[]];
        cursor = next;
        for (const key of keys) converted += Number(await this.script(CONVERT_SCRIPT, [key], [kind]));
      } while (cursor !== '0');
    }
    return converted;
  }

  /**
   * Runs a script by its SHA-1 (EVALSHA), so the hot path does not resend its text; a server that
   * has not seen it yet (fresh start, SCRIPT FLUSH, failover) answers NOSCRIPT and gets it once with EVAL.
   */
  private async script(source: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.call('EVALSHA', source.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.redis.call('EVAL', source.text, keys.length, ...keys, ...args);
    }
  }

  private counterKey(counter: string): string {
    return `${this.prefix}c:${counter}`;
  }

  private indexKey(): string {
    return `${this.prefix}reservations`;
  }

  private notesKey(): string {
    return `${this.prefix}unlogged`;
  }
}

/** `text` matched literally by a SCAN pattern. */
function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
