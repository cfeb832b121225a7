/*
 * The Lua scripts of the Redis contract (include/mpegflow/queue.h), one place.
 *
 * "Ours" below means: the stream entry is pending in the group and owned by
 * this consumer. An entry that is not pending at all (Redis lost it, e.g. a
 * restart without persistence) still counts as ours unless the job hash says
 * it already finished, so a job survives its entry being lost.
 */
#include "scripts.h"

/*
 * Every script starts with these. call() is redis.call, but its error names
 * the command: Redis 7.0 refuses a command the ACL user lacks inside a script
 * with "The user executing the script can't run this command", naming only
 * the script's line, and operators need to know which permission is missing.
 * try() returns the expected errors (NOGROUP: Redis lost the group; BUSYGROUP)
 * as an error table, and raises any other one like call().
 */
#define CALL                                                                    \
    "local function named(cmd, r)\n"                                            \
    "  error({err = r.err .. \" (command '\" .. string.lower(cmd) .. \"')\"})\n"  \
    "end\n"                                                                      \
    "local function call(cmd, ...)\n"                                           \
    "  local r = redis.pcall(cmd, ...)\n"                                       \
    "  if type(r) == 'table' and r.err then named(cmd, r) end\n"                \
    "  return r\n"                                                               \
    "end\n"                                                                      \
    "local function try(cmd, ...)\n"                                            \
    "  local r = redis.pcall(cmd, ...)\n"                                       \
    "  if type(r) == 'table' and r.err and not (string.find(r.err, '^NOGROUP')\n" \
    "      or string.find(r.err, '^BUSYGROUP')) then named(cmd, r) end\n"       \
    "  return r\n"                                                               \
    "end\n"

/*
 * A fate write (finish, release) may carry a field "fate" with a token unique
 * to that write. landed(i), with the write's field list at ARGV[i] (its count,
 * then the pairs), is true when the job hash already holds that token: the same
 * write landed before, though its reply never came (Redis paused or the
 * connection cut after the command was sent), and the caller retried it.
 */
#define LANDED                                                                  \
    "local function landed(i)\n"                                                \
    "  local n = tonumber(ARGV[i])\n"                                           \
    "  for j = i + 1, i + n, 2 do\n"                                            \
    "    if ARGV[j] == 'fate' then return call('HGET', KEYS[2], 'fate') == ARGV[j + 1] end\n" \
    "  end\n"                                                                   \
    "  return false\n"                                                          \
    "end\n"

/*
 * Take over one idle entry: walks the PEL with XAUTOCLAIM's cursor (it examines
 * a bounded number of entries per call) until one entry is claimed or the PEL
 * is exhausted.
 * KEYS: stream. ARGV: group, consumer, min-idle ms.
 * Returns {id, fields, delivery count}, or false when none is idle enough.
 */
const char mf_lua_takeover[] =
    CALL
    "local cur = '0-0'\n"
    "for i = 1, 100 do\n"
    "  local r = call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cur, 'COUNT', 1)\n"
    "  cur = r[1]\n"
    "  local e = r[2][1]\n"
    "  if e then\n"
    "    local p = call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)\n"
    "    return {e[1], e[2], p[1][4]}\n"
    "  end\n"
    "  if cur == '0-0' then return false end\n"
    "end\n"
    "return false\n";

/*
 * Keep in-flight entries alive (reset their idle time) while they are ours.
 * KEYS: stream. ARGV: group, consumer, entry ids...
 * Returns one status per id: 1 ours (idle reset), 0 another consumer's, 2 not pending.
 */
const char mf_lua_heartbeat[] =
    CALL
    "local out = {}\n"
    "for i = 3, #ARGV do\n"
    "  local p = try('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)\n"
    "  if type(p) ~= 'table' or p.err or not p[1] then out[#out + 1] = 2\n"
    "  elseif p[1][2] ~= ARGV[2] then out[#out + 1] = 0\n"
    "  else\n"
    "    call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')\n"
    "    out[#out + 1] = 1\n"
    "  end\n"
    "end\n"
    "return out\n";

/*
 * Progress of a running job: HSET fields, and XADD an event when one is given.
 * KEYS: job hash, events. ARGV: events maxlen, nfields, fields..., nevent, event...
 * Returns 1.
 */
const char mf_lua_update[] =
    CALL
    "local n = tonumber(ARGV[2])\n"
    "if n > 0 then call('HSET', KEYS[1], unpack(ARGV, 3, 2 + n)) end\n"
    "local m = tonumber(ARGV[3 + n])\n"
    "if m > 0 then\n"
    "  call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 4 + n, 3 + n + m))\n"
    "end\n"
    "return 1\n";

/*
 * Complete an entry (succeeded, or failed for good) if it is ours: HSET the
 * final fields (HDEL error on success), EXPIRE the hash (retention, ttl > 0),
 * XADD the event, XADD the dead letter when given, XACK + XDEL the entry.
 * KEYS: stream, job hash, events, dead.
 * ARGV: group, entry, consumer, events maxlen, dead maxlen, ttl seconds (0 =
 *       keep), nfields, fields..., nevent, event..., ndead, dead...
 * Returns 1 done, 0 not ours (another consumer owns it, or the entry is gone
 * and the hash is already final): nothing written; 2 already done: the hash
 * holds this write's "fate" token (an earlier try of it landed), nothing written.
 */
