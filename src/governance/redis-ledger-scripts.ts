import { createHash } from 'node:crypto';

/**
 * The Redis ledger's Lua scripts (RedisSpendStore runs them by SHA-1), with the layout of the keys
 * they share. Each is one atomic step on the one Redis thread every replica shares.
 */

/** Counters outlive their window by this much, so late settlements and usage reads still find them. */
export const COUNTER_GRACE_MS = 86_400_000;

// Amounts are integers (nano-USD, tokens, requests) passed as decimal text and added with HINCRBY,
// so sums are exact; Lua compares them as doubles, exact up to 2^53. A number computed in Lua is
// never handed back to Redis (Lua writes large numbers as 1e+14, which HINCRBY refuses): a
// negation is the amount's own text with a minus sign.
//
// A reservation is one hash with one field, `d`: its lines as JSON written by the replica,
// `[[counter key, reserved amount, charge on expiry, window end], …]`, all text. (Reservations
// written before `d` held `n` and, per line, `k<i>`, `a<i>`, `e<i>`, `w<i>`; settling and sweeping
// read both. Without `n`, a replica of the earlier layout skips a reservation of this one in its
// sweep, leaving it to a replica of this layout, instead of failing the sweep script.) A line
// charged to `used` when reserved (LimitLine.final) is `[key, '0', '0', window end, '1']`: a replica
// of the earlier code settles and sweeps it as nothing, and the '1' keeps a settle from the stored
// lines from charging it again.
//
// The scripts are the ledger's main cost, on the one Redis thread every replica shares: under
// callgrind each `redis.call` costs Redis about 7,700 instructions, each argument about 1,000 and
// each `tonumber` of a string about 1,800 (strtod). So they convert each value once, compare
// amounts as text where that is enough (`'0'`), take numbers from HINCRBY's integer replies,
// return numbers, and set a counter's TTL only when the script creates it (a counter's name
// holds its window, so its end never moves).
//
// Reserve, for every reservation asked for in one turn of the replica's event loop at once (like
// settles; each reservation is still all-or-nothing, and the script runs without interleaving
// other commands, so no two replicas' reservations can pass the same room): refuse one when
// `used + reserved + amount` passes a line's ceiling, or the line's counter is spent; else reserve
// every line: a line marked '1' in the reservation's `charged` (LimitLine.final: a request count)
// goes to `used` at once, and its settle leaves it alone (two commands fewer per line and request),
// the others to `reserved`. KEYS: the expiry index, the id sequence, then per reservation its
// counters. ARGV: the number of reservations, the prefix, then per reservation n, the limits, the
// amounts, the window ends, now, the expiry score, its `d` and `charged`. Answers per reservation
// {1, id, remaining per line} or {0, the refused line's index, its used, reserved, credit}.
const RESERVE = `
local count = tonumber(ARGV[1])
local prefix = ARGV[2]
local last = redis.call('INCRBY', KEYS[2], count)
local answers = {}
local k, a = 2, 3
for j = 1, count do
  local n = tonumber(ARGV[a])
  local room = {}
  local ceilings = {}
  local held = {}
  local created = {}
  local refused
  for i = 1, n do
    local state = redis.call('HMGET', KEYS[k + i], 'used', 'reserved', 'credit')
    local used = tonumber(state[1]) or 0
    local reserved = tonumber(state[2]) or 0
    local ceiling = tonumber(ARGV[a + i]) + (tonumber(state[3]) or 0)
    if used + reserved + tonumber(ARGV[a + n + i]) > ceiling or used >= ceiling then
      refused = {0, i - 1, state[1] or '0', state[2] or '0', state[3] or '0'}
      break
    end
    room[i] = ceiling - used
    ceilings[i] = ceiling
    held[i] = reserved
    created[i] = not state[1] and not state[2] and not state[3]
  end
  if refused then
    answers[j] = refused
  else
    local id = string.format('%d', last - count + j)
    local now = tonumber(ARGV[a + 3 * n + 1])
    local remaining = {}
    local charged = ARGV[a + 3 * n + 4]
    for i = 1, n do
      local left
      if string.byte(charged, i) == 49 then
        left = ceilings[i] - redis.call('HINCRBY', KEYS[k + i], 'used', ARGV[a + n + i]) - held[i]
      else
        left = room[i] - redis.call('HINCRBY', KEYS[k + i], 'reserved', ARGV[a + n + i])
      end
      if left ~= left or left == math.huge or left == -math.huge then left = tostring(left) end
      remaining[i] = left
      if created[i] and ARGV[a + 2 * n + i] ~= '0' then
        redis.call('PEXPIRE', KEYS[k + i], math.max(1, tonumber(ARGV[a + 2 * n + i]) - now) + ${COUNTER_GRACE_MS})
      end
    end
    redis.call('HSET', prefix .. 'r:' .. id, 'd', ARGV[a + 3 * n + 3])
    redis.call('ZADD', KEYS[1], ARGV[a + 3 * n + 2], id)
    answers[j] = {1, id, remaining}
  end
  k = k + n
  a = a + 3 * n + 5
end
return answers
`;

