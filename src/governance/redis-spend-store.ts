import type { Redis } from 'ioredis';
import { BUCKET_MS, COUNTER_GRACE_MS, CONVERT_SCRIPT, RESERVE_SCRIPT, SETTLE_LINES_SCRIPT, SETTLE_SCRIPT, SWEEP_SCRIPT, type Script } from './redis-ledger-scripts.js';
import { bulkString, ioredisWire, RespArguments, scriptCommand, type WireSender } from './redis-wire.js';
import type { CounterSnapshot, CounterState, LedgerCounter, LimitLine, ReserveResult, SettlementNote, SettlementNotes, SpendStore } from './spend-store.js';

/**
 * What the store needs of a Redis client: a command and its arguments, answered with the decoded
 * reply (ioredis's `redis.call(command, ...args)`), and ioredis's `sendCommand`; an ioredis client
 * can be passed as is.
 */
export interface RedisCommands {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** ioredis's: the hot path's script calls are sent already written in RESP (see redis-wire.ts). */
  sendCommand: Redis['sendCommand'];
}

/** Where the ledger's keys live unless `governance.spend_store.key_prefix` says otherwise. */
export const DEFAULT_KEY_PREFIX = 'tollgate:{governance}:';


/** At most this many reservations per reserve or settle script call, so that one call holds Redis briefly. */
const MAX_BATCH = 64;

interface PendingReserve {
  readonly lines: readonly LimitLine[];
  readonly now: number;
  readonly expiresAt: number;
  resolve(result: ReserveResult): void;
  reject(error: Error): void;
}

/** What the scripts are sent for a counter, made once per counter (its name holds its window). */
interface CounterText {
  /** The counter's name (LimitLine.counter). */
  readonly counter: string;
  readonly key: string;
  /** The key as a RESP bulk string (redis-wire.ts). */
  readonly keyBulk: string;
  /** The counter's name as a JSON string, for a reservation's `d`. */
  readonly counterJson: string;
  readonly windowEnd: number;
  readonly windowEndText: string;
  readonly usd: boolean;
}

/** Counters whose texts are kept; the map is emptied when it holds more (windows roll over). */
const MAX_COUNTER_TEXTS = 10_000;

interface PendingSettle {
  readonly id: string;
  readonly actual: readonly number[];
  readonly lines: readonly LimitLine[];
  /** The request whose settlement is noted (see SettlementNotes), or undefined for none. */
  readonly requestId: string | undefined;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * A counter as one batch's script call names it: once, at `position` among its keys, with the
 * batch's totals (see RESERVE and SETTLE_LINES in redis-ledger-scripts.ts).
 */
interface BatchCounter {
  readonly text: CounterText;
  readonly position: number;
  /** The TTL the script gives the counter if it creates it, as text ('0': none). */
  readonly ttl: string;
  /** Reserve: the tightest limit of its lines. */
  limit: number;
  /** Reserve: the amounts going to `reserved` or, for final lines, to `used`; settle: those leaving `reserved`. */
  held: number;
  /** Reserve: where its lines go, '0' `reserved`, '1' `used` (final), '2' both. */
  kind: string;
  /** Settle: the actual amounts going to `used`. */
  used: number;
  /** Reserve, once answered: `credit - used - reserved` as the batch's reservations take their room. */
  slack: number;
}

/** What budget counters' names hold (see counterName). */
const USD_COUNTER = '|usd|';

/** What `${prefix}unit` holds once the ledger's USD amounts are integer nano-USD. */
const NANO_UNIT = 'nano-usd';

/**
 * The SpendStore for several replicas: counters are Redis hashes (`used`, `reserved`, `credit`),
 * reservations fields of a hash per expiry bucket (see redis-ledger-scripts.ts), and every
 * operation that must be atomic is one Lua script (Redis runs a script without interleaving other
 * commands). All keys share the hash tag of `prefix`, so they live in one cluster slot.
 *
 * Durability is Redis's own (AOF/RDB): `takeChanged` reports nothing, so replicas do not race to
 * copy counters into SQL, and `restore` is a no-op.
 */
export class RedisSpendStore implements SpendStore, SettlementNotes {
  private readonly prefix: string;
  /** Whether settlements are noted until their records are stored (SettlementNotes). */
  private noting = false;
  /**
   * The budget counters' states the last settles answered, read by the budget-alert check that
   * follows each settle instead of one more command per budget. Kept for one turn of the event loop.
   */
  private settled: Map<string, CounterState> | undefined;
  /** Settles asked for in this turn of the event loop, sent together (see SETTLE_LINES). */
  private settling: PendingSettle[] | undefined;
  /** Reserves asked for in this turn of the event loop, sent together (see RESERVE). */
  private reserving: PendingReserve[] | undefined;
  /** Whether a flush of both queues is due at the end of this turn. */
  private flushDue = false;
  private readonly counterTexts = new Map<string, CounterText>();

