import { createHash } from 'node:crypto';

/**
 * The Redis ledger's Lua scripts (RedisSpendStore runs them by SHA-1), with the layout of the keys
 * they share. Each is one atomic step on the one Redis thread every replica shares.
 */

/** Counters outlive their window by this much, so late settlements and usage reads still find them. */
export const COUNTER_GRACE_MS = 86_400_000;

/** Reservations are kept in one hash per this much of expiry time (see the layout below). */
export const BUCKET_MS = 60_000;

// Amounts are integers (nano-USD, tokens, requests) passed as decimal text; Lua holds them as
// doubles, exact up to 2^53, and writes the numbers it computes with string.format('%d') (it would
// write a large one as 1e+14, which Redis refuses as an integer).
//
// A counter is a hash `<prefix>c:<counter>`: `used`, `reserved`, `credit`, `expired`, `expired_count`.
// Every script that may create a counter also writes `<prefix>unit` (`nano-usd`) when it is missing:
// the marker says the counters hold nano-USD, and a replica that starts on a ledger without it
// converts float-USD counters (see RedisSpendStore.upgrade). A Redis that lost its data (a restart
// without persistence, a failover, an eviction) while replicas kept serving held nano-USD counters
// and no marker, and the next replica to start multiplied every budget's spend by a billion.
//
// A reservation is one field of the hash of its expiry's bucket, `<prefix>rb:<start>` (`start`: its
// expiry rounded down to BUCKET_MS): its id, `<sequence>-<start>`, holds `<expires at> <d>`, `d`
// being its lines as JSON written by the replica, `[[counter name, reserved amount, charge on
// expiry, window end], …]`, all text, but `0` for a line charged to `used` when reserved
// (LimitLine.final): nothing to settle or sweep. (Names rather than keys, and `0`: each byte sent
// costs Redis twice, making the script's argument and then in Lua's garbage collector.) The bucket
// also holds `s`, set with the first reservation, and the sorted set `<prefix>rb` indexes the
// buckets by their start: HSET answers how many fields it added, so the reserve that finds `s`
// missing adds the bucket to the index, and a settle is one HDEL, whose answer says whether the
// sweep charged the reservation first. Reserving and settling cost one command per batch (or per
// reservation) instead of a hash per reservation plus an entry in a sorted set of all of them,
// whose ZADD was the dearest command.
//
// Reservations of the earlier layout (before buckets) are one hash each, `<prefix>r:<id>` with the
// numeric id, indexed by expiry in the sorted set `<prefix>reservations`; its field `d` holds the
// lines as above but with counter keys and a final line as `[key, '0', '0', window end, '1']` (or,
// earlier still, `n` and, per line, `k<i>`, `a<i>`, `e<i>`, `w<i>`). Settling from the stored lines
// and sweeping still read them, so that a rolling upgrade loses none; a replica of that layout does
// not sweep buckets, which is left to the replicas of this one.
//
// The scripts are the ledger's main cost, on the one Redis thread every replica shares: under
// callgrind each `redis.call` costs Redis about 7,700 instructions, each argument about 700 and
// each `tonumber` of a string about 1,000 (strtod). So one script call serves every reserve (or
// settle) of one turn of the replica's event loop, and names each counter once with the batch's
// totals: the script reads and writes a counter once or twice per batch, however many of the
// batch's reservations it is on (20 requests of 9 counters each: 2 commands per request instead of
// 38). Per reservation the replica sends its lines as one text that only a rarer path parses (a
// batch that does not fit at once, a reservation the sweep charged first), and per counter the TTL
// it gets when a script creates it (its name holds its window, so its end never moves).