// Moves one line of a settled (or expired) reservation from `reserved` to `used` (amounts as
// text: the reserved one negated). A counter that expired while the request ran is created again
// by HINCRBY (its `reserved` then goes below 0): it gets its TTL again.
const APPLY = `
local function apply(key, negated, used, windowEnd, now, expire)
  local created = false
  local reserved, total
  if negated ~= '0' and negated ~= '-0' then
    reserved = redis.call('HINCRBY', key, 'reserved', negated)
    if reserved < 0 then
      redis.call('HSET', key, 'reserved', 0)
      reserved = 0
      created = true
    end
  end
  if used ~= '0' then
    total = redis.call('HINCRBY', key, 'used', used)
    if expire then
      redis.call('HINCRBY', key, 'expired', used)
      redis.call('HINCRBY', key, 'expired_count', 1)
    end
    if not created and not reserved and windowEnd ~= '0' and redis.call('PTTL', key) == -1 then created = true end
  end
  if created and windowEnd ~= '0' then redis.call('PEXPIRE', key, math.max(1, tonumber(windowEnd) - now) + ${COUNTER_GRACE_MS}) end
  return reserved, total
end
`;

// Settles one reservation (KEYS[1] its hash, KEYS[2] the expiry index) from what it stored: with
// `actual` amounts, or with its own expiry charges when `expire`.
const SETTLE_STORED = `${APPLY}
local function settle(reservation, index, id, actual, expire, now)
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
  for i, line in ipairs(lines) do
    if line[5] ~= '1' then apply(line[1], '-' .. line[2], expire and line[3] or actual[i], line[4] or '0', now, expire) end
  end
  return 1
end
`;

// The usual settle, of every reservation the replica settled in one turn of its event loop at once
// (a script call costs Redis about 14,000 instructions before it does anything, and the replica a
// command): the replica that reserved passes each reservation's lines back, so nothing is read back;
// each reservation's DEL says whether it was still there (a sweep may have charged it). KEYS: the
// expiry index, then per reservation its hash and its counters. ARGV: now, the number of
// reservations, then per reservation its id, n, the reserved amounts negated, the actual ones, the
// window ends, one '1' or '0' per line: whether its new state is wanted, and its settlement note
// ('' for none; see SettlementNotes), kept in the last key. Answers per reservation
// the wanted lines' states (used, reserved, credit; 0 for the others), or 0 when it was gone: the
// budget-alert check that follows reads them instead of asking Redis once per budget.
const SETTLE_LINES = `${APPLY}
local now = tonumber(ARGV[1])
local answers = {}
local k, a = 2, 3
for j = 1, tonumber(ARGV[2]) do
  local n = tonumber(ARGV[a + 1])
  if redis.call('DEL', KEYS[k]) == 0 then
    answers[j] = 0
  else
    redis.call('ZREM', KEYS[1], ARGV[a])
    local note = ARGV[a + 3 + 3 * n]
    if note ~= '' then redis.call('HSET', KEYS[#KEYS], ARGV[a], note) end
    local wanted = ARGV[a + 2 + 3 * n]
    local states = {}
    for i = 1, n do
      local key = KEYS[k + i]
      local reserved, used = apply(key, ARGV[a + 1 + i], ARGV[a + 1 + n + i], ARGV[a + 1 + 2 * n + i], now, false)
      if string.byte(wanted, i) == 49 then
        if reserved and used then
          states[i] = {used, reserved, redis.call('HGET', key, 'credit') or '0'}
        else
          local state = redis.call('HMGET', key, 'used', 'reserved', 'credit')
          states[i] = {state[1] or '0', state[2] or '0', state[3] or '0'}
        end
      else
        states[i] = 0
      end
    end
    answers[j] = states
  end
  k = k + 1 + n
  a = a + 4 + 3 * n
end
return answers
`;

const SETTLE = `${SETTLE_STORED}
local actual = {}
for i = 3, #ARGV do actual[i - 2] = ARGV[i] end
return settle(KEYS[1], KEYS[2], ARGV[1], actual, false, tonumber(ARGV[2]))
`;

const SWEEP = `${SETTLE_STORED}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 500)
for _, id in ipairs(expired) do settle(ARGV[2] .. 'r:' .. id, KEYS[1], id, {}, true, tonumber(ARGV[1])) end
return #expired
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
