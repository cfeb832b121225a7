/*
 * The queue's Lua scripts, all in scripts.c. Every check-then-write (is the
 * entry still ours? is the job already done?) is one script, so two workers
 * can never both complete a job: Redis runs a script atomically.
 * Each is sent with EVAL; the KEYS/ARGV of each are described beside it.
 */
#ifndef MF_QUEUE_SCRIPTS_H
#define MF_QUEUE_SCRIPTS_H

extern const char mf_lua_takeover[];
extern const char mf_lua_heartbeat[];
extern const char mf_lua_update[];
extern const char mf_lua_finish[];
extern const char mf_lua_release[];
extern const char mf_lua_submit[];
extern const char mf_lua_adopt[];

#endif