  private readonly wire: WireSender;
  /** The keys and the prefix every hot-path call sends, as RESP bulk strings. */
  private readonly written: { readonly buckets: string; readonly sequence: string; readonly notes: string; readonly prefix: string };

  constructor(
    private readonly redis: RedisCommands,
    prefix = DEFAULT_KEY_PREFIX,
  ) {
    this.prefix = prefix;
    this.wire = ioredisWire(redis);
    this.written = { buckets: bulkString(this.bucketIndexKey()), sequence: bulkString(`${prefix}seq`), notes: bulkString(this.notesKey()), prefix: bulkString(prefix) };
  }

  reserve(lines: readonly LimitLine[], now: number, ttlMs: number): Promise<ReserveResult> {
    return new Promise<ReserveResult>((resolve, reject) => {
      if (this.reserving === undefined) {
        this.reserving = [];
        this.flushSoon();
      }
      this.reserving.push({ lines, now, expiresAt: now + ttlMs, resolve, reject });
      if (this.reserving.length >= MAX_BATCH) this.flushReserves();
    });
  }

  settle(id: string, actual: readonly number[], lines?: readonly LimitLine[], requestId?: string): Promise<void> {
    if (lines === undefined) return this.settleStored(id, actual);
    return new Promise<void>((resolve, reject) => {
      if (this.settling === undefined) {
        this.settling = [];
        this.flushSoon();
      }
      this.settling.push({ id, actual, lines, requestId: this.noting ? requestId : undefined, resolve, reject });
      if (this.settling.length >= MAX_BATCH) this.flushSettles();
    });
  }

  /**
   * Sends what this turn of the event loop asked for once it is over: every reserve in one script
   * call, every settle in another, both in one socket write. A reserve waits for the end of its
   * turn (well under a millisecond), and the replica builds, writes and parses two commands per turn
   * instead of one per request (and Redis runs two scripts).
   */
  private flushSoon(): void {
    if (this.flushDue) return;
    this.flushDue = true;
    setImmediate(() => {
      this.flushDue = false;
      this.wire.together(() => {
        this.flushReserves();
        this.flushSettles();
      });
    });
  }

