import { createHash } from 'node:crypto';
import { BREAKER_LOG_LENGTH, BUDGET_PURGE_BATCH } from '@agentrace/core';

/** A Lua script and its SHA1 (for EVALSHA). */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string): Script {
  const source = `${PRELUDE}\n${body}`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

// Shared helpers. ARGV[1] is the clock: a non-negative number is "now" in ms (an injected clock), -1 means the
// server's own TIME, so every process judges time by one clock. Fractions are returned as strings: Redis would
// truncate a Lua number to an integer reply.
const PRELUDE = `
local function clock(arg)
  local n = tonumber(arg)
  if n >= 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function fmt(x)
  if x == math.huge then return 'inf' end
  return string.format('%.17g', x)
end
local function int(x) return string.format('%.0f', x) end
`;

/**
 * One breaker command (see `BreakerCommand` in @agentrace/core), atomically. The same state machine as
 * `InMemoryStateStore.breaker`, line for line.
 *
 * KEYS: 1 state hash, 2 probe leases (zset lease -> expiry), 3 transition log (list).
 * ARGV: 1 now, 2 command, 3 since, 4 actor, 5 recoveryTimeoutMs, 6 halfOpenMaxProbes, 7 probeLeaseMs, 8 ttlMs,
 * 9 strategy kind, 10 threshold, 11 windowMs, 12 minimumCalls, 13 buckets, 14 leaseId, 15 generation (settle,
 * renew), 16 outcome.
 * Returns: state, generation, admitted, retryAfterMs, inFlight, consecutiveFailures, windowCalls, windowFailures,
 * since, lastFailureAt, now, then the log entries after ARGV[3] ("gen|from|to|reason|at|actor").
 */
export const BREAKER_SCRIPT = script(
  'breaker',
  `
local now = clock(ARGV[1])
local cmd = ARGV[2]
local since = tonumber(ARGV[3])
local actor = ARGV[4]
local rt = tonumber(ARGV[5])
local maxProbes = tonumber(ARGV[6])
local leaseMs = tonumber(ARGV[7])
local ttl = math.ceil(tonumber(ARGV[8]))
local kind = ARGV[9]
local threshold = tonumber(ARGV[10])
local windowMs = tonumber(ARGV[11])
local minCalls = tonumber(ARGV[12])
local nb = kind == 'failure_rate' and tonumber(ARGV[13]) or 0
local lease = ARGV[14]
local settleGen = tonumber(ARGV[15])
local outcome = ARGV[16]
local LOG = ${BREAKER_LOG_LENGTH}

local raw = redis.call('HGETALL', KEYS[1])
if #raw == 0 and cmd == 'read' then
  return {'closed', '0', 0, '0', 0, 0, 0, 0, '0', '0', fmt(now)}
end
local h = {}
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
local st = h.st or 'closed'
local gen = tonumber(h.g or int(math.floor(now)))
local stSince = tonumber(h.t or fmt(now))
local lf = tonumber(h.lf or '0')
local cf = tonumber(h.cf or '0')
local idx, succ, fail = {}, {}, {}
local storedBuckets = tonumber(h.nb or '-1')
local function resetCounts()
  cf = 0
  for i = 0, nb - 1 do idx[i] = nil; succ[i] = 0; fail[i] = 0 end
end
if storedBuckets == nb then
  for i = 0, nb - 1 do
    local v = h['i' .. i]
    if v ~= nil and v ~= 'n' then idx[i] = tonumber(v) end
    succ[i] = tonumber(h['s' .. i] or '0')
    fail[i] = tonumber(h['f' .. i] or '0')
  end
else
  resetCounts()
end
local dirty = #raw == 0

local function transition(to, reason)
  local from = st
  gen = gen + 1
  st = to
  stSince = now
  redis.call('DEL', KEYS[2])
  if to == 'open' then lf = now end
  if to == 'closed' then resetCounts() end
  redis.call('RPUSH', KEYS[3], int(gen) .. '|' .. from .. '|' .. to .. '|' .. reason .. '|' .. fmt(now) .. '|' .. actor)
  redis.call('LTRIM', KEYS[3], -LOG, -1)
  dirty = true
end

local function lazy()
  if st == 'open' and now - lf >= rt then transition('half_open', 'recovery_timeout') end
  if st == 'half_open' then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
end

local bucketMs = nb > 0 and windowMs / nb or 1
local function slot()
  local index = math.floor(now / bucketMs)
  local i = index % nb
  if idx[i] ~= index then idx[i] = index; succ[i] = 0; fail[i] = 0 end
  return i
end
local function stats()
  local calls, failures = 0, 0
  if nb == 0 then return 0, 0 end
  local current = math.floor(now / bucketMs)
  for i = 0, nb - 1 do
    local index = idx[i]
    if index ~= nil and index > current - nb and index <= current then
      calls = calls + succ[i] + fail[i]
      failures = failures + fail[i]
    end
  end
  return calls, failures
end
local function counted(o)
  if kind == 'consecutive' then
    if o == 'success' then cf = 0 else
      cf = cf + 1
      if cf >= threshold then transition('open', 'failure_threshold') end
    end
  else
    local i = slot()
    if o == 'success' then succ[i] = succ[i] + 1 else
      fail[i] = fail[i] + 1
      local calls, failures = stats()
      if calls >= minCalls and failures / calls >= threshold then transition('open', 'failure_threshold') end
    end
  end
end

local admitted = 0
if cmd == 'read' then
  lazy()
elseif cmd == 'admit' then
  dirty = true
  lazy()
  if st == 'closed' then admitted = 1
  elseif st == 'half_open' and redis.call('ZCARD', KEYS[2]) < maxProbes then
    redis.call('ZADD', KEYS[2], now + leaseMs, lease)
    admitted = 1
  end
elseif cmd == 'renew' then
  dirty = true
  lazy()
  if st == 'half_open' and settleGen == gen and redis.call('ZSCORE', KEYS[2], lease) then
    redis.call('ZADD', KEYS[2], 'XX', now + leaseMs, lease)
    admitted = 1
  end
elseif cmd == 'settle' then
  dirty = true
  if settleGen ~= gen then redis.call('ZREM', KEYS[2], lease)
  elseif st == 'half_open' then
    redis.call('ZREM', KEYS[2], lease)
    if outcome == 'success' then transition('closed', 'probe_succeeded')
    elseif outcome == 'failure' then transition('open', 'probe_failed') end
  elseif st == 'closed' and outcome ~= 'ignored' then counted(outcome) end
  lazy()
elseif cmd == 'record' then
  dirty = true
  lazy()
  if st == 'open' then
    if outcome == 'failure' then lf = now end
  elseif st == 'half_open' then
    if outcome == 'success' then transition('closed', 'probe_succeeded') else transition('open', 'probe_failed') end
  else counted(outcome) end
elseif cmd == 'reset' then
  dirty = true
  if st == 'closed' then resetCounts() else transition('closed', 'reset') end
end

if dirty then
  local fields = {'st', st, 'g', int(gen), 't', fmt(stSince), 'lf', fmt(lf), 'cf', int(cf), 'nb', int(nb)}
  for i = 0, nb - 1 do
    fields[#fields + 1] = 'i' .. i
    fields[#fields + 1] = idx[i] ~= nil and int(idx[i]) or 'n'
    fields[#fields + 1] = 's' .. i
    fields[#fields + 1] = int(succ[i])
    fields[#fields + 1] = 'f' .. i
    fields[#fields + 1] = int(fail[i])
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end

local calls, failures = stats()
local retryAfter = 0
if st == 'open' then retryAfter = math.max(0, lf + rt - now) end
local inFlight = 0
if st == 'half_open' then inFlight = redis.call('ZCARD', KEYS[2]) end
local reply = {st, int(gen), admitted, fmt(retryAfter), inFlight, cf, calls, failures, fmt(stSince), fmt(lf), fmt(now)}
if since >= 0 then
  local log = redis.call('LRANGE', KEYS[3], 0, -1)
  for _, entry in ipairs(log) do
    if tonumber(string.match(entry, '^(%d+)|')) > since then reply[#reply + 1] = entry end
  end
end
return reply
`,
);

// Budget helpers: KEYS 1 totals hash, 2 reservations (zset "id|amount" -> expiry), 3 expired reservations
// (zset "id|amount" -> when), 4 applied out-of-band settlements (zset id -> when).
const BUDGET_PRELUDE = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local function purge(now, dedupe)
  local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, ${BUDGET_PURGE_BATCH})
  for _, m in ipairs(due) do
    reserved = reserved - tonumber(string.match(m, '|(%d+)$'))
    redis.call('ZREM', KEYS[2], m)
    redis.call('ZADD', KEYS[3], now, m)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - dedupe)
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - dedupe)
end
local function save(ttl)
  redis.call('HSET', KEYS[1], 'spent', int(spent), 'reserved', int(reserved))
  for i = 1, 4 do
    if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
  end
