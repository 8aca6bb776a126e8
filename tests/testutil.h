/*
 * testutil.h - what the suites share: temporary folders, files, running the
 * built programs and the mock host, HTTP GETs against them.
 */
#ifndef YGG_TESTUTIL_H
#define YGG_TESTUTIL_H

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
/* Sleep for s seconds (fractions allowed). */
void tu_sleep(double s);

#endif
