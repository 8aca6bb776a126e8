/*
 * testutil.h - what the suites share: temporary folders, files, running the
 * built programs and the mock host, HTTP GETs against them.
 */
#ifndef YGG_TESTUTIL_H
#define YGG_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A new empty folder under $TMPDIR (or /tmp); removed by tu_rmtree. Caller frees. */
char *tu_tmpdir(void);
void tu_rmtree(const char *path);
void tu_write_file(const char *path, const char *text);
void tu_write_filef(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whole file, NUL-terminated; NULL when it cannot be read. Caller frees. */
char *tu_read_file(const char *path, size_t *len);
/* build/bin/NAME, build/tests/NAME, SOURCE/REL, build/REL. Caller frees. */
char *tu_bin(const char *name);
char *tu_testbin(const char *name);
char *tu_src(const char *rel);
char *tu_build(const char *rel);
/* Start argv[0] with args; stdout and stderr to log_path (NULL: /dev/null). */
pid_t tu_spawn(char *const argv[], const char *log_path);
/* Wait up to timeout seconds; exit status, 128+signal, or -1 on timeout (then killed). */
int tu_wait(pid_t pid, double timeout);
/* Run and capture stdout+stderr; returns the exit status (-1 timeout). *out caller frees. */
int tu_run(char *const argv[], double timeout, char **out);
/* Start tests/mockhost with extra args; returns its pid and sets *port. */
pid_t tu_mock_start(int *port, char *const extra_args[]);
void tu_mock_stop(pid_t pid);
/* GET http://127.0.0.1:port/path; returns the body (caller frees) and *status. */
char *tu_http_get(int port, const char *path, long *status);
/* POST with body and optional bearer token. */
char *tu_http_post(int port, const char *path, const char *body, const char *token, long *status);
/* Count non-overlapping occurrences of needle in hay. */
int tu_count(const char *hay, const char *needle);
/*
 * Run an event loop until *counter >= target or timeout seconds pass (the loop
 * wakes at least every 10 ms to look). True when the counter got there.
 */
struct event_base;
bool tu_loop_until(struct event_base *base, const int *counter, int target, double timeout);
/* Sleep for s seconds (fractions allowed). */
void tu_sleep(double s);

/*
 * ---- end-to-end environments (the faults, lifecycle, badinput and security
 * suites): a temporary root with .beads/, ygg.ini, yggd.log and artifacts/,
 * mock hosts and yggd processes that die with the test process (a failed
 * assertion or a Check timeout leaves nothing running).
 */
#include <stdbool.h>
#include <stdio.h>
struct json_object;

#define TU_ENV_MAX_PROCS 8
struct tu_env {
	char *dir;       /* the temporary root */
	char *beads;     /* dir/.beads */
	char *tracker;   /* dir/.beads/issues.jsonl */
	char *config;    /* dir/ygg.ini */
	char *log;       /* dir/yggd.log: every yggd run appends to it */
	char *artifacts; /* dir/artifacts */
	char *mocklog;   /* dir/mock.log */
	pid_t mock[4];
	int port[4];
	int nmock;
	pid_t procs[TU_ENV_MAX_PROCS]; /* yggd processes, killed by tu_env_free */
	int nprocs;
};
void tu_env_init(struct tu_env *e);
/* Kills what still runs, prints yggd.log when YGG_SHOW_LOG is set, removes the root. */
void tu_env_free(struct tu_env *e);
/* Start a mock host (port 0: any free port); returns its index in e->mock, -1 when it did not start. */
int tu_env_mock(struct tu_env *e, int port, char *const extra[]);
void tu_env_mock_stop(struct tu_env *e, int i);
/*
 * Write e->config: a [yggd] section with test defaults (store = jsonl, control =
 * off, plugin_dir = build/plugins, short backoff, poll_interval, grace, health
 * interval) where each "key = value" line of yggd_keys replaces or adds a key,
 * then sections (hosts and handlers) as given.
 */
void tu_env_config(struct tu_env *e, const char *yggd_keys, const char *sections);
/* Start yggd -c e->config -v [--drain]; its output goes to e->log. */
pid_t tu_env_yggd(struct tu_env *e, bool drain);
/* yggd --drain to the end: its exit status (the log is printed when it is not 0). */
int tu_env_drain(struct tu_env *e, double timeout);
/* Wait for a process started by tu_env_yggd: status as tu_wait; forgets it. */
int tu_env_wait(struct tu_env *e, pid_t pid, double timeout);
/* Wait until path holds needle at least count times; true when it did in time. */
bool tu_wait_text(const char *path, const char *needle, int count, double timeout);
/* Poll pred(arg) every 20 ms until true or timeout. */
bool tu_wait_until(bool (*pred)(void *arg), void *arg, double timeout);

/* One issue line as bd writes it; labels_json is the inside of the array, extra starts with ',' or is "". */
void tu_issue(FILE *f, const char *id, const char *title, const char *desc, const char *status, int prio,
    const char *labels_json, const char *extra);
/* The tracker as json-c objects by id (lines that are not issues are skipped). Caller puts. */
struct json_object *tu_tracker_load(const char *path);
/* A member of issue id as a string (NULL when absent). */
const char *tu_issue_field(struct json_object *byid, const char *id, const char *key);
int tu_issue_ncomments(struct json_object *byid, const char *id);
/* Comment idx (negative: from the end) text, or NULL. */
const char *tu_issue_comment(struct json_object *byid, const char *id, int idx);
/* Comments of issue id whose text contains needle. */
int tu_issue_count_comments(struct json_object *byid, const char *id, const char *needle);
/*
 * Another writer's change, done as bd does it: under flock(.jsonl.lock), the
 * line of issue id patched (key, raw JSON value pairs until a NULL key; a NULL
 * value removes the key), temp file, rename. 0 done, -1 no such issue.
 */
int tu_tracker_edit(const char *tracker, const char *id, const char *const *kv);
/*
 * Every line of before is in after byte for byte, except lines of the issues in
 * skip_ids (NULL-terminated, may be NULL). NULL when so, else the first missing
 * line (caller frees).
 */
char *tu_lines_lost(const char *before, const char *after, const char *const *skip_ids);
/* Tasks (issues) that are in_progress in the tracker: count, and their ids comma-joined in *ids. */
int tu_tracker_in_progress(const char *tracker, char **ids);

/* GET /_mock/stats as json-c (NULL when the mock does not answer). Caller puts. */
struct json_object *tu_mock_stats(int port);
int tu_stat_int(struct json_object *stats, const char *key);
/* Entries of the mock's log for task (NULL: any) with outcome (NULL: any). */
int tu_mock_count(struct json_object *stats, const char *task, const char *outcome);
/* start_ms / end_ms of the nth (0-based) entry for task, -1 when none. */
long long tu_mock_start_ms(struct json_object *stats, const char *task, int nth);
long long tu_mock_end_ms(struct json_object *stats, const char *task, int nth);
/* Standard base64 of s (for [mock reply=...]). Caller frees. */
char *tu_base64(const char *s, size_t len);

#endif
