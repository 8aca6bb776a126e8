/*
 * ygg.h - the core's private prototypes, grouped by the file that defines them.
 * Nothing here is visible to plugins: their contract is include/ygg/plugin.h.
 */
#ifndef YGG_H
#define YGG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "ygg/plugin.h"

struct event_base;

#define YGG_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ---------------------------------------------------------------- log.c */
/*
 * One line per event to stderr: "yggd: level=warn task=bd-12 host=skadi msg=..."
 * style is up to the caller; the functions add the program name and level.
 * log_warn appends ": strerror(errno)", log_warnx does not.
 */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
void log_init(const char *progname, int verbose);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_warn(const char *fmt, ...) YGG_PRINTF_LIKE(1, 2);
void log_warnx(const char *fmt, ...) YGG_PRINTF_LIKE(1, 2);
void log_info(const char *fmt, ...) YGG_PRINTF_LIKE(1, 2);
void log_debug(const char *fmt, ...) YGG_PRINTF_LIKE(1, 2);
void log_vlog(enum log_level level, const char *fmt, va_list ap);
/* Tests capture log lines: every line also goes to hook when set. */
typedef void log_hook_cb(enum log_level level, const char *line, void *arg);
void log_set_hook(log_hook_cb *hook, void *arg);
/* Fatal start-up error: log and exit(status). Never from per-task code. */
void fatalx(int status, const char *fmt, ...) YGG_PRINTF_LIKE(2, 3) __attribute__((noreturn));

/* ---------------------------------------------------------------- util.c */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) YGG_PRINTF_LIKE(1, 2);

/* A growable byte buffer, always NUL-terminated when p != NULL. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) YGG_PRINTF_LIKE(2, 3);
char *buf_steal(struct buf *b); /* returns p (never NULL), leaves b empty */

/*
 * Append s as a JSON string literal the way Go's encoding/json writes it (what bd
 * writes): quotes, \" \\ \n \r \t, other controls as \u00XX, and <, >, & as
 * \u003c \u003e \u0026, U+2028/2029 as \u2028 \u2029; invalid UTF-8 bytes as \ufffd.
 */