const char mf_lua_finish[] =
    CALL
    LANDED
    "if landed(7) then return 2 end\n"
    "local p = try('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)\n"
    "if type(p) == 'table' and not p.err and p[1] then\n"
    "  if p[1][2] ~= ARGV[3] then return 0 end\n"
    "else\n"
    "  local s = call('HGET', KEYS[2], 'state')\n"
    "  if s == 'succeeded' or s == 'failed' then return 0 end\n"
    "end\n"
    "local i = 7\n"
    "local n = tonumber(ARGV[i])\n"
    "if n > 0 then call('HSET', KEYS[2], unpack(ARGV, i + 1, i + n)) end\n"
    "for j = i + 1, i + n, 2 do\n"
    "  if ARGV[j] == 'state' and ARGV[j + 1] == 'succeeded' then call('HDEL', KEYS[2], 'error') end\n"
    "end\n"
    "if tonumber(ARGV[6]) > 0 then call('EXPIRE', KEYS[2], ARGV[6]) end\n"
    "i = i + n + 1\n"
    "n = tonumber(ARGV[i])\n"
    "if n > 0 then call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', unpack(ARGV, i + 1, i + n)) end\n"
    "i = i + n + 1\n"
    "n = tonumber(ARGV[i])\n"
    "if n > 0 then call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, i + 1, i + n)) end\n"
    "try('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "call('XDEL', KEYS[1], ARGV[2])\n"
    "return 1\n";

/*
 * Give an entry back if it is ours (a retry later, or a draining worker's
 * hand-back): HSET fields, XADD the event, and set the entry's idle time so
 * that XAUTOCLAIM takes it over after the delay (XCLAIM IDLE = claim timeout
 * minus delay) with its delivery count; an entry that is gone is added back
 * as a new one with the job JSON.
 * KEYS: stream, job hash, events.
 * ARGV: group, entry, consumer, events maxlen, idle ms, retrycount, job json,
 *       nfields, fields..., nevent, event...
 * Returns 1 done, 0 not ours, 2 already done (the hash holds this write's
 * "fate" token, as in mf_lua_finish).
 */
const char mf_lua_release[] =
    CALL
    LANDED
    "if landed(8) then return 2 end\n"
    "local p = try('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)\n"
    "local pending = type(p) == 'table' and not p.err and p[1]\n"
    "if pending and p[1][2] ~= ARGV[3] then return 0 end\n"
    "if not pending then\n"
    "  local s = call('HGET', KEYS[2], 'state')\n"
    "  if s == 'succeeded' or s == 'failed' then return 0 end\n"
    "end\n"
    "local i = 8\n"
    "local n = tonumber(ARGV[i])\n"
    "if n > 0 then call('HSET', KEYS[2], unpack(ARGV, i + 1, i + n)) end\n"
    "i = i + n + 1\n"
    "n = tonumber(ARGV[i])\n"
    "if n > 0 then call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', unpack(ARGV, i + 1, i + n)) end\n"
    "if pending then\n"
    "  call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[5], 'RETRYCOUNT', ARGV[6], 'JUSTID')\n"
    "else\n"
    "  try('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')\n"
    "  call('XADD', KEYS[1], '*', 'job', ARGV[7])\n"
    "end\n"
    "return 1\n";

/*
 * Enqueue a job: XADD the JSON, reset its hash to queued (DEL first: a
 * resubmitted id starts clean) with the entry it belongs to, XADD a queued event.
 * KEYS: stream, events. ARGV: job hash prefix, json, job id ('' = the entry
 * id), created_at, events maxlen.
 * Returns {entry id, job id}.
 */
const char mf_lua_submit[] =
    CALL
    "local id = call('XADD', KEYS[1], '*', 'job', ARGV[2])\n"
    "local jid = ARGV[3]\n"
    "if jid == '' then jid = id end\n"
    "local h = ARGV[1] .. jid\n"
    "call('DEL', h)\n"
    "call('HSET', h, 'state', 'queued', 'progress', '0', 'attempt', '0', 'created_at', ARGV[4], 'entry', id)\n"
    "call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'job', jid, 'state', 'queued')\n"
    "return {id, jid}\n";

/*
 * Make a job's hash this entry's before a worker writes to it: a hash that holds
 * another entry's fields (a finished earlier submission of the same id, added
 * with a plain XADD) is emptied, and so loses its TTL, then gets entry = this
 * one. A queued hash without an entry (an older `submit`) keeps its created_at.
 * HDEL of every field, not DEL: the worker's ACL has no DEL.
 * KEYS: job hash. ARGV: entry id.
 * Returns 1 when the hash was reset, 0 when it was already this entry's.
 */
const char mf_lua_adopt[] =
    CALL
    "local cur = call('HGET', KEYS[1], 'entry')\n"
    "if cur == ARGV[1] then return 0 end\n"
    "local keep = false\n"
    "if not cur and call('HGET', KEYS[1], 'state') == 'queued' then\n"
    "  keep = call('HGET', KEYS[1], 'created_at')\n"
    "end\n"
    "local all = call('HGETALL', KEYS[1])\n"
    "for i = 1, #all, 2 do call('HDEL', KEYS[1], all[i]) end\n"
    "call('HSET', KEYS[1], 'entry', ARGV[1])\n"
    "if keep then call('HSET', KEYS[1], 'created_at', keep) end\n"
    "return 1\n";