end
`;

/**
 * Reserves an amount of a budget unless (enforced) spent + reserved + amount would exceed the limit; admits without
 * reserving when the id was already settled (the command arrived after the process had given up on it).
 * ARGV: 1 now, 2 id, 3 amount, 4 limit, 5 enforce (1/0), 6 reservationTtlMs, 7 ttlMs, 8 dedupeWindowMs.
 * Returns: admitted (1/0), spent, reserved.
 */
export const BUDGET_RESERVE_SCRIPT = script(
  'budget_reserve',
  `${BUDGET_PRELUDE}
local now = clock(ARGV[1])
local amount = tonumber(ARGV[3])
local ttl = math.ceil(tonumber(ARGV[7]))
purge(now, tonumber(ARGV[8]))
-- A reservation arriving after its call was settled without it (a late or resent command): nothing to hold.
if redis.call('ZSCORE', KEYS[4], ARGV[2]) then
  save(ttl)
  return {1, int(spent), int(reserved)}
end
if ARGV[5] == '1' and spent + reserved + amount > tonumber(ARGV[4]) then
  save(ttl)
  return {0, int(spent), int(reserved)}
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[2] .. '|' .. ARGV[3])
reserved = reserved + amount
save(ttl)
return {1, int(spent), int(reserved)}
`,
);

/**
 * Applies settlements, each at most once: a reserved one only while its reservation (live or expired) is held,
 * an unreserved one only if its id was not applied before (releasing a reservation the store made under its id
 * whose reply the process never got).
 * ARGV: 1 now, 2 ttlMs, 3 dedupeWindowMs, 4 count, then per settlement: id, reserved (1/0), reservedMicros, actual.
 * Returns: applied, duplicates, spent, reserved.
 */
export const BUDGET_SETTLE_SCRIPT = script(
  'budget_settle',
  `${BUDGET_PRELUDE}