void json_append_string(struct buf *b, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at s (1-4; s has left bytes), 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
size_t utf8_seq_len(const unsigned char *s, size_t left);
/* Wall clock and monotonic clock in nanoseconds. */
int64_t now_wall_ns(void);
int64_t now_mono_ns(void);
/* 64-bit FNV-1a, for line hashing. */
uint64_t hash64(const void *data, size_t len);
/* Read a whole file; returns 0 and a NUL-terminated buffer, or -1 with errno set. */
int read_file(const char *path, char **data, size_t *len);
/* "a, b ,c" -> {"a","b","c"}; returns count, *out NULL-terminated array of new strings. */
size_t split_list(const char *s, char ***out);
void free_list(char **list);
/* Join path parts; returns a new string. */
char *path_join(const char *dir, const char *name);

/* ---------------------------------------------------------------- timefmt.c */
/*
 * RFC 3339 timestamps as bd writes them: 0-9 fractional digits, "Z" or +hh:mm.
 * parse: 0 and nanoseconds since the epoch (UTC), or -1 when not a timestamp.
 */
int time_parse(const char *s, size_t len, int64_t *ns);
/*
 * Format t in the same style as example: the same number of fraction digits
 * (cut, not rounded, as Go does; trailing zeros kept), the same offset (t is
 * shown in that offset), the same 'T'/'t'/' ' and 'Z'/'z'. out needs 40 bytes.
 * When example is NULL or not a timestamp: UTC with 9 digits and "Z",
 * e.g. "2026-01-02T03:04:05.123456789Z" (RFC3339Nano as bd writes it on Linux,
 * fixed width).
 */
void time_format_like(int64_t t, const char *example, char *out, size_t outlen);
/*
 * A timestamp in old's style (as time_format_like) that is >= now and strictly
 * later than old. Rounded up to the style's precision, so with 0 fraction digits
 * and now in old's second it is old + 1 s. old NULL or unparseable: now, UTC, 9 digits.
 */
void time_after(const char *old, int64_t now, char *out, size_t outlen);

/* ---------------------------------------------------------------- config.c */
enum store_kind { STORE_AUTO, STORE_JSONL, STORE_BD };
enum sort_kind { SORT_PRIORITY, SORT_OLDEST, SORT_HYBRID };
enum api_kind { API_OLLAMA, API_OPENAI };

struct host_conf {
	char *name;
	char *url;   /* base URL without trailing slash, e.g. http://skadi:11434 */
	enum api_kind api;
	char *model;
	int slots;
	double timeout;         /* seconds, total per request (> 0) */
	double connect_timeout; /* seconds */
	double idle_timeout;    /* seconds without a byte */
	char *api_key_env;      /* name of the environment variable */
	char *api_key_file;     /* absolute path; 0600 or stricter is checked at use, not here */
	char *options;          /* JSON object text merged into the request options, or NULL */
	int fail_threshold;
	double health_interval;
	int line; /* where the section starts, for messages */
};

struct handler_conf {
	char *type;   /* task type: the part after "handler." */
	char *plugin; /* plugin name; NULL: the plugin serving this type */
	char **hosts; /* ordered preference, NULL-terminated */
	size_t nhosts;
	char **labels;   /* NULL-terminated */
	char **keywords; /* NULL-terminated, lower case */
	bool is_default;
	char *system_prompt; /* NULL = plugin's own */
	int max_attempts;    /* 0 = global */
	double timeout;      /* 0 = host's */
	/*
	 * every key=value of the section in file order, for api->task_config:
	 * kv[0]=key, kv[1]=value, ..., NULL. Keys that are not the core's own are
	 * the plugin's (lower case [a-z][a-z0-9_]*); they and system_prompt may
	 * continue on indented lines, joined with "\n".
	 */
	char **kv;
	int line;
};

struct ygg_config {
	char *path; /* the file loaded */
	char *dir;  /* its folder: relative paths resolve here */
	enum store_kind store;
	char *beads_dir;     /* absolute */
	char *plugin_dir;    /* absolute */
	char *artifacts_dir; /* absolute */
	char *control;       /* "127.0.0.1:7411", "unix:/abs/path" or "off" */
	char *control_token_file;
	enum sort_kind sort;
	double poll_interval;
	char *assignee;
	int max_attempts;
	double shutdown_grace;
	size_t max_response_bytes;
	size_t max_comment_bytes;
	int fail_threshold;     /* default for hosts */
	double health_interval; /* default for hosts */
	double backoff_base;    /* seconds, first retry delay */
	double backoff_max;
	char *bd_path;      /* the bd executable ("bd" = look up PATH) */
	double bd_timeout;  /* seconds per bd call */
	struct host_conf *hosts;
	size_t nhosts;
	struct handler_conf *handlers;
	size_t nhandlers;
};

/*
 * Load and check the whole file. On error returns -1 and *cause (caller frees)
 * reads "FILE:LINE: key: what is wrong", "FILE:LINE: [section]: what is wrong"
 * or "FILE: cannot read: strerror"; FILE is path as given. cfg->path is absolute.
 */
int config_load(const char *path, struct ygg_config **out, char **cause);
/*
 * The same, from text in memory: name is used in messages and as cfg->path, dir
 * for relative paths (NULL or relative: from the working directory).
 */
int config_parse(const char *text, const char *name, const char *dir, struct ygg_config **out, char **cause);
void config_free(struct ygg_config *cfg);
const struct host_conf *config_host(const struct ygg_config *cfg, const char *name);
const struct handler_conf *config_handler(const struct ygg_config *cfg, const char *type);
const char *api_kind_name(enum api_kind api);
const char *sort_kind_name(enum sort_kind sort);
int sort_kind_parse(const char *s, enum sort_kind *out);

/* The six task types, in DESIGN order. */
extern const char *const ygg_task_types[];

/* ---------------------------------------------------------------- json_line.c */
/*
 * A lossless view of one JSONL line holding a JSON object: the spans of its
 * top-level members. Nothing is copied; spans point into the line.
 * Validation is strict RFC 8259 grammar (nesting up to 10000 levels, Go's
 * limit); bytes >= 0x80 inside strings are taken as Go's decoder takes them.
 */
struct json_member {
	const char *key; /* the raw key literal without quotes (escapes undecoded) */
	size_t key_len;
	const char *val; /* the raw value text */
	size_t val_len;
};
struct json_line {
	const char *text;
	size_t len;
	struct json_member *m;
	size_t n, cap;
	const char *error; /* after a failed scan: static text saying what is wrong */
	size_t error_at;   /* ... and the byte offset where */
};
/*
 * Scan a line; 0 when it is exactly one JSON object (whitespace around allowed),
 * else -1 with jl->error set. jl must start zeroed; it may be scanned again
 * (the member array is reused) and is released with json_line_free.
 */
int json_line_scan(struct json_line *jl, const char *text, size_t len);
void json_line_free(struct json_line *jl);
/* The member named key (the last one when the key repeats, as bd reads it), or NULL. */
const struct json_member *json_line_get(const struct json_line *jl, const char *key);
/* Is a raw key (without quotes, escapes undecoded) equal to key? */
bool json_key_eq(const char *raw, size_t raw_len, const char *key);
/*
 * Decode a JSON string literal (with quotes), appending UTF-8 to out; -1 when it
 * is not a string (out unchanged). \u escapes with surrogate pairs; a lone
 * surrogate or invalid UTF-8 becomes U+FFFD.
 */
int json_string_decode(const char *lit, size_t len, struct buf *out);
/*
 * Patching: produce a new line from jl where each named member's value is
 * replaced by new raw JSON text, or appended before the closing brace when the key
 * is absent (Go/bd style: no spaces). Untouched bytes stay byte for byte.
 * A NULL value removes the member (every duplicate of it); a replacement goes
 * to the last duplicate. Of two edits naming one key the later wins.
 */
struct json_edit {
	const char *key;
	const char *raw; /* raw JSON value text, or NULL to remove */
};
void json_line_patch(const struct json_line *jl, const struct json_edit *edits, size_t nedits, struct buf *out);
/*
 * Raw text of an array value with one more element (raw JSON) appended:
 * "[]" -> "[x]", "[a]" -> "[a,x]", "[a, b]" -> "[a, b, x]". Text that is not an
 * array gives "[x]".
 */
void json_array_append(const char *arr, size_t arr_len, const char *elem, size_t elem_len, struct buf *out);
/*
 * Walk the elements of a raw array or object value (text from a scanned line):
 *	struct json_iter it;
 *	if (json_iter_init(&it, raw, len) == 0)
 *		while (json_iter_next(&it, &key, &klen, &val, &vlen)) ...
 * key is the raw member key without quotes (NULL for arrays; key may be passed
 * as NULL). json_iter_init returns -1 when raw is neither an array nor an object;
 * json_iter_next returns 0 at the end (or at malformed text).
 */
struct json_iter {
	const char *p, *end;
	bool object;
	bool first;
};
int json_iter_init(struct json_iter *it, const char *raw, size_t len);
int json_iter_next(struct json_iter *it, const char **key, size_t *key_len, const char **val, size_t *val_len);

/* ---------------------------------------------------------------- issue.c */
enum dep_type {
	DEP_BLOCKS,             /* also a dependency with no or an empty "type", as bd reads it */
	DEP_CONDITIONAL_BLOCKS,
	DEP_PARENT_CHILD,
	DEP_OTHER,              /* related, discovered-from, waits-for, ...: never blocks */
};
struct issue_dep {
	char *depends_on; /* X depends on this id */
	enum dep_type type;
};
/* The small per-issue record the scheduler and handlers use. */
struct issue {
	char *id;
	char *title;
	char *description;
	char *design;
	char *acceptance_criteria;
	char *notes;
	char *status;     /* "open" when missing */
	char *issue_type; /* "task" when missing */
	char *assignee;   /* NULL when missing or empty */
	char *created_at; /* raw, may be NULL */
	char *updated_at; /* raw, may be NULL */
	int64_t created_ns; /* 0 when missing/unparseable */
	int64_t defer_ns;   /* defer_until; 0 when none */
	int priority;       /* 2 when missing; integer-valued numbers and "1" accepted */
	bool pinned;        /* "pinned": true, or status "pinned" */
	bool ephemeral;
	char **labels; /* NULL-terminated, may be NULL */
	size_t nlabels;
	struct issue_dep *deps;
	size_t ndeps;
	int64_t max_comment_id; /* highest integer comment id seen, 0 none */
	bool comment_ids_int;   /* some comment has an integer id (bd before 1.0.5) */
	bool comment_ids_str;   /* some comment has a string id (bd 1.0.5+: UUID v7) */
};
/*
 * Build an issue from a scanned line. Returns 0; 1 when the line is a JSON
 * object that is not an issue (a "_type" other than "issue", or no "id");
 * -1 when malformed for an issue (bad id type).
 */
int issue_from_line(const struct json_line *jl, struct issue **out);
/* Build an issue from a json-c object (bd --json output). Same returns. */
struct json_object;
int issue_from_json(struct json_object *obj, struct issue **out);
void issue_free(struct issue *is);
bool issue_has_label(const struct issue *is, const char *label);

/* ---------------------------------------------------------------- tracker.c */
/*
 * A map from issue id to an index (open addressing; the key strings are
 * borrowed and must outlive the map). Putting an id again replaces its index.
 */
struct idmap;
struct idmap *idmap_new(size_t expected);
void idmap_free(struct idmap *m);
void idmap_put(struct idmap *m, const char *id, size_t index);
/* 0 and *index, or -1 when absent. */
int idmap_get(const struct idmap *m, const char *id, size_t *index);

/*
 * The jsonl file as lines: every line kept as raw bytes with its hash, the issue
 * parsed from it when it is one. Reloading re-parses only lines whose hash changed.
 */
struct tracker_line {
	char *raw; /* NUL-terminated, without the "\n" (a "\r" before it stays as it was) */
	size_t len;
	uint64_t hash;
	struct issue *issue; /* NULL: blank, non-issue record or unparseable */
	bool bad;            /* failed to parse (reported once) */
	bool own;            /* raw is its own allocation (a patched line), not in the block */
	size_t ipos;         /* 1 + its place in tracker.issues (the last line of its id), 0 none */
};
struct tracker {
	struct tracker_line *lines;
	size_t nlines;
	char *block;           /* the file as last loaded: lines point into it */
	bool trailing_newline; /* the file ended with "\n" */
	bool crlf;             /* lines end with "\r\n" (the first line says) */
	/* id -> index of the last line with that id (last wins) */
	struct idmap *index;
	const struct issue **issues; /* tracker_issues' answer */
	size_t nissues;
	struct tracker_seen *reported; /* bad line contents already reported */
	uint64_t generation;  /* bumps when any issue changed */
	size_t reparsed;      /* lines parsed by the last tracker_load (for benchmarks) */
};
struct tracker *tracker_new(void);
void tracker_free(struct tracker *t);
/*
 * (Re)load from file contents; lines with an unchanged (hash, length) keep their
 * parse. name is used in warnings ("NAME:LINE: not a JSON object, kept as it
 * is: why"), given once per distinct bad line content. Returns 0.
 */
int tracker_load(struct tracker *t, const char *data, size_t len, const char *name);
/*
 * The same, taking ownership of data (malloc'd, len + 1 bytes: read_file's
 * buffers are) instead of copying it: for a 150 MB file, the copy is the cost.
 */
int tracker_load_buf(struct tracker *t, char *data, size_t len, const char *name);
/*
 * Issues from tracker_get and tracker_issues stay valid until the next
 * tracker_load or tracker_apply (an unchanged line keeps its issue record).
 */
const struct issue *tracker_get(const struct tracker *t, const char *id);
/* Every issue (last line wins for duplicate ids), in file order. Array owned by t. */
size_t tracker_issues(struct tracker *t, const struct issue ***out);
/* The whole file as it is now (lines, newline convention, final newline), appended to out. */
void tracker_render(const struct tracker *t, struct buf *out);

/* A change yggd makes to one issue. */
enum patch_op {
	PATCH_CLAIM,    /* needs open and no other assignee; -> in_progress, assignee, started_at */
	PATCH_CLOSE,    /* needs in_progress by assignee; -> closed, closed_at, close_reason */
	PATCH_BLOCK,    /* needs in_progress by assignee; -> blocked */
	PATCH_REOPEN,   /* needs in_progress by assignee; -> open, assignee removed */
	PATCH_COMMENT,  /* needs the issue to exist */
};
struct patch {
	enum patch_op op;
	char *id;
	char *assignee; /* this daemon's assignee */
	char *reason;   /* close_reason (CLOSE) */
	char *comment;  /* comment text appended (any op), may be NULL */
	char *author;   /* comment author; NULL = "yggd" */
	int64_t now;    /* wall clock for timestamps */
	int result;     /* out: 0 applied, PATCH_CONFLICT, PATCH_MISSING */
	char *why;      /* out: human reason when not applied */
};
#define PATCH_CONFLICT 1
#define PATCH_MISSING 2
/*
 * Apply patches to the tracker in memory (compare-and-set against its current
 * content, in order) and render the whole file into out (unless out is NULL:
 * tracker_render can do it later, e.g. on a writer thread). Each patch's result
 * says whether it applied. Untouched lines are copied byte for byte; the
 * tracker's own lines become the new content.
 */
void tracker_apply(struct tracker *t, struct patch *patches, size_t n, struct buf *out);
void patch_free_fields(struct patch *p);

/* ---------------------------------------------------------------- ready.c */
/*
 * bd's ready rules over a set of issues, and the dispatch order. issues/n is
 * every issue known; out receives the ready ones in order (array owned by the
 * caller, elements borrowed from the input). now in ns. O(n log n).
 */
size_t ready_compute(const struct issue *const *issues, size_t n, int64_t now, enum sort_kind sort,
    const struct issue ***out);
/* Order an already-ready list (bd backend) in place. */
void ready_sort(const struct issue **v, size_t n, int64_t now, enum sort_kind sort);
/* Is issue_type one bd never offers as ready work (merge-request, gate, ...)? */
bool ready_type_excluded(const char *issue_type);

/* ---------------------------------------------------------------- route.c */
/*
 * The handler for an issue (DESIGN "Routing"), or NULL when none takes it. In
 * order: a label "ygg:<type>", then a label equal to a type name (issue label
 * order); a label in a handler's labels; the title keyword that comes first in
 * the title; the default handler. Labels and words compare ASCII-case-insensitively.
 */
const struct handler_conf *route_issue(const struct ygg_config *cfg, const struct issue *is);
/*
 * Title words as routing sees them: runs of letters and digits, where any
 * non-ASCII character that is not punctuation, a symbol or a space counts as a
 * letter. Finds the next word at or after *pos, sets *word to it, moves *pos past
 * it and returns its length in bytes; 0 when there are no more.
 */
size_t route_next_word(const char **pos, const char **word);


/* ---------------------------------------------------------------- store.c, store_jsonl.c, store_bd.c */
/*
 * The task store: a view of the tracker plus asynchronous writes whose results
 * come back as callbacks on the event loop. store.c picks the backend
 * (store = auto | jsonl | bd) and forwards to it.
 *
 * Issue pointers handed out by ready(), lookup() and mine_in_progress() are
 * borrowed: they stay valid until the next changed callback (the store calls
 * it right after it replaced issues: a reload, a poll, or a write that
 * re-parsed the lines it touched). Copy what must outlive that, or look the
 * issue up again.
 *
 * Done callbacks run on the loop after the write finished, never from inside
 * submit(); a callback may submit again (that goes into the next batch). For
 * jsonl the changed callback of a write comes first (the batch is applied in
 * memory, then written on a thread, then answered); for bd it follows the
 * batch's answers. bd's first view (store_start) is announced by a changed
 * callback on the first loop turn.
 */
struct store;
enum store_op {
	STORE_CLAIM,    /* open & ready -> in_progress, assignee = ours */
	STORE_COMPLETE, /* in_progress & ours -> closed with close_reason, + comment */
	STORE_FAIL,     /* in_progress & ours -> blocked, + comment (the reason) */
	STORE_REOPEN,   /* in_progress & ours -> open, assignee cleared, + comment if any */
	STORE_COMMENT,  /* add a comment only */
};
#define STORE_OK 0
#define STORE_CONFLICT 1 /* a precondition failed: someone else changed the issue */
#define STORE_ERROR (-1) /* could not write (I/O, bd failed); err says why */
/* result is STORE_OK, STORE_CONFLICT or STORE_ERROR; err borrowed (NULL when ok). */
typedef void store_done_cb(int result, const char *err, void *arg);
/* The view changed (file edited, bd poll returned something new). */
typedef void store_changed_cb(void *arg);

/* Counters for status, metrics, benchmarks and tests. */
struct store_stats {
	uint64_t reads;     /* jsonl: times the file was read (an unchanged poll reads nothing) */
	uint64_t reparsed;  /* jsonl: lines parsed again by those reads, in total */
	uint64_t writes;    /* jsonl: rewrites of issues.jsonl; bd: write calls that ran */
	uint64_t patches;   /* changes submitted */
	uint64_t conflicts; /* STORE_CONFLICT answers */
	uint64_t errors;    /* STORE_ERROR answers */
	uint64_t bd_calls;  /* bd: child processes started */
	uint64_t bd_failed; /* bd: calls that failed (exit status, timeout, garbage) */
	double last_flush;  /* jsonl: seconds the last batch held the loop; bd: last call */
	double last_write;  /* jsonl: seconds the last rewrite took on the writer thread */
	bool busy;          /* a write is under way (claims are answered before it lands) */
};

struct store_ops {
	const char *name; /* "jsonl" or "bd" */
	int (*start)(struct store *st);
	void (*stop)(struct store *st);
	/*
	 * The ready issues in dispatch order at now (cached: cheap to call often).
	 * The array lives until the next ready() call, the issues until the next
	 * changed callback.
	 */
	size_t (*ready)(struct store *st, int64_t now, const struct issue ***out);
	/* any issue yggd knows by id (for cancellation checks), borrowed; NULL unknown */
	const struct issue *(*lookup)(struct store *st, const char *id);
	/* every issue in_progress with our assignee (crash recovery at start); array as ready()'s */
	size_t (*mine_in_progress)(struct store *st, const struct issue ***out);
	void (*submit)(struct store *st, enum store_op op, const char *id, const char *reason,
	    const char *comment, store_done_cb *cb, void *arg);
	/* ask for a fresh look now (e.g. after our own write); may be a no-op */
	void (*refresh)(struct store *st);
	void (*stats)(struct store *st, struct store_stats *out);
	void (*free)(struct store *st);
};

struct store {
	const struct store_ops *ops;
	struct event_base *base;
	const struct ygg_config *cfg; /* borrowed; replaced on reload via store_set_config */
	store_changed_cb *changed_cb;
	void *changed_arg;
	void *impl;
};

/*
 * Pick and create the backend; NULL with *cause when the tracker cannot be used.
 * beads_dir, assignee and bd_path are copied at creation: changing them needs a
 * new store. Everything else (sort, poll_interval, bd_timeout) is read per use.
 */
struct store *store_new(struct event_base *base, const struct ygg_config *cfg, char **cause);
void store_free(struct store *st); /* pending writes are dropped without callbacks */
void store_set_changed_cb(struct store *st, store_changed_cb *cb, void *arg);
/* A reloaded config (borrowed, must outlive the store or the next call). */
void store_set_config(struct store *st, const struct ygg_config *cfg);
/* First load (jsonl: synchronous read; bd: first poll, synchronous); -1 logged. */
int store_start(struct store *st);
/*
 * Stop watching and polling. Writes still queued are written and answered:
 * jsonl at once (inside this call), bd on the loop as its calls finish.
 */
void store_stop(struct store *st);
size_t store_ready(struct store *st, int64_t now, const struct issue ***out);
const struct issue *store_lookup(struct store *st, const char *id);
size_t store_mine_in_progress(struct store *st, const struct issue ***out);
void store_submit(struct store *st, enum store_op op, const char *id, const char *reason,
    const char *comment, store_done_cb *cb, void *arg);
void store_refresh(struct store *st);
void store_get_stats(struct store *st, struct store_stats *out);
const char *store_name(const struct store *st);
/* Would store = auto pick bd for this config? 1 yes, 0 no; *why says why (static text). */
int store_auto_wants_bd(const struct ygg_config *cfg, const char **why);
/* The bd executable as execvp would find it (a name with a slash as it is): new string or NULL. */
char *store_find_bd(const char *bd_path);

struct store *store_jsonl_new(struct event_base *base, const struct ygg_config *cfg, char **cause);
struct store *store_bd_new(struct event_base *base, const struct ygg_config *cfg, char **cause);
/*
 * Append complete JSONL lines (each without its newline) to beads_dir/issues.jsonl
 * under the lock protocol (flock .jsonl.lock, re-read, temp file, fsync, rename,
 * folder fsync), creating the folder and the file when missing. Used by `yggctl create`.
 */
int jsonl_append_lines(const char *beads_dir, const char *const *lines, size_t n, char **cause);

/* ---------------------------------------------------------------- http.c */
/*
 * libcurl multi driven by libevent (the hiperfifo pattern). One struct http per
 * event loop; requests are streamed to data_cb as bytes arrive.
 */
struct http;
struct http_req;
struct http_opts {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *body; /* borrowed until done (copied by http_start) */
	size_t body_len;
	const char *const *headers; /* "Name: value", NULL-terminated, copied */
	double connect_timeout;     /* seconds; 0 = curl default */
	double idle_timeout;        /* seconds without a byte; 0 = none */
	double total_timeout;       /* seconds; 0 = none */
	size_t max_bytes;           /* abort when the body grows past this; 0 = no cap */
};
struct http_result {
	int curl_code;       /* CURLcode; 0 ok */
	long status;         /* HTTP status, 0 when none */
	const char *error;   /* human text when curl_code != 0 or a cap hit, else NULL */
	bool timed_out;      /* connect, idle or total timeout */
	bool too_large;      /* max_bytes exceeded */
	double retry_after;  /* seconds from Retry-After, -1 when absent */
	double elapsed;      /* seconds */
	const char *content_type; /* borrowed, may be NULL */
	int os_errno;        /* errno behind a failed connect/send/receive, 0 none */
	bool connected;      /* a connection to the server was made */
	bool idle_timed_out; /* no byte for idle_timeout seconds (timed_out is set too) */
};
/* Return nonzero from data_cb to abort the transfer (reported as an error). */
typedef int http_data_cb(const char *data, size_t len, void *arg);
typedef void http_done_cb(const struct http_result *res, void *arg);

struct http *http_new(struct event_base *base);
void http_free(struct http *h); /* aborts outstanding requests without callbacks */
/* Keep up to n connections per host (at least every host's slots). */
void http_set_max_host_connections(struct http *h, long n);
struct http_req *http_start(struct http *h, const struct http_opts *opts, http_data_cb *data_cb,
    http_done_cb *done_cb, void *arg);
/*
 * Abort now: the connection is closed, done_cb is not called. Safe from inside
 * any http callback (data_cb, or another request's done_cb); a request whose
 * done_cb is running is already finished, and cancelling it then is a no-op.
 */
void http_cancel(struct http_req *req);
/* Requests started and not yet finished. */
size_t http_in_flight(const struct http *h);
/* The HTTP status of a request in progress (0 before the headers arrive): lets data_cb
 * tell a streamed reply from an error body. */
long http_req_status(const struct http_req *req);

/* ---------------------------------------------------------------- llm.c, llm_stream.c */
/* The plugin-visible request, filled by plugins through the host API. */
struct llm_message {
	char *role;
	char *content;
};
struct ygg_request {
	char *system;
	struct llm_message *msgs;
	size_t nmsgs;
	/* options as name -> raw JSON text, in the order set */
	char **opt_names;
	char **opt_values;
	size_t nopts;
};
void request_init(struct ygg_request *req);
void request_clear(struct ygg_request *req);

/* Failure classes, decided once, in the core (DESIGN "LLM hosts"). */
enum fail_class {
	FAIL_NONE,
	FAIL_TRANSIENT,     /* retry with backoff */
	FAIL_PERMANENT,     /* blocked at once */
	FAIL_MODEL_MISSING, /* 404 model not found: next host */
	FAIL_CANCELLED,
};
const char *fail_class_name(enum fail_class c);

/* What a finished call produced. */
struct ygg_reply {
	char *content; /* assistant text, NUL-terminated */
	size_t len;
	char *model;   /* as reported by the server, may be NULL */
	int64_t prompt_tokens;
	int64_t completion_tokens;
	double ttft;     /* seconds from send to first content byte, -1 none */
	double duration; /* seconds from send to the end */
	double gen_duration; /* server-reported generation time (s), -1 unknown */
	bool done;       /* the stream ended properly (done:true / [DONE]) */
	long status;
	enum fail_class fail;
	char *error;     /* why it failed, in words (server message when there is one) */
	double retry_after; /* seconds, -1 none */
	char *finish_reason; /* "stop", "length", ... as the server said, may be NULL */
};
/* Free the strings and reset to the empty state (ttft, gen_duration, retry_after -1). */
void reply_clear(struct ygg_reply *r);

/*
 * Incremental stream parsers: feed bytes as they arrive in any split; they build
 * the reply. Both accept a non-streamed single JSON body too.
 */
struct llm_stream;
struct llm_stream *llm_stream_new(enum api_kind api, size_t max_bytes);
void llm_stream_free(struct llm_stream *s);
/* 0 ok, -1 the stream is bad (error set in the reply); first-content time is noted */
int llm_stream_feed(struct llm_stream *s, const char *data, size_t len);
/* Call at end of body; -1 when it ended without a proper finish. */
int llm_stream_finish(struct llm_stream *s);
struct ygg_reply *llm_stream_reply(struct llm_stream *s); /* owned by s */
/* Bytes of content received so far (for "first token" detection). */
size_t llm_stream_content_len(const struct llm_stream *s);
/*
 * Quote untrusted bytes (a server's words) for a message or a log line: printable
 * ASCII and valid UTF-8 kept, whitespace as spaces, the rest as '?', at most max
 * bytes, then "..." when cut.
 */
void llm_quote(struct buf *b, const char *p, size_t n, size_t max);

/*
 * The HTTP body for a request to host (model, stream: true, options). Options are
 * the request's (mapped to the API's names: Ollama's max_tokens is num_predict)
 * over the host's `options =` JSON, which fills in what the request leaves unset.
 * Ollama's keep_alive, format and think go top-level, the rest into "options";
 * OpenAI takes them all top-level.
 */
char *llm_request_body(const struct host_conf *host, const struct ygg_request *req, size_t *len);
/* Path for the chat call ("/api/chat" or "/v1/chat/completions") and for probes. */
const char *llm_chat_path(enum api_kind api);
const char *llm_probe_path(enum api_kind api);
/* Does a probe response body list the model? 1 yes, 0 no, -1 unparseable. */
int llm_probe_has_model(enum api_kind api, const char *body, size_t len, const char *model);

/* One chat call over http with streaming, classification and caps. */
struct llm_call;
typedef void llm_done_cb(struct ygg_reply *reply, void *arg); /* reply borrowed for the call */
struct llm_call_opts {
	const struct host_conf *host;
	const char *api_key;  /* NULL none; never logged */
	double total_timeout; /* seconds, 0 = host's */
	size_t max_bytes;
};
struct llm_call *llm_call_start(struct http *h, const struct llm_call_opts *o,
    const struct ygg_request *req, llm_done_cb *cb, void *arg);
void llm_call_cancel(struct llm_call *c); /* aborts; cb not called */
/* Classify an HTTP outcome (status + body text) into a failure class with words. */
enum fail_class llm_classify(const struct http_result *res, const char *body, size_t len, char **why);

/* ---------------------------------------------------------------- hostapi.c */
/*
 * The opaque plugin handles' real shapes. The dispatcher fills a struct ygg_task
 * for each call into a plugin; everything it points to is borrowed for the call.
 */
struct ygg_task {
	const struct issue *issue;           /* borrowed for the call */
	const struct handler_conf *handler;  /* borrowed, may be NULL (tests, checks) */
	const struct host_conf *host;        /* borrowed, may be NULL outside dispatch */
	const char *type;
	const char *plugin_name;
	int attempt;                         /* 1 for the first try */
	char scratch[32]; /* formatted numbers for task_get: priority in [0,16), attempt in [16,32) */
};
struct artifact {
	char *name; /* validated relative path */
	char *data;
	size_t len;
};
struct ygg_result {
	char *text; /* NULL until set */
	size_t len;
	struct artifact *arts;
	size_t narts;
	char *fail_reason; /* set by result_fail */
};
void result_init(struct ygg_result *res);
void result_clear(struct ygg_result *res);
/* The table handed to every plugin's init. */
const struct ygg_host_api *hostapi_get(void);
/*
 * The plugin whose init or fini runs now (NULL after), so api->log with a NULL
 * task can still name it. name borrowed until the next call.
 */
void hostapi_set_current(const char *plugin_name);
/* Is name a safe relative artifact path? 0 yes, -1 no with *why (static text). */
int artifact_name_check(const char *name, size_t len, const char **why);
/* The standard user message for a task (the same as api->task_prompt). Caller frees. */
char *task_prompt(const struct ygg_task *task);
/* The text helpers behind the table (same contracts as in ygg/plugin.h). */
void text_code_blocks(const char *text, size_t len, ygg_code_block_cb *cb, void *arg);
int text_split_think(const char *text, size_t len, char **thoughts, char **answer);
/* The same, also giving the answer's length (it may contain NUL bytes). */
int text_split_think_len(const char *text, size_t len, char **thoughts, char **answer, size_t *answer_len);
size_t text_cut(const char *text, size_t len, size_t max);

/* ---------------------------------------------------------------- plugin.c */
/*
 * Loading rules (DESIGN "Plugins"): plugin_dir and each *.so must not be group- or
 * world-writable and must belong to root or to the daemon's user; a symlink is
 * followed and the file it names must pass the same checks. The descriptor is
 * checked before any plugin code runs. A file already loaded (same path, device,
 * inode and mtime) is left alone; a changed one is loaded as a new version
 * through /proc/self/fd (the path the old handle holds would give back the old
 * code) and the old version is retired; a file that disappeared retires its
 * plugin. Retired plugins are unloaded (fini, dlclose) when their last task
 * ends.
 */
struct plugin {
	char *name;
	char *version;
	char *path;          /* the file it was loaded from */
	const struct ygg_plugin *desc;
	void *dl;
	void *state;         /* from init */
	int refs;            /* tasks in flight on this code, + 1 while current */
	bool retired;        /* replaced: unload when refs reaches 0 */
	int fd;              /* held open while loaded through /proc/self/fd, else -1 */
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	TAILQ_ENTRY(plugin) entry;
};
TAILQ_HEAD(plugin_list, plugin);
/* A refusal, remembered for status output. */
struct plugin_error {
	char *path;
	char *reason;
	dev_t dev; /* the refused file's identity: an unchanged file is not retried */
	ino_t ino;
	int64_t mtime_ns;
	TAILQ_ENTRY(plugin_error) entry;
};
TAILQ_HEAD(plugin_error_list, plugin_error);

struct plugin_set {
	struct plugin_list loaded;        /* current plugins */
	struct plugin_list retired;       /* replaced, waiting for tasks to end */
	struct plugin_error_list errors;  /* refusals from the last scan */
};
void plugin_set_init(struct plugin_set *ps);
void plugin_set_clear(struct plugin_set *ps); /* fini + dlclose everything */
/*
 * Load every *.so in dir (sorted by name) that is not loaded yet or changed, and
 * retire plugins whose file is gone. Refusals are logged (one line
 * "plugin=FILE refused: REASON") and recorded in ps->errors (which then holds this
 * scan's refusals only); they never stop the others. Returns the number of
 * plugins loaded by this call, or -1 when the folder itself is unusable (*cause
 * says why; it is recorded in ps->errors too and nothing changes).
 */
int plugin_load_dir(struct plugin_set *ps, const char *dir, char **cause);
/* Load one file (check, then init); 0, or -1 with *cause (logged and recorded too). */
int plugin_load_file(struct plugin_set *ps, const char *path, char **cause);
/* Check and init a file without keeping it loaded: 0, or -1 with *cause. */
int plugin_check_file(const char *path, char **cause);
struct plugin *plugin_find(struct plugin_set *ps, const char *name);
struct plugin *plugin_for_type(struct plugin_set *ps, const char *type);
/* Reference counting for tasks in flight. */
void plugin_ref(struct plugin *p);
void plugin_unref(struct plugin_set *ps, struct plugin *p);
/* Which plugin serves handler h: h->plugin by name, else the one serving h->type. */
struct plugin *plugin_for_handler(struct plugin_set *ps, const struct handler_conf *h);
/* Does p serve type? */
bool plugin_serves(const struct plugin *p, const char *type);

/* ---------------------------------------------------------------- artifact.c */
/*
 * Writing results to disk off the event loop: one worker thread takes jobs and
 * hands finished ones back to the loop through a pipe.
 */
struct artifact_job;
/* ok: 0 written, -1 failed (why says it, borrowed); dir: the folder written. */
typedef void artifact_done_cb(int ok, const char *why, const char *dir, void *arg);
struct artifact_writer;
struct artifact_writer *artifact_writer_new(struct event_base *base);
void artifact_writer_free(struct artifact_writer *w); /* waits for the thread */
/*
 * Queue writing root/<issue_id>/result.md (text) and each artifact under that
 * folder. Names were checked by artifact_name_check; the writer checks again and
 * never follows a symlink or leaves root/<issue_id>/. Takes copies.
 */
void artifact_write(struct artifact_writer *w, const char *root, const char *issue_id,
    const char *text, size_t len, const struct artifact *arts, size_t narts,
    artifact_done_cb *cb, void *arg);
/* The same work, synchronously (tests, and the worker itself). */
int artifact_write_sync(const char *root, const char *issue_id, const char *text, size_t len,
    const struct artifact *arts, size_t narts, char **why);
/* A safe folder name for an issue id (ids are not trusted): new string. */
char *artifact_dir_name(const char *issue_id);

/* ---------------------------------------------------------------- host.c */
/* A GPU host as the daemon runs it: slots, health, counters. Survives reloads. */
struct host {
	char *name;
	struct host_conf conf_copy; /* the current settings (strings owned) */
	const struct host_conf *conf; /* == &conf_copy */
	char *api_key;      /* from env or file; never logged */
	int in_flight;      /* counted by the core: claims + requests */
	int max_in_flight;  /* highest seen */
	bool healthy;
	bool removed;       /* gone from the config; kept until its tasks end */
	int consecutive_failures;
	char *last_error;
	int64_t down_since;
	struct event *probe_ev;
	struct http_req *probe;
	/* counters for status and metrics */
	uint64_t done, failed, retried;
	int64_t busy_ns;        /* integral of in_flight > 0 time */
	int64_t busy_since;     /* when in_flight went from 0 to 1 */
	int64_t slot_ns;        /* integral of in_flight over time */
	int64_t last_change;
	struct daemon *d;
	TAILQ_ENTRY(host) entry;
};
TAILQ_HEAD(host_list, host);
struct host *host_new(struct daemon *d, const struct host_conf *conf);
void host_free(struct host *h);
/* Replace settings (reload); keeps counters and in-flight. */
void host_update(struct host *h, const struct host_conf *conf);
bool host_has_free_slot(const struct host *h);
void host_acquire(struct host *h);
void host_release(struct host *h);
/* Outcome of a request for health accounting. */
void host_note_success(struct host *h);
void host_note_failure(struct host *h, const char *why);
struct host *host_find(struct daemon *d, const char *name);

/* ---------------------------------------------------------------- task.c */
enum task_state {
	TASK_CLAIMING,  /* claim submitted */
	TASK_RUNNING,   /* request in flight */
	TASK_RETRY_WAIT,/* waiting for its backoff; holds no slot */
	TASK_RETRY_DUE, /* backoff over; waits for a slot */
	TASK_WRITING,   /* result being written / store write pending */
	TASK_ABORTING,  /* shutdown: reopen pending */
};
/* A task yggd is working on: from the claim until the final store write. */
struct task {
	char *id;
	struct issue *issue;      /* our own copy */
	char *type;               /* handler type */
	struct plugin *plugin;    /* referenced while the task lives */
	struct host *host;        /* current host, NULL while waiting */
	enum task_state state;
	int attempt;              /* 1-based */
	int max_attempts;
	unsigned tried_model_missing; /* bit per host index in the handler list */
	struct llm_call *call;
	struct event *timer;      /* retry backoff / total timeout */
	int64_t claimed_at;       /* mono ns */
	int64_t started_at;       /* mono ns, current attempt */
	char *last_error;
	struct ygg_reply reply_copy; /* stats of the last reply */
	bool holds_slot;          /* counted in host->in_flight */
	bool finished;            /* nothing more to do once writes return */
	bool abort_requested;     /* shutdown while the claim was pending */
	int pending_ops;          /* store writes / artifact jobs not yet answered */
	int write_retries;        /* store errors retried */
	struct daemon *d;
	struct task *hash_next;
	TAILQ_ENTRY(task) entry;
};
TAILQ_HEAD(task_list, task);
/* Claim issue on host and run it. The daemon already took the slot. */
struct task *task_start(struct daemon *d, const struct issue *is, const char *type,
    struct plugin *p, struct host *h);
/* A retry whose time came: run on host h (slot already taken). */
void task_resume(struct task *t, struct host *h);
/* Someone else moved the issue: abort and forget, their status stands. */
void task_cancel(struct task *t, const char *why);
/* Shutdown: abort the request and reopen the issue. */
void task_abort_reopen(struct task *t, const char *why);
struct task *task_find(struct daemon *d, const char *id);
void task_free(struct task *t);

/* ---------------------------------------------------------------- sched.c */
/* Ask for a scheduling pass; passes coalesce to one per loop turn. */
void sched_kick(struct daemon *d);
/* The pass: place ready tasks and due retries on free slots, by priority. */
void sched_run(struct daemon *d);
/* Pick the host for handler h: first healthy one with a free slot, skipping
 * hosts in skip_mask (bit per index in h->hosts). NULL when all are full/down. */
struct host *sched_pick_host(struct daemon *d, const struct handler_conf *h, unsigned skip_mask);

/* Learn how long a handler's tasks take (successful requests), for the fill. */
struct learned_duration {
	char *type;
	double avg;  /* seconds, moving average */
	uint64_t n;
};
void sched_learn(struct daemon *d, const char *type, double seconds);
/* Expected seconds for a handler type, or -1 when nothing was learned yet. */
double sched_expected(const struct daemon *d, const char *type);

/* ---------------------------------------------------------------- stats.c */
/* Counters and histograms for /status and /metrics. */
#define STATS_BUCKETS 14
extern const double stats_bucket_bounds[STATS_BUCKETS]; /* seconds, ascending */
struct histogram {
	uint64_t counts[STATS_BUCKETS + 1]; /* per bucket (not cumulative); last = +Inf */
	double sum;
	uint64_t count;
};
void histogram_observe(struct histogram *hg, double v);
struct outcome_counter {
	char *handler;
	char *host;
	char *outcome; /* "closed", "blocked", "retried", "cancelled", "reopened" */
	uint64_t n;
	TAILQ_ENTRY(outcome_counter) entry;
};
TAILQ_HEAD(outcome_list, outcome_counter);
struct completion {
	char id[64];
	char host[64];
	char handler[32];
	char outcome[16];
	char reason[200]; /* why it failed or was cancelled; empty on success */
	double seconds;
	int64_t when; /* wall ns */
};
#define STATS_RECENT 32
struct stats {
	struct outcome_list outcomes;
	struct histogram duration; /* task request duration, s */
	struct histogram ttft;     /* time to first token, s */
	uint64_t prompt_tokens, completion_tokens;
	struct completion recent[STATS_RECENT]; /* ring */
	size_t nrecent, recent_next;
};
void stats_init(struct stats *s);
void stats_clear(struct stats *s);
void stats_outcome(struct stats *s, const char *handler, const char *host, const char *outcome);
void stats_completion(struct stats *s, const char *id, const char *host, const char *handler,
    const char *outcome, const char *reason, double seconds);

/* ---------------------------------------------------------------- daemon.c */
struct daemon {
	struct event_base *base;
	struct ygg_config *cfg;
	struct store *store;
	struct http *http;
	struct plugin_set plugins;
	struct artifact_writer *writer;
	struct host_list hosts;
	struct task_list tasks;
	size_t ntasks;
	struct task **task_hash; /* by id, chained through hash_next */
	size_t task_hash_size;
	int pending_store_ops;   /* writes not tied to a task (start-up reopen) */
	bool store_seen;         /* the store has delivered its first view */
	char **held;             /* ids the operator cancelled: not claimed again until reload */
	size_t nheld;
	struct learned_duration *learned; /* expected seconds per handler type */
	size_t nlearned;
	struct stats stats;
	struct event *sched_ev;  /* coalesced scheduling pass */
	struct event *sig_term, *sig_int, *sig_hup, *sig_pipe;
	struct event *grace_ev;
	struct event *plugin_watch_ev;
	int plugin_inotify;
	struct event *plugin_rescan_ev;
	struct control *control;
	int lock_fd;             /* per-assignee instance lock */
	int64_t started_wall;
	bool drain;              /* --drain: exit when idle */
	bool stopping;           /* SIGTERM: no new claims */
	bool aborting;           /* grace over: reopening */
	bool exit_requested;
	int exit_code;
	size_t ready_count;      /* ready and routable at the last pass */
	size_t queued_count;     /* ready but waiting for a slot at the last pass */
	uint64_t unroutable_generation;
	void (*on_idle)(struct daemon *d); /* tests */
};
struct daemon *daemon_new(struct ygg_config *cfg, bool drain, char **cause);
/* Run until stopped; returns the exit code. */
int daemon_run(struct daemon *d);
void daemon_free(struct daemon *d);
/* Reload the config file; 0 or -1 with *cause (old config kept). */
int daemon_reload(struct daemon *d, char **cause);
/* Check whether a drain run is finished and stop the loop when it is. */
void daemon_check_idle(struct daemon *d);
/* Rescan plugin_dir now (hot drop-in). */
void daemon_rescan_plugins(struct daemon *d);
/* Was this id cancelled by the operator (not to be claimed again until reload)? */
bool daemon_is_held(const struct daemon *d, const char *id);
/* Cancel a task by id from the control API: 0, or -1 unknown. */
int daemon_cancel(struct daemon *d, const char *id, char **cause);
void daemon_notify(struct daemon *d, const char *fmt, ...) YGG_PRINTF_LIKE(2, 3); /* sd_notify */

/* ---------------------------------------------------------------- control.c, metrics.c, page.c, ctl.c */
/*
 * Where the control API listens (control = ...): "IP:PORT" (v4, or "[v6]:PORT";
 * "localhost" reads as 127.0.0.1), "unix:PATH", or "off". Shared by the server
 * and the clients (yggctl, ygg-plugin).
 */
enum control_kind { CONTROL_OFF, CONTROL_TCP, CONTROL_UNIX };
struct control_addr {
	enum control_kind kind;
	char *host; /* TCP: the IP literal, without brackets */
	int port;   /* TCP: 0-65535 (0: any free port, server only) */
	char *path; /* UNIX: the socket file */
};
/* 0, or -1 with *cause ("control = S: what is wrong"). Clear with control_addr_clear. */
int control_addr_parse(const char *s, struct control_addr *out, char **cause);
void control_addr_clear(struct control_addr *a);
/*
 * The bearer token: the first line of path, trimmed. The file must be a regular
 * file of mode 0600 or stricter. 0 and a new string, or -1 with *cause.
 */
int control_token_read(const char *path, char **token, char **cause);

/*
 * The control server on the daemon's loop (libevent evhttp): GET /status (JSON),
 * GET /metrics (Prometheus text), GET /plugins (JSON), GET / (the status page),
 * POST /tasks/ID/cancel, POST /reload. Over TCP, POST needs "Authorization:
 * Bearer TOKEN" (control_token_file); over a unix socket its 0600 mode is the
 * guard. control_new listens on d->cfg->control and reads the token file: NULL
 * with *cause naming the address (or the token file) when it cannot; with
 * control = off it returns a server that listens nowhere.
 */
struct control;
struct control *control_new(struct daemon *d, char **cause);
/* Stop listening and remove the unix socket file it created. NULL is fine. */
void control_free(struct control *c);
/* After daemon_reload: re-read the token file (a bad one keeps the old token, logged). */
void control_reload(struct control *c);
/* What it listens on, e.g. "127.0.0.1:7411" (a port 0 resolved), "unix:/run/ygg.sock", "off". */
const char *control_address(const struct control *c);
/*
 * The documents behind GET /status and GET /plugins, as new strings. /status:
 * version, uptime_s, store, ready, queued, in_flight, hosts[], handlers[],
 * plugins[], plugin_errors[], tasks[], recent[] (newest first). A host's
 * "queued" counts ready tasks waiting for a slot whose handler lists that host
 * first among the hosts that exist, so the hosts' counts add up to the queue.
 */
char *control_status_json(struct daemon *d);
char *control_plugins_json(struct daemon *d);

/* Prometheus text exposition format 0.0.4 of the daemon's state, appended to out. */
void metrics_render(struct daemon *d, struct buf *out);
/* A label value as the format wants it inside quotes: \\ \" and \n escaped. */
void metrics_label_escape(struct buf *out, const char *s);
/* A sample value: integers as such, NaN/+Inf/-Inf spelled the Prometheus way. */
void metrics_value(struct buf *out, double v);

/* The status page: one self-contained HTML document (static, NUL-terminated). */
const char *page_html(size_t *len);

/*
 * The clients' side (yggctl status | monitor | cancel | reload, ygg-plugin list).
 * Each yggctl subcommand takes argv with argv[0] the subcommand's name and
 * returns the exit status: 0 done, 1 the daemon did not answer or refused,
 * 2 usage or configuration error.
 */
int ctl_status(int argc, char **argv);
int ctl_monitor(int argc, char **argv);
int ctl_cancel(int argc, char **argv);
int ctl_reload(int argc, char **argv);
/* How to reach a daemon. */
struct ctl_target {
	char *addr;        /* control address as in the config */
	char *token;       /* bearer token or NULL */
	char *token_error; /* why the token file could not be read, or NULL */
	char *config_path; /* where addr came from (for messages), or NULL */
	bool defaulted;    /* no -c and no default config file: addr is the built-in default */
};
/* From a loaded config (control and control_token_file); clear with ctl_target_clear. */
void ctl_target_from_config(struct ctl_target *t, const struct ygg_config *cfg);
void ctl_target_clear(struct ctl_target *t);
/*
 * One request (method "GET" or "POST") to path. 0 with *body (caller frees) and
 * *status when the daemon answered (any status), -1 with *cause when nothing
 * answered: "no yggd answers at ADDR (is it running? control = ADDR in FILE)".
 */
int ctl_request(const struct ctl_target *t, const char *method, const char *path, char **body,
    long *status, char **cause);
/*
 * GET /plugins' answer as the text ygg-plugin list prints (loaded plugins with
 * types, hosts and tasks in flight, then refusals), appended to out; -1 when
 * json is not such an answer.
 */
int ctl_plugins_text(const char *json, struct buf *out);

#endif /* YGG_H */