// Reserve, for every reservation asked for in one turn of the replica's event loop (each is still
// all-or-nothing, and the script runs without interleaving other commands, so no two replicas'
// reservations can pass the same room). When every counter has room for the whole batch
// (`used + reserved + the batch's amount` below its tightest ceiling, `limit + credit`), all pass at
// once, each counter taking the batch's amount in one HINCRBY; else each reservation in turn is
// refused when `used + reserved + amount` passes a line's ceiling, or the line's counter is spent,
// and reserved otherwise. A final line goes to `used` at once (its settle leaves it alone), the
// others to `reserved`.
// KEYS: the id sequence, the bucket index, then each counter once. ARGV: the number of reservations,
// the prefix, one character per counter: its lines go to `reserved` ('0'), to `used` ('1': final)
// or both ('2'); per counter its tightest limit less the batch's amount (one `tonumber` fewer), the
// batch's amount and its TTL ('0': none); then per reservation its bucket's start,
// `<expires at> <d>` and its lines as `<counter's position> <limit> <amount> <final: 1 or 0> ` each.
// Answers the last id of the sequence, each counter's `credit - used - reserved` before the batch,
// then per reservation 1, or {the refused line's index, its used, reserved, credit}: the replica
// works out each reservation's id and the room it leaves on each line.
const RESERVE = `
local count = tonumber(ARGV[1])
local prefix = ARGV[2]
local kinds = ARGV[3]
local counters = #KEYS - 2
local last = redis.call('INCRBY', KEYS[1], count)
local answers = {last}
local states, created = {}, {}
local marked = false
local fits = true
for i = 1, counters do
  local state = redis.call('HMGET', KEYS[2 + i], 'used', 'reserved', 'credit')
  local used, reserved, credit = tonumber(state[1]) or 0, tonumber(state[2]) or 0, tonumber(state[3]) or 0
  if not state[1] and not state[2] and not state[3] then
    created[i] = true
    if not marked then
      redis.call('SET', prefix .. 'unit', 'nano-usd', 'NX')
      marked = true
    end
  end
  states[3 * i - 2], states[3 * i - 1], states[3 * i] = used, reserved, credit
  answers[1 + i] = credit - used - reserved
  if fits and not (used + reserved < tonumber(ARGV[3 * i + 1]) + credit and string.byte(kinds, i) ~= 50) then fits = false end
end
local r = 3 * counters + 3
local accepted = {}
if fits then
  for i = 1, counters do
    local amount = ARGV[3 * i + 2]
    if amount ~= '0' then
      redis.call('HINCRBY', KEYS[2 + i], string.byte(kinds, i) == 49 and 'used' or 'reserved', amount)
      if created[i] and ARGV[3 * i + 3] ~= '0' then redis.call('PEXPIRE', KEYS[2 + i], ARGV[3 * i + 3]) end
    end
  end
  for j = 1, count do
    accepted[j] = true
    answers[1 + counters + j] = 1
  end
else
  local changed = {}
  for j = 1, count do
    local lines = {}
    local refused
    for position, limit, amount, final in string.gmatch(ARGV[r + 3 * j], '(%S+) (%S+) (%S+) (%S+) ') do
      local i, take = tonumber(position), tonumber(amount)
      local used, reserved, credit = states[3 * i - 2], states[3 * i - 1], states[3 * i]
      local ceiling = tonumber(limit) + credit
      if not refused and (used + reserved + take > ceiling or used >= ceiling) then refused = {#lines, used, reserved, credit} end
      lines[#lines + 1] = {i, take, final == '1'}
    end
    if refused then
      answers[1 + counters + j] = refused
    else
      for _, line in ipairs(lines) do
        local s = 3 * line[1] - (line[3] and 2 or 1)
        states[s] = states[s] + line[2]
        changed[line[1]] = true
      end
      accepted[j] = true
      answers[1 + counters + j] = 1
    end
  end
  for i = 1, counters do
    if changed[i] then
      redis.call('HSET', KEYS[2 + i], 'used', string.format('%d', states[3 * i - 2]), 'reserved', string.format('%d', states[3 * i - 1]))
      if created[i] and ARGV[3 * i + 3] ~= '0' then redis.call('PEXPIRE', KEYS[2 + i], ARGV[3 * i + 3]) end
    end
  end
end
local buckets = {}
for j = 1, count do
  if accepted[j] then
    local start = ARGV[r + 3 * j - 2]
    local fields = buckets[start]
    if not fields then
      fields = {'s', '1'}
      buckets[start] = fields
    end
    fields[#fields + 1] = string.format('%d', last - count + j) .. '-' .. start
    fields[#fields + 1] = ARGV[r + 3 * j - 1]
  end
end
for start, fields in pairs(buckets) do
  if redis.call('HSET', prefix .. 'rb:' .. start, unpack(fields)) == #fields / 2 then redis.call('ZADD', KEYS[2], start, start) end
end
return answers
`;