local now = clock(ARGV[1])
purge(now, tonumber(ARGV[3]))
local applied, duplicates = 0, 0
for i = 0, tonumber(ARGV[4]) - 1 do
  local id = ARGV[5 + i * 4]
  local actual = tonumber(ARGV[8 + i * 4])
  if ARGV[6 + i * 4] == '1' then
    local m = id .. '|' .. ARGV[7 + i * 4]
    if redis.call('ZREM', KEYS[2], m) == 1 then
      reserved = reserved - tonumber(ARGV[7 + i * 4])
      spent = spent + actual
      applied = applied + 1
    elseif redis.call('ZREM', KEYS[3], m) == 1 then
      spent = spent + actual
      applied = applied + 1
    else
      duplicates = duplicates + 1
    end
  elseif redis.call('ZSCORE', KEYS[4], id) then
    duplicates = duplicates + 1
  else
    redis.call('ZADD', KEYS[4], now, id)
    -- Decided without the store, but the store may have made the reservation after all (the command reached it
    -- and only the reply was lost, e.g. Redis paused past the timeout): release it now rather than at its expiry.
    local m = id .. '|' .. ARGV[7 + i * 4]
    if redis.call('ZREM', KEYS[2], m) == 1 then reserved = reserved - tonumber(ARGV[7 + i * 4]) end
    redis.call('ZREM', KEYS[3], m)
    spent = spent + actual
    applied = applied + 1
  end