  /** Sends the reserves gathered in this turn as one script call. */
  private flushReserves(): void {
    const batch = this.reserving;
    this.reserving = undefined;
    if (batch === undefined || batch.length === 0) return;
    const counters = new Map<string, BatchCounter>();
    const reservations = new RespArguments();
    const starts: string[] = [];
    try {
      for (const { lines, now, expiresAt } of batch) {
        const start = String(Math.floor(expiresAt / BUCKET_MS) * BUCKET_MS);
        let stored = '';
        let packed = '';
        for (let index = 0; index < lines.length; index++) {
          const line = lines[index]!;
          const text = this.textOf(line);
          const counter = this.batchCounter(counters, text, line, now);
          if (line.limit < counter.limit) counter.limit = line.limit;
          counter.held += line.amount;
          const kind = line.final === true ? '1' : '0';
          if (counter.kind === '') counter.kind = kind;
          else if (counter.kind !== kind) counter.kind = '2';
          // The amounts are numbers, whose text needs no JSON escaping.
          stored += `${index === 0 ? '' : ','}${line.final === true ? '0' : `[${text.counterJson},"${line.amount}","${line.chargeOnExpiry}","${text.windowEndText}"]`}`;
          packed += `${counter.position} ${line.limit} ${line.amount} ${line.final === true ? '1' : '0'} `;
        }
        starts.push(start);
        reservations.ascii(start);
        reservations.add(`${expiresAt} [${stored}]`);
        reservations.ascii(packed);
      }
    } catch (error) {
      for (const { reject } of batch) reject(error as Error);
      return;
    }
    const keys = new RespArguments();
    const args = new RespArguments();
    keys.written(this.written.sequence);
    keys.written(this.written.buckets);
    args.ascii(String(batch.length));
    args.written(this.written.prefix);
    let kinds = '';
    for (const counter of counters.values()) kinds += counter.kind;
    args.ascii(kinds);
    for (const counter of counters.values()) {
      keys.written(counter.text.keyBulk);
      args.ascii(String(counter.limit - counter.held));
      args.ascii(String(counter.held));
      args.ascii(counter.ttl);
    }
    args.append(reservations);
    this.scriptOf(RESERVE_SCRIPT, keys, args).then(
      (answer) => {
        const reply = answer as unknown[];
        const first = Number(reply[0]) - batch.length + 1;
        let offset = 1;
        for (const counter of counters.values()) counter.slack = Number(reply[offset++]);
        for (let index = 0; index < batch.length; index++) {
          const { lines, resolve, reject } = batch[index]!;
          const outcome = reply[offset + index];
          if (Array.isArray(outcome)) {
            resolve({ ok: false, index: Number(outcome[0]), state: { used: Number(outcome[1]), reserved: Number(outcome[2]), credit: Number(outcome[3]) } });
            continue;
          }
          if (outcome !== 1) {
            reject(new Error('the Redis reserve script answered without this reservation'));
            continue;
          }
          // The room each line leaves, as the script took it: the counters' states before the batch,
          // then each reservation's amounts in turn.
          const remaining = lines.map((line) => {
            const counter = counters.get(this.textOf(line).key)!;
            counter.slack -= line.amount;
            return line.limit + counter.slack;
          });
          resolve({ ok: true, id: `${first + index}-${starts[index]}`, remaining });
        }
      },
      (error: unknown) => {
        for (const { reject } of batch) reject(error as Error);
      },
    );
  }

  /** The counter of `line` in a batch, added at the next position when the batch does not name it yet. */
  private batchCounter(counters: Map<string, BatchCounter>, text: CounterText, line: LimitLine, now: number): BatchCounter {
    let counter = counters.get(text.key);
    if (counter === undefined) {
      const ttl = Number.isFinite(line.windowEnd) ? String(Math.max(1, line.windowEnd - now) + COUNTER_GRACE_MS) : '0';
      counter = { text, position: counters.size + 1, ttl, limit: line.limit, held: 0, kind: '', used: 0, slack: 0 };
      counters.set(text.key, counter);
    }
    return counter;
  }

  /** A counter's key and window end as the scripts take them, made once per counter. */
  private textOf(line: LimitLine): CounterText {
    const known = this.counterTexts.get(line.counter);
    if (known !== undefined && known.windowEnd === line.windowEnd) return known;
    if (this.counterTexts.size >= MAX_COUNTER_TEXTS) this.counterTexts.clear();
    const key = this.counterKey(line.counter);
    const text: CounterText = { counter: line.counter, key, keyBulk: bulkString(key), counterJson: JSON.stringify(line.counter), windowEnd: line.windowEnd, windowEndText: windowEndText(line), usd: line.counter.includes(USD_COUNTER) };
    this.counterTexts.set(line.counter, text);
    return text;
  }

  noteSettlements(): void {
    this.noting = true;
  }

  async forgetSettlements(ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += 1_000) await this.redis.call('HDEL', this.notesKey(), ...ids.slice(start, start + 1_000));
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

  /** A settle without its lines: the script reads them from the reservation (of either layout, see redis-ledger-scripts.ts). */
  private async settleStored(id: string, actual: readonly number[]): Promise<void> {
    const dash = id.indexOf('-');
    const key = dash === -1 ? `${this.prefix}r:${id}` : `${this.prefix}rb:${id.slice(dash + 1)}`;
    await this.script(SETTLE_SCRIPT, [key, this.indexKey()], [id, Date.now(), this.prefix, ...actual.map(String)]);
  }