// Moves one line of a reservation settled from its stored lines (or expired) from `reserved` to
// `used` (amounts as text: the reserved one negated). A counter that expired while the request ran
// is created again by HINCRBY (its `reserved` then goes below 0): it gets its TTL again.
const APPLY = `
local function apply(key, negated, used, windowEnd, now, expire)
  local created = false
  local reserved
  if negated ~= '0' and negated ~= '-0' then
    reserved = redis.call('HINCRBY', key, 'reserved', negated)
    if reserved < 0 then
      redis.call('HSET', key, 'reserved', 0)
      created = true
    end
  end
  if used ~= '0' then
    redis.call('HINCRBY', key, 'used', used)
    if expire then
      redis.call('HINCRBY', key, 'expired', used)
      redis.call('HINCRBY', key, 'expired_count', 1)
    end
    if not created and not reserved and windowEnd ~= '0' and redis.call('PTTL', key) == -1 then created = true end
  end
  if created and windowEnd ~= '0' then redis.call('PEXPIRE', key, math.max(1, tonumber(windowEnd) - now) + ${COUNTER_GRACE_MS}) end
end

-- \`head\`: what precedes the lines' counter names in their keys ('' when they are keys).
local function settleLines(lines, actual, expire, now, head)
  for i, line in ipairs(lines) do
    if line ~= 0 and line[5] ~= '1' then apply(head .. line[1], '-' .. line[2], expire and line[3] or actual[i], line[4] or '0', now, expire) end
  end
end

-- A reservation of the earlier layout (KEYS: its hash, the expiry index), or 0 when it is gone.
local function settleHash(reservation, index, id, actual, expire, now)
  local lines
  local packed = redis.call('HGET', reservation, 'd')
  if packed then
    lines = cjson.decode(packed)
  else
    local n = tonumber(redis.call('HGET', reservation, 'n'))
    if not n then return 0 end
    lines = {}
    for i = 1, n do lines[i] = redis.call('HMGET', reservation, 'k' .. i, 'a' .. i, 'e' .. i, 'w' .. i) end
  end
  redis.call('DEL', reservation)
  redis.call('ZREM', index, id)
  settleLines(lines, actual, expire, now, '')
  return 1
end

-- The lines of a bucket's field, \`<expires at> <d>\`.
local function linesOf(value)
  return cjson.decode(string.sub(value, string.find(value, ' ', 1, true) + 1))
end
`;

// The usual settle, of every reservation the replica settled in one turn of its event loop at once:
// the replica that reserved passes each reservation's lines back, so nothing is read back. Each
// counter is named once, with the batch's totals, and moved by two HINCRBY, whose integer replies
// need no `tonumber` (a read-then-write of `used` and `reserved` costs more in Lua than it saves in
// commands); a counter whose `reserved` goes below 0 expired while its requests ran, and gets its
// TTL again. KEYS: the settlement notes, then each counter once. ARGV: the prefix, the number of
// reservations, one '1' or '0' per counter: whether its new state is wanted; then per counter the
// batch's reserved amount negated, its used amount and its TTL ('0': none); then per reservation
// its id, its bucket's start, its lines as `<counter's position> <reserved> <used> ` each (read only
// when the sweep charged it first, to take it out of the totals), and its settlement note ('' for
// none; see SettlementNotes). Answers per counter its new state (used, reserved, credit) when wanted
// and changed, else false: the budget-alert check that follows reads them instead of asking Redis
// once per budget.
const SETTLE_LINES = `
local prefix = ARGV[1]
local count = tonumber(ARGV[2])
local wanted = ARGV[3]
local counters = #KEYS - 1
local r = 3 * counters + 4
local buckets = {}
for j = 0, count - 1 do
  local start = ARGV[r + 4 * j + 1]
  local group = buckets[start]
  if group then group[#group + 1] = j else buckets[start] = {j} end
end
local notes = {}
local held, used
for start, group in pairs(buckets) do
  local bucket = prefix .. 'rb:' .. start
  local present = {}
  if #group == 1 then
    present[1] = redis.call('HDEL', bucket, ARGV[r + 4 * group[1]]) == 1
  else
    local ids = {}
    for x, j in ipairs(group) do ids[x] = ARGV[r + 4 * j] end
    local records = redis.call('HMGET', bucket, unpack(ids))
    redis.call('HDEL', bucket, unpack(ids))
    for x = 1, #group do present[x] = records[x] ~= false end
  end
  for x, j in ipairs(group) do
    local a = r + 4 * j
    if present[x] then
      if ARGV[a + 3] ~= '' then
        notes[#notes + 1] = ARGV[a]
        notes[#notes + 1] = ARGV[a + 3]
      end
    else
      if not held then
        held, used = {}, {}
        for i = 1, counters do
          held[i] = -tonumber(ARGV[3 * i + 1])
          used[i] = tonumber(ARGV[3 * i + 2])
        end
      end
      for position, reserved, amount in string.gmatch(ARGV[a + 2], '(%S+) (%S+) (%S+) ') do
        local i = tonumber(position)
        held[i] = held[i] - tonumber(reserved)
        used[i] = used[i] - tonumber(amount)
      end
    end
  end
end
if #notes > 0 then redis.call('HSET', KEYS[1], unpack(notes)) end
local answers = {}
local marked = false
for i = 1, counters do
  local key = KEYS[1 + i]
  local release, add, ttl = ARGV[3 * i + 1], ARGV[3 * i + 2], ARGV[3 * i + 3]
  if held then
    release = held[i] > 0 and string.format('%d', -held[i]) or '0'
    add = used[i] ~= 0 and string.format('%d', used[i]) or '0'
  end
  local reserved, total
  local created = false
  if release ~= '0' then
    reserved = redis.call('HINCRBY', key, 'reserved', release)
    if reserved < 0 then
      redis.call('HSET', key, 'reserved', 0)
      reserved = 0
      created = true
    end
  end
  if add ~= '0' then
    total = redis.call('HINCRBY', key, 'used', add)
    if not reserved and ttl ~= '0' and redis.call('PTTL', key) == -1 then created = true end
  end
  if created and ttl ~= '0' then redis.call('PEXPIRE', key, ttl) end
  if created and not marked then
    redis.call('SET', prefix .. 'unit', 'nano-usd', 'NX')
    marked = true
  end
  local answer = false
  if string.byte(wanted, i) == 49 and (reserved or total) then
    if reserved and total then
      answer = {total, reserved, redis.call('HGET', key, 'credit') or '0'}
    else
      local state = redis.call('HMGET', key, 'used', 'reserved', 'credit')
      answer = {state[1] or '0', state[2] or '0', state[3] or '0'}
    end
  end
  answers[i] = answer
end
return answers
`;