end
save(math.ceil(tonumber(ARGV[2])))
return {applied, duplicates, int(spent), int(reserved)}
`,
);

// Rate-limit helpers: KEYS[i] is bucket i's hash (l: level, t: when); ARGV from 4 on: rate, burst, cost per bucket.
const RATE_PRELUDE = `
local function level(i, now)
  local rate, burst = tonumber(ARGV[4 + (i - 1) * 3]), tonumber(ARGV[5 + (i - 1) * 3])
  local v = redis.call('HMGET', KEYS[i], 'l', 't')
  if not v[1] then return burst end
  return math.min(burst, tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * rate)
end
local function store(i, lvl, now)
  local rate, burst = tonumber(ARGV[4 + (i - 1) * 3]), tonumber(ARGV[5 + (i - 1) * 3])
  redis.call('HSET', KEYS[i], 'l', fmt(lvl), 't', fmt(now))
  local refill = 0
  if rate > 0 then refill = math.max(0, math.ceil((burst - lvl) / rate)) end
  redis.call('PEXPIRE', KEYS[i], refill + 1000)
end
`;

/**
 * Takes every bucket's cost if each has it within the maximum wait (the wait is reserved: levels may go negative).
 * ARGV: 1 now, 2 maxWaitMs, 3 count, then per bucket: ratePerMs, burst, cost. Returns: admitted, waitMs, bound,
 * now.
 */
export const RATE_ACQUIRE_SCRIPT = script(
  'rate_acquire',
  `${RATE_PRELUDE}
local now = clock(ARGV[1])
local maxWait = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local levels = {}
local wait, bound = 0, -1
for i = 1, n do
  local rate, cost = tonumber(ARGV[4 + (i - 1) * 3]), tonumber(ARGV[6 + (i - 1) * 3])
  local lvl = level(i, now)
  levels[i] = lvl
  local w = 0
  if lvl < cost then
    if rate > 0 then w = (cost - lvl) / rate else w = math.huge end
  end
  if w > wait then wait = w; bound = i - 1 end
end
if wait > maxWait then return {0, fmt(wait), bound, fmt(now)} end
for i = 1, n do store(i, levels[i] - tonumber(ARGV[6 + (i - 1) * 3]), now) end
return {1, fmt(wait), bound, fmt(now)}
`,
);

/** Takes (positive) or refunds (negative) tokens. ARGV: 1 now, 2 unused, 3 count, then ratePerMs, burst, cost. */
export const RATE_ADJUST_SCRIPT = script(
  'rate_adjust',
  `${RATE_PRELUDE}
local now = clock(ARGV[1])
for i = 1, tonumber(ARGV[3]) do
  local burst, cost = tonumber(ARGV[5 + (i - 1) * 3]), tonumber(ARGV[6 + (i - 1) * 3])
  store(i, math.min(burst, level(i, now) - cost), now)
end
return 1
`,
);

/** Every script the store runs. */
export const SCRIPTS: readonly Script[] = [
  BREAKER_SCRIPT,
  BUDGET_RESERVE_SCRIPT,
  BUDGET_SETTLE_SCRIPT,
  RATE_ACQUIRE_SCRIPT,
  RATE_ADJUST_SCRIPT,
];
