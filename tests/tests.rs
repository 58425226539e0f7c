//! The integration suite: every module below drives the real `ferrodis`
//! binary over sockets, most of them differentially against redis-server 7.0.

mod util;

/// ACL users: rules and descriptions, NOPERM checks, ACL LOG, AUTH/HELLO, config and aclfile.
mod acl;
/// The append-only file: crash safety, damaged files, Redis compatibility, rewrites.
mod aof;
/// The real redis-benchmark completes (smoke test, not a measurement).
mod benchmark_tool;
/// Bit commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD(_RO).
mod bitops;
/// Blocking pops over several connections: order, wake-ups, timeouts, UNBLOCK, AOF forms.
mod blocking;
/// maxmemory-clients: client eviction by memory, CLIENT NO-EVICT, evicted_clients.
mod client_evict;
mod client_lib;
/// The `redis` crate as an application would use it.
mod clients;
/// Connection commands: PING, SELECT, HELLO, AUTH, RESET, CLIENT, timeouts.
mod connection;
/// Crash safety: SIGKILL under write load, orphaned children, stale temp files.
mod crash;
/// DEBUG's test switches, restarts and crash reports.
mod debug;
/// DUMP and RESTORE: payload bytes, every option and error, cross-server round trips.
mod dump;
/// maxmemory and eviction: OOM refusals, each policy, the evicted event, propagation.
mod evict;
/// Expiry: lazy and active expiry, INFO keyspace, SCAN under churn.
mod expiry;
/// Functions: FUNCTION LOAD and its errors, management replies, DUMP bytes, FCALL, persistence.
mod functions;
/// Seeded fuzzing of the parser and loaders, in process and against the binary.
mod fuzz;
/// GEO commands: GEOADD, positions, hashes, distances, every search and store, events, AOF.
mod geo;
/// Self-checks of the harness: mismatches are caught, masks are narrow.
mod harness;
/// Hashes: every command, both encodings, WRONGTYPE, DEBUG DIGEST, DUMP, RDB and AOF.
mod hash;
/// HyperLogLog: PFADD/PFCOUNT/PFMERGE/PFDEBUG, sketch bytes, damaged sketches, DUMP, AOF.
mod hyperloglog;
/// Generic key commands: DEL/EXISTS/KEYS/SCAN/RENAME/COPY/MOVE/EXPIRE/OBJECT/DEBUG.
mod keys;
/// LATENCY: monitor events and per-command histograms.
mod latency;
/// Lazy freeing: which deletions use the thread, its size rule, its counters.
mod lazyfree;
/// Memory bounds: big declared bulks, query and output buffer limits.
mod limits;
/// List commands: every option and error, node layout and DUMP bytes per fill and depth.
mod list;
/// Loading at start-up: -LOADING, INFO's loading fields, shutdown while loading.
mod loading;
/// MEMORY USAGE and redis-cli --memkeys.
mod memory;
/// MIGRATE to and from real Redis: every type, options, errors, the AOF.
mod migrate;
/// Transactions (MULTI/EXEC/WATCH), MONITOR and RESET, over several connections.
mod multi;
/// Keyspace notifications: every command's events byte for byte, expiry, classes, config.
mod notifications;
/// Seeded random string/key commands sent to both servers in lockstep.
mod property;
/// Raw RESP: inline and multibulk parsing, pipelining, protocol errors.
mod protocol;
/// Pub/sub: confirmations, delivery order, RESP2 context, RESP3 pushes, introspection, limits.
mod pubsub;
/// RDB snapshots: files to and from real Redis, SAVE/BGSAVE, MISCONF, shutdown saves.
mod rdb;
/// The real redis-cli, with commands as arguments and on stdin.
mod redis_cli;
/// Lua scripting: EVAL, SCRIPT, conversions, errors, sandbox, AOF effects, busy scripts.
mod scripting;
/// The Lua libraries (cjson, cmsgpack, bit, struct) through EVAL on both servers.
mod scripting_libs;
/// Server commands: GET/SET, errors, TIME, CONFIG, INFO, COMMAND, SHUTDOWN.
mod server_cmds;
/// Sets: every command, both encodings, WRONGTYPE, DEBUG DIGEST, DUMP, RDB and AOF.
mod set;
/// Signals: SIGHUP ignored, a second SIGINT during the final save.
mod signals;
/// SLOWLOG: what is logged, truncation, redaction, trimming.
mod slowlog;
/// SORT and SORT_RO: every option on each type, weights, collation, STORE, events, AOF.
mod sort;
/// Startup: options, config files, fatal config errors, pid/log files, unix socket.
mod startup;
/// Streams without groups: every command and error, blocking XREAD, AOF forms, DUMP, RDB and AOF.
mod stream;
/// Stream consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO.
mod stream_group;
/// String commands: every option, conflict, boundary and encoding.
mod strings;
/// Client-side caching: CLIENT TRACKING modes, invalidation delivery, limits, errors.
mod tracking;
/// Sorted sets: every command, both encodings, blocking pops, DUMP, RDB and AOF.
mod zset;