// Settles one reservation from its stored lines with `actual` amounts. KEYS: its bucket (or, of the
// earlier layout, its hash), the earlier layout's expiry index. ARGV: its id, now, the prefix, the
// amounts.
const SETTLE = `${APPLY}
local id = ARGV[1]
local now = tonumber(ARGV[2])
local actual = {}
for i = 4, #ARGV do actual[i - 3] = ARGV[i] end
redis.call('SET', ARGV[3] .. 'unit', 'nano-usd', 'NX')
if not string.find(id, '-', 1, true) then return settleHash(KEYS[1], KEYS[2], id, actual, false, now) end
local value = redis.call('HGET', KEYS[1], id)
if not value then return 0 end
redis.call('HDEL', KEYS[1], id)
settleLines(linesOf(value), actual, false, now, ARGV[3] .. 'c:')
return 1
`;

// Charges up to 500 expired reservations their `chargeOnExpiry`: first those of the earlier layout,
// then those of the buckets that began by now (each field's own expiry decides); a bucket left with
// no reservation is deleted and leaves the index. KEYS: the earlier expiry index, the bucket index.
// ARGV: now, the prefix. Answers how many it charged.
const SWEEP = `${APPLY}
local now = tonumber(ARGV[1])
local prefix = ARGV[2]
redis.call('SET', prefix .. 'unit', 'nano-usd', 'NX')
local budget = 500
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, budget)
for _, id in ipairs(expired) do settleHash(prefix .. 'r:' .. id, KEYS[1], id, {}, true, now) end
budget = budget - #expired
for _, start in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 100)) do
  if budget <= 0 then break end
  local bucket = prefix .. 'rb:' .. start
  local scanned = redis.call('HSCAN', bucket, '0', 'COUNT', budget)
  local left = scanned[1] ~= '0'
  local fields = scanned[2]
  for f = 1, #fields, 2 do
    local id, value = fields[f], fields[f + 1]
    if id ~= 's' then
      if budget > 0 and tonumber(string.sub(value, 1, string.find(value, ' ', 1, true) - 1)) <= now then
        redis.call('HDEL', bucket, id)
        settleLines(linesOf(value), {}, true, now, prefix .. 'c:')
        budget = budget - 1
      else
        left = true
      end
    end
  end
  if not left then
    redis.call('DEL', bucket)
    redis.call('ZREM', KEYS[2], start)
  end
end
return 500 - budget
`;

export interface Script {
  readonly text: string;
  readonly sha: string;
}

const luaScript = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') });
export const RESERVE_SCRIPT = luaScript(RESERVE);
export const SETTLE_SCRIPT = luaScript(SETTLE);
export const SETTLE_LINES_SCRIPT = luaScript(SETTLE_LINES);
export const SWEEP_SCRIPT = luaScript(SWEEP);
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
export const CONVERT_SCRIPT = luaScript(CONVERT);