  /** Sends the settles gathered in this turn as one script call. */
  private flushSettles(): void {
    const batch = this.settling;
    this.settling = undefined;
    if (batch === undefined || batch.length === 0) return;
    const now = Date.now();
    const counters = new Map<string, BatchCounter>();
    const reservations = new RespArguments();
    for (const { id, actual, lines, requestId } of batch) {
      let packed = '';
      // A settlement's note: the time, the request id, then each budget counter's key and the amount
      // settled on it, one per line. Only budget (USD) counters: reconciliation reads nothing else.
      let note = requestId === undefined ? '' : `${now}\n${requestId}`;
      for (let index = 0; index < lines.length; index++) {
        const line = lines[index]!;
        const amount = actual[index] ?? 0;
        const text = this.textOf(line);
        if (requestId !== undefined && text.usd) note += `\n${text.key}\n${amount}`;
        // Lines charged when reserved (LimitLine.final) have nothing left to settle.
        if (line.final === true) continue;
        const counter = this.batchCounter(counters, text, line, now);
        counter.held += line.amount;
        counter.used += amount;
        packed += `${counter.position} ${line.amount} ${amount} `;
      }
      reservations.ascii(id);
      reservations.ascii(id.slice(id.indexOf('-') + 1));
      reservations.ascii(packed);
      reservations.add(note);
    }
    const keys = new RespArguments();
    const args = new RespArguments();
    keys.written(this.written.notes);
    args.written(this.written.prefix);
    args.ascii(String(batch.length));
    let wanted = '';
    for (const counter of counters.values()) wanted += counter.text.usd ? '1' : '0';
    args.ascii(wanted);
    for (const counter of counters.values()) {
      keys.written(counter.text.keyBulk);
      args.ascii(counter.held === 0 ? '0' : String(-counter.held));
      args.ascii(String(counter.used));
      args.ascii(counter.ttl);
    }
    args.append(reservations);
    this.scriptOf(SETTLE_LINES_SCRIPT, keys, args).then(
      (answer) => {
        if (this.settled === undefined) {
          this.settled = new Map();
          setImmediate(() => (this.settled = undefined));
        }
        const states = answer as ((string | number)[] | null)[];
        let index = 0;
        for (const counter of counters.values()) {
          const state = states[index++];
          if (Array.isArray(state)) this.settled.set(counter.text.counter, { used: Number(state[0]), reserved: Number(state[1]), credit: Number(state[2]) });
        }
        for (const { resolve } of batch) resolve();
      },
      (error: unknown) => {
        for (const { reject } of batch) reject(error as Error);
      },
    );
  }

  peek(counter: string): CounterState | Promise<CounterState> {
    return this.settled?.get(counter) ?? this.read(counter);
  }

  private async read(counter: string): Promise<CounterState> {
    const [used, reserved, credit] = (await this.redis.call('HMGET', this.counterKey(counter), 'used', 'reserved', 'credit')) as (string | null)[];
    return { used: Number(used ?? 0), reserved: Math.max(0, Number(reserved ?? 0)), credit: Number(credit ?? 0) };
  }

  async addCredit(counter: string, windowEnd: number, amount: number, now: number): Promise<void> {
    const key = this.counterKey(counter);
    await this.redis.call('HINCRBY', key, 'credit', String(amount));
    // A counter made here holds nano-USD like the scripts' (see the marker in redis-ledger-scripts.ts).
    await this.redis.call('SET', `${this.prefix}unit`, NANO_UNIT, 'NX');
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
    await this.script(SWEEP_SCRIPT, [this.indexKey(), this.bucketIndexKey()], [now, this.prefix]);
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
  /** `script` of arguments written in RESP (the hot path's batches), by its SHA-1 like `script`. */
  private async scriptOf(source: Script, keys: RespArguments, args: RespArguments): Promise<unknown> {
    try {
      return await this.wire.send('evalsha', scriptCommand('EVALSHA', source.sha, keys, args));
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.wire.send('eval', scriptCommand('EVAL', source.text, keys, args));
    }
  }

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

  private notesKey(): string {
    return `${this.prefix}unlogged`;
  }

  /** The earlier layout's expiry index of reservations (see redis-ledger-scripts.ts). */
  private indexKey(): string {
    return `${this.prefix}reservations`;
  }

  private bucketIndexKey(): string {
    return `${this.prefix}rb`;
  }
}

/** A line's window end as the scripts take it: '0' for a counter without one (lifetime, concurrency). */
function windowEndText(line: LimitLine): string {
  return Number.isFinite(line.windowEnd) ? String(line.windowEnd) : '0';
}

/** `text` matched literally by a SCAN pattern. */
function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
