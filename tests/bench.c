/*
 * bench.c - ygg-bench: the engine behind scripts/demo and the benchmark suite
 * behind scripts/bench.
 *
 *   ygg-bench seed [--demo] [--unit MS]       the seed's 30 tasks on three mock hosts
 *   ygg-bench throughput [--tasks N]          tasks/s through yggd vs a bare curl loop
 *   ygg-bench latency [--n N]                 tracker append -> request at the host
 *   ygg-bench scale [--issues N,N,...]        big trackers: start, idle polls, edits, RSS
 *   ygg-bench cost [--tasks N]                instructions per task under callgrind
 *   ygg-bench all [--quick]                   everything, one table
 *   common options: --json FILE, --keep (leave the temporary folders), --build DIR
 *
 * Every figure comes from the real programs (build/bin/yggd, build/bin/yggctl,
 * build/tests/mockhost) run on a temporary tracker; the only HTTP this program
 * does itself is reading the mocks' /_mock/stats and the bare curl-multi loop
 * that gives the ceiling of the HTTP path. Each figure is printed beside its
 * goal and written as JSON (build/bench-<command>.json, build/bench.json for all).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "ygg.h"

/* ---------------------------------------------------------------- context */

struct ctx {
	char *build;      /* the build folder */
	char *yggd;       /* build/bin/yggd */
	char *yggctl;     /* build/bin/yggctl */
	char *mockhost;   /* build/tests/mockhost */
	char *plugin_dir; /* build/plugins */
	char *json_path;  /* where the figures go */
	bool keep;        /* leave temporary folders for a look */
	bool quick;
	bool tty;         /* stdout is a terminal */
};

static volatile sig_atomic_t interrupted;

/* Children to stop when we are interrupted. */
#define MAX_LIVE 32
static pid_t live_pids[MAX_LIVE];

static void
live_add(pid_t pid)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live_pids[i] == 0) {
			live_pids[i] = pid;
			return;
		}
	}
}

static void
live_remove(pid_t pid)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live_pids[i] == pid)
			live_pids[i] = 0;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live_pids[i] > 0)
			kill(live_pids[i], SIGKILL);
	}
}

static double
secs_since(int64_t t0)
{
	return (double)(now_mono_ns() - t0) / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !interrupted)
		;
}

/* ---------------------------------------------------------------- figures */

enum goal_op { GOAL_INFO, GOAL_LE, GOAL_GE, GOAL_EQ };

struct figure {
	char *key;   /* stable JSON key: "seed.fixed.makespan_s" */
	char *name;  /* what the table says */
	double value;
	char *unit;
	enum goal_op op;
	double goal;
	char *note;  /* how it was measured, or why a goal is missed */
	bool measured;
};

static struct figure *figs;
static size_t nfigs;
static bool figs_quiet; /* the demo shows its own summary instead */
static struct json_object *details; /* per-command extras for the JSON file */

static bool
fig_met(const struct figure *f)
{
	switch (f->op) {
	case GOAL_LE:
		return f->value <= f->goal + 1e-12;
	case GOAL_GE:
		return f->value >= f->goal - 1e-12;
	case GOAL_EQ:
		return fabs(f->value - f->goal) < 1e-9;
	case GOAL_INFO:
		break;
	}
	return true;
}

static const char *
op_text(enum goal_op op)
{
	switch (op) {
	case GOAL_LE:
		return "<=";
	case GOAL_GE:
		return ">=";
	case GOAL_EQ:
		return "=";
	case GOAL_INFO:
		break;
	}
	return "";
}

/* A number the way a person reads it: few digits, thousands kept whole. */
static void
fmt_num(char *out, size_t len, double v)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(out, len, "-");
	else if (a >= 1e7)
		snprintf(out, len, "%.3g", v);
	else if (a >= 1000 || a == floor(a))
		snprintf(out, len, "%.0f", v);
	else if (a >= 100)
		snprintf(out, len, "%.1f", v);
	else if (a >= 10)
		snprintf(out, len, "%.2f", v);
	else if (a >= 0.001)
		snprintf(out, len, "%.3f", v);
	else
		snprintf(out, len, "%.2g", v);
}

static void
fmt_value(char *out, size_t len, double v, const char *unit)
{
	char n[48];

	fmt_num(n, sizeof n, v);
	snprintf(out, len, "%s%s%s", n, *unit ? " " : "", unit);
}

static struct figure *
fig_add(const char *key, const char *name, double value, const char *unit, enum goal_op op, double goal)
{
	struct figure *f;

	figs = xrealloc(figs, (nfigs + 1) * sizeof *figs);
	f = &figs[nfigs++];
	memset(f, 0, sizeof *f);
	f->key = xstrdup(key);
	f->name = xstrdup(name);
	f->value = value;
	f->unit = xstrdup(unit);
	f->op = op;
	f->goal = goal;
	f->measured = true;
	return f;
}

static void fig_note(struct figure *f, const char *fmt, ...) YGG_PRINTF_LIKE(2, 3);
static void
fig_note(struct figure *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	free(f->note);
	f->note = s;
}

/* A figure that could not be measured: listed with why, counted as not met. */
static struct figure *
fig_missing(const char *key, const char *name, const char *unit, enum goal_op op, double goal, const char *why)
{
	struct figure *f = fig_add(key, name, NAN, unit, op, goal);

	f->measured = false;
	fig_note(f, "%s", why);
	return f;
}

/* One figure with its goal beside it, as each command prints them. */
static void
fig_print(const struct figure *f)
{
	char v[64], g[64];

	if (figs_quiet)
		return;
	if (!f->measured) {
		printf("  %-46s %12s   not measured: %s\n", f->name, "-", f->note != NULL ? f->note : "");
		return;
	}
	fmt_value(v, sizeof v, f->value, f->unit);
	if (f->op == GOAL_INFO) {
		printf("  %-46s %12s\n", f->name, v);
		if (f->note != NULL)
			printf("  %-46s   (%s)\n", "", f->note);
		return;
	}
	fmt_value(g, sizeof g, f->goal, f->unit);
	printf("  %-46s %12s   goal %s %-14s %s\n", f->name, v, op_text(f->op), g, fig_met(f) ? "met" : "NOT MET");
	if (f->note != NULL && !fig_met(f))
		printf("  %-46s   (%s)\n", "", f->note);
}

static double
fig_ratio(const struct figure *f)
{
	if (!f->measured || f->op == GOAL_INFO || f->goal == 0)
		return NAN;
	return f->value / f->goal;
}

/* The one table of `all`: figure, value, goal, ratio, met. */
static void
figs_table(void)
{
	char v[64], g[64], r[32];
	size_t met = 0, goals = 0;

	printf("\n%-46s %14s %18s %7s  %s\n", "figure", "value", "goal", "ratio", "met?");
	printf("%-46s %14s %18s %7s  %s\n", "------", "-----", "----", "-----", "----");
	for (size_t i = 0; i < nfigs; i++) {
		const struct figure *f = &figs[i];
		if (f->measured)
			fmt_value(v, sizeof v, f->value, f->unit);
		else
			snprintf(v, sizeof v, "-");
		if (f->op == GOAL_INFO) {
			snprintf(g, sizeof g, "-");
			snprintf(r, sizeof r, "-");
		} else {
			char gv[48];
			fmt_value(gv, sizeof gv, f->goal, f->unit);
			snprintf(g, sizeof g, "%s %s", op_text(f->op), gv);
			if (isfinite(fig_ratio(f)))
				snprintf(r, sizeof r, "%.2f", fig_ratio(f));
			else
				snprintf(r, sizeof r, "-");
			goals++;
			if (f->measured && fig_met(f))
				met++;
		}
		printf("%-46s %14s %18s %7s  %s\n", f->name, v, g, r,
		    f->op == GOAL_INFO ? "" : !f->measured ? "not measured" : fig_met(f) ? "yes" : "NO");
	}
	printf("\n%zu of %zu goals met.\n", met, goals);
	if (met < goals)
		printf("how the missed ones were measured:\n");
	for (size_t i = 0; i < nfigs; i++) {
		const struct figure *f = &figs[i];
		if (f->note != NULL && (f->op != GOAL_INFO || !f->measured) && (!f->measured || !fig_met(f)))
			printf("  %s: %s\n", f->name, f->note);
	}
}

/* The 1-minute load average: the machine may be shared, and the figures say so. */
static double
load_avg(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : NAN;
}
static double load_at_start;

static int
figs_write_json(const char *path, const char *command)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
	struct utsname un;
	char when[64];
	time_t now = time(NULL);
	int rc;

	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_object_object_add(root, "command", json_object_new_string(command));
	json_object_object_add(root, "when", json_object_new_string(when));
	if (uname(&un) == 0) {
		char *m = xasprintf("%s %s %s", un.sysname, un.release, un.machine);
		json_object_object_add(root, "machine", json_object_new_string(m));
		free(m);
	}
	json_object_object_add(root, "cpus", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(root, "load_average_at_start", json_object_new_double(load_at_start));
	json_object_object_add(root, "load_average_at_end", json_object_new_double(load_avg()));
	for (size_t i = 0; i < nfigs; i++) {
		const struct figure *f = &figs[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(f->key));
		json_object_object_add(o, "figure", json_object_new_string(f->name));
		json_object_object_add(o, "value", f->measured ? json_object_new_double(f->value) : NULL);
		json_object_object_add(o, "unit", json_object_new_string(f->unit));
		if (f->op != GOAL_INFO) {
			json_object_object_add(o, "goal_op", json_object_new_string(op_text(f->op)));
			json_object_object_add(o, "goal", json_object_new_double(f->goal));
			double r = fig_ratio(f);
			json_object_object_add(o, "ratio", isfinite(r) ? json_object_new_double(r) : NULL);
			json_object_object_add(o, "met", json_object_new_boolean(f->measured && fig_met(f)));
		}
		if (f->note != NULL)
			json_object_object_add(o, "note", json_object_new_string(f->note));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "figures", arr);
	if (details != NULL)
		json_object_object_add(root, "details", json_object_get(details));
	rc = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	if (rc != 0) {
		fprintf(stderr, "ygg-bench: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("\nfigures written to %s\n", path);
	return 0;
}

static void
detail_add(const char *key, struct json_object *o)
{
	if (details == NULL)
		details = json_object_new_object();
	json_object_object_add(details, key, o);
}

/* ---------------------------------------------------------------- files and folders */

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb, (void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void
rmtree(const char *path)
{
	if (path != NULL)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
make_tmpdir(const char *what)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/ygg-bench-%s-XXXXXX", base != NULL && *base ? base : "/tmp", what);

	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "ygg-bench: cannot create %s: %s\n", tmpl, strerror(errno));
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

static void
done_tmpdir(struct ctx *c, char *dir)
{
	if (dir == NULL)
		return;
	if (c->keep)
		printf("  (kept %s)\n", dir);
	else
		rmtree(dir);
	free(dir);
}

static int
write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	if (len > 0 && fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Last lines of a log, for failure messages. */
static void
print_tail(const char *path, size_t lines)
{
	char *data;
	size_t len, n = 0;

	if (read_file(path, &data, &len) == -1)
		return;
	size_t i = len;
	while (i > 0 && n <= lines) {
		i--;
		if (data[i] == '\n')
			n++;
	}
	fprintf(stderr, "---- %s (last lines)\n%s----\n", path, data + (i > 0 ? i + 1 : 0));
	free(data);
}

/*
 * Rewrite the tracker the way bd does: under the lock bd and yggd share
 * (.beads/.jsonl.lock), a temp file in the same folder, fsync, rename over.
 * edit_cb gets the current text and fills the new. Returns the monotonic time
 * just after the rename (when the change became visible), or -1.
 */
typedef int tracker_edit_cb(const char *old, size_t len, struct buf *out, void *arg);
static int64_t
tracker_edit(const char *beads, tracker_edit_cb *cb, void *arg)
{
	char *lock = path_join(beads, ".jsonl.lock");
	char *path = path_join(beads, "issues.jsonl");
	char *tmp = path_join(beads, ".issues.jsonl.bench-XXXXXX");
	char *old = NULL;
	size_t len = 0;
	int64_t t = -1;
	struct buf out;
	int lfd, fd = -1;

	buf_init(&out);
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd == -1 || flock(lfd, LOCK_EX) == -1)
		goto out;
	if (read_file(path, &old, &len) == -1) {
		if (errno != ENOENT)
			goto out;
		old = xstrdup("");
		len = 0;
	}
	if (cb(old, len, &out, arg) == -1)
		goto out;
	fd = mkstemp(tmp);
	if (fd == -1)
		goto out;
	fchmod(fd, 0644);
	size_t off = 0;
	while (off < out.len) {
		ssize_t w = write(fd, out.p + off, out.len - off);
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto out;
	t = now_mono_ns();
out:
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	if (lfd != -1)
		close(lfd); /* releases the lock */
	buf_free(&out);
	free(old);
	free(lock);
	free(path);
	free(tmp);
	return t;
}

static int
append_cb(const char *old, size_t len, struct buf *out, void *arg)
{
	const char *line = arg;

	buf_add(out, old, len);
	if (len > 0 && old[len - 1] != '\n')
		buf_addc(out, '\n');
	buf_adds(out, line);
	buf_addc(out, '\n');
	return 0;
}

/* Status counts of a tracker file. */
struct tcount {
	size_t issues, open, in_progress, closed, blocked, other;
};

static int
tracker_count(const char *path, struct tcount *tc)
{
	struct json_line jl;
	struct buf st;
	char *data;
	size_t len;

	memset(tc, 0, sizeof *tc);
	if (read_file(path, &data, &len) == -1)
		return -1;
	memset(&jl, 0, sizeof jl);
	buf_init(&st);
	for (char *p = data, *nl; p < data + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		if (nl == NULL)
			nl = data + len;
		if (json_line_scan(&jl, p, (size_t)(nl - p)) != 0 || json_line_get(&jl, "id") == NULL)
			continue;
		const struct json_member *m = json_line_get(&jl, "status");
		buf_reset(&st);
		if (m == NULL || json_string_decode(m->val, m->val_len, &st) == -1)
			buf_adds(&st, "open");
		tc->issues++;
		if (strcmp(st.p, "open") == 0)
			tc->open++;
		else if (strcmp(st.p, "in_progress") == 0)
			tc->in_progress++;
		else if (strcmp(st.p, "closed") == 0)
			tc->closed++;
		else if (strcmp(st.p, "blocked") == 0)
			tc->blocked++;
		else
			tc->other++;
	}
	json_line_free(&jl);
	buf_free(&st);
	free(data);
	return 0;
}

/* ---------------------------------------------------------------- processes */

/* Start argv with stdin from /dev/null and stdout+stderr to out (NULL: /dev/null). */
static pid_t
proc_spawn(char *const argv[], const char *out)
{
	pid_t pid = fork();

	if (pid == -1) {
		fprintf(stderr, "ygg-bench: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int fd = open(out != NULL ? out : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in != -1)
			dup2(in, 0);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(argv[0], argv);
		fprintf(stderr, "ygg-bench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	live_add(pid);
	return pid;
}

/*
 * Wait up to timeout seconds for pid to exit: 0 with *status (exit code, or
 * 128 + signal) when it did, 1 when it is still running. A pidfd makes the exit
 * time exact; without one, 1 ms polls.
 */
static int
proc_wait(pid_t pid, double timeout, int *status)
{
	int64_t end = now_mono_ns() + (int64_t)(timeout * 1e9);
	int st, fd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (fd != -1)
				close(fd);
			live_remove(pid);
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			return 0;
		}
		if (r == -1 && errno != EINTR) {
			if (fd != -1)
				close(fd);
			live_remove(pid);
			*status = -1;
			return 0;
		}
		int64_t left = end - now_mono_ns();
		if (left <= 0)
			break;
		if (fd != -1) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int ms = (int)((left + 999999) / 1000000);
			poll(&p, 1, ms);
		} else {
			sleep_s(left < 1000000 ? (double)left / 1e9 : 0.001);
		}
	}
	if (fd != -1)
		close(fd);
	return 1;
}

static int
proc_stop(pid_t pid, double grace)
{
	int st = -1;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	if (proc_wait(pid, grace, &st) == 1) {
		kill(pid, SIGKILL);
		proc_wait(pid, 5, &st);
	}
	return st;
}

/* Run a program to completion with output to out; its exit status, -1 on timeout. */
static int
proc_run(char *const argv[], const char *out, double timeout)
{
	int st;
	pid_t pid = proc_spawn(argv, out);

	if (pid == -1)
		return -1;
	if (proc_wait(pid, timeout, &st) == 1) {
		proc_stop(pid, 1);
		return -1;
	}
	return st;
}

/* CPU time (user + system) of every thread of pid, in ns: schedstat is exact. */
static int64_t
proc_cpu_ns(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int64_t sum = 0;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char p[384], buf[128];
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s/schedstat", path, de->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd == -1)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			sum += strtoll(buf, NULL, 10);
		}
	}
	closedir(d);
	return sum;
}

/* A "VmHWM:  1234 kB" style field of /proc/PID/status, in bytes; -1 unknown. */
static int64_t
proc_status_kb(pid_t pid, const char *field)
{
	char path[64], *data;
	size_t len;
	int64_t v = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (read_file(path, &data, &len) == -1)
		return -1;
	char *p = strstr(data, field);
	if (p != NULL)
		v = strtoll(p + strlen(field) + 1, NULL, 10) * 1024;
	free(data);
	return v;
}

/* ---------------------------------------------------------------- mock hosts */

struct mock {
	char *name;
	pid_t pid;
	int port;
	int64_t spawned; /* mono ns just before the fork: the mock's clock starts a little later */
	int64_t base;    /* mono ns of the mock's time 0 as mock_calibrate found it, 0 unknown */
	CURL *curl;
	struct buf body;
	char *log;
};

/* One request in a mock's log, times in ms since that mock started. */
struct mreq {
	long seq;
	char *task;
	char *outcome;
	double start_ms;
	double end_ms; /* < 0 while in flight */
};

struct mstats {
	long requests;
	long in_flight;
	long max_in_flight;
	struct mreq *log;
	size_t nlog;
};

static size_t
curl_collect(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

static void
mock_stop(struct mock *m)
{
	if (m->pid > 0)
		proc_stop(m->pid, 3);
	m->pid = 0;
	if (m->curl != NULL)
		curl_easy_cleanup(m->curl);
	m->curl = NULL;
	buf_free(&m->body);
	free(m->name);
	free(m->log);
	m->name = m->log = NULL;
}

/* Start build/tests/mockhost as one simulated host; extra: more arguments. */
static int
mock_start(struct ctx *c, struct mock *m, const char *name, const char *dir, const char *const extra[])
{
	char *portfile = xasprintf("%s/%s.port", dir, name);
	char *argv[32];
	size_t n = 0;
	int64_t t0;

	memset(m, 0, sizeof *m);
	buf_init(&m->body);
	m->name = xstrdup(name);
	m->log = xasprintf("%s/%s.log", dir, name);
	argv[n++] = c->mockhost;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--quiet";
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 30; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	m->spawned = t0 = now_mono_ns();
	m->pid = proc_spawn(argv, m->log);
	while (m->pid > 0 && m->port == 0 && secs_since(t0) < 10 && !interrupted) {
		char *s;
		size_t len;
		int st;
		if (read_file(portfile, &s, &len) == 0) {
			if (strchr(s, '\n') != NULL)
				m->port = atoi(s);
			free(s);
		}
		if (m->port == 0) {
			if (proc_wait(m->pid, 0.002, &st) == 0) {
				m->pid = 0;
				break;
			}
		}
	}
	free(portfile);
	if (m->port <= 0) {
		fprintf(stderr, "ygg-bench: %s did not start (%s)\n", c->mockhost, m->log);
		print_tail(m->log, 10);
		mock_stop(m);
		return -1;
	}
	m->curl = curl_easy_init();
	curl_easy_setopt(m->curl, CURLOPT_WRITEFUNCTION, curl_collect);
	curl_easy_setopt(m->curl, CURLOPT_WRITEDATA, &m->body);
	curl_easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(m->curl, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(m->curl, CURLOPT_TIMEOUT, 10L);
	return 0;
}

/* GET a path of the mock; the body stays in m->body. 0 on a 200. */
static int
mock_get(struct mock *m, const char *path)
{
	char url[256];
	long status = 0;

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", m->port, path);
	buf_reset(&m->body);
	curl_easy_setopt(m->curl, CURLOPT_URL, url);
	curl_easy_setopt(m->curl, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(m->curl) != CURLE_OK)
		return -1;
	curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &status);
	if (m->body.p == NULL)
		buf_adds(&m->body, "");
	return status == 200 ? 0 : -1;
}

static void
mstats_clear(struct mstats *s)
{
	for (size_t i = 0; i < s->nlog; i++) {
		free(s->log[i].task);
		free(s->log[i].outcome);
	}
	free(s->log);
	memset(s, 0, sizeof *s);
}

static double
jnum(struct json_object *o, const char *key, double dflt)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return dflt;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return dflt;
	return json_object_get_double(v);
}

static char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

/* GET /_mock/stats into s (with the log unless counts_only). */
static int
mock_stats(struct mock *m, struct mstats *s, bool counts_only)
{
	struct json_object *o, *log;

	memset(s, 0, sizeof *s);
	if (mock_get(m, "/_mock/stats") == -1)
		return -1;
	if (counts_only) {
		/* the counters lead the object: no need to parse the whole log (fast polls) */
		const char *r = strstr(m->body.p, "\"requests\":"), *i = strstr(m->body.p, "\"in_flight\":"),
			   *x = strstr(m->body.p, "\"max_in_flight\":");
		if (r != NULL && i != NULL && x != NULL) {
			s->requests = strtol(r + 11, NULL, 10);
			s->in_flight = strtol(i + 12, NULL, 10);
			s->max_in_flight = strtol(x + 16, NULL, 10);
			return 0;
		}
	}
	if ((o = json_tokener_parse(m->body.p)) == NULL)
		return -1;
	s->requests = (long)jnum(o, "requests", 0);
	s->in_flight = (long)jnum(o, "in_flight", 0);
	s->max_in_flight = (long)jnum(o, "max_in_flight", 0);
	if (!counts_only && json_object_object_get_ex(o, "log", &log) && json_object_is_type(log, json_type_array)) {
		size_t n = json_object_array_length(log);
		s->log = xcalloc(n + 1, sizeof *s->log);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(log, i);
			struct mreq *r = &s->log[s->nlog++];
			r->seq = (long)jnum(e, "seq", (double)i);
			r->task = jstr(e, "task");
			r->outcome = jstr(e, "outcome");
			r->start_ms = jnum(e, "start_ms", -1);
			r->end_ms = jnum(e, "end_ms", -1);
			if (r->end_ms < r->start_ms)
				r->end_ms = -1;
		}
	}
	json_object_put(o);
	return 0;
}

struct interval {
	double a, b;
};

static int
interval_cmp(const void *pa, const void *pb)
{
	const struct interval *x = pa, *y = pb;

	return x->a < y->a ? -1 : x->a > y->a;
}

/* Union of request intervals (ms): how long the host had at least one request. */
static double
busy_ms(const struct mstats *s)
{
	struct interval *iv = xcalloc(s->nlog + 1, sizeof *iv);
	size_t n = 0;
	double total = 0, cs = 0, ce = 0;

	for (size_t i = 0; i < s->nlog; i++) {
		if (s->log[i].start_ms < 0 || s->log[i].end_ms < 0)
			continue;
		iv[n].a = s->log[i].start_ms;
		iv[n].b = s->log[i].end_ms;
		n++;
	}
	qsort(iv, n, sizeof *iv, interval_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || iv[i].a > ce) {
			total += ce - cs;
			cs = iv[i].a;
			ce = iv[i].b;
		} else if (iv[i].b > ce) {
			ce = iv[i].b;
		}
	}
	if (n > 0)
		total += ce - cs;
	free(iv);
	return total;
}

/* Highest number of requests open at once according to the log (a cross-check of max_in_flight). */
static long
log_max_overlap(const struct mstats *s)
{
	long best = 0;

	for (size_t i = 0; i < s->nlog; i++) {
		const struct mreq *a = &s->log[i];
		long n = 0;
		if (a->start_ms < 0)
			continue;
		for (size_t j = 0; j < s->nlog; j++) {
			const struct mreq *b = &s->log[j];
			if (b->start_ms <= a->start_ms && (b->end_ms < 0 || b->end_ms > a->start_ms))
				n++;
		}
		if (n > best)
			best = n;
	}
	return best;
}

/* Distinct task ids in a log. */
static size_t
log_tasks(const struct mstats *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nlog; i++) {
		if (s->log[i].task == NULL || *s->log[i].task == '\0')
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = s->log[j].task != NULL && strcmp(s->log[j].task, s->log[i].task) == 0;
		if (!seen)
			n++;
	}
	return n;
}

/* POST /_mock/reset: the log and the counts start again (requests in flight are still answered). */
static int
mock_reset(struct mock *m)
{
	char url[96];
	long status = 0;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/_mock/reset", m->port);
	buf_reset(&m->body);
	curl_easy_setopt(m->curl, CURLOPT_URL, url);
	curl_easy_setopt(m->curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(m->curl, CURLOPT_POSTFIELDSIZE, 0L);
	if (curl_easy_perform(m->curl) != CURLE_OK)
		return -1;
	curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &status);
	return status == 200 ? 0 : -1;
}

/* Where a mock's clock (ms since it started) sits on ours: see mock_calibrate. */
static int64_t
mock_base_ns(const struct mock *m)
{
	return m->base != 0 ? m->base : m->spawned;
}

/*
 * Find where the mock's clock starts on ours, so several mocks' logs line up.
 * The log says whole milliseconds since the mock's start; a probe request sent
 * at ta and answered at tb that the log puts at S ms bounds the start to
 * [ta - (S+1) ms, tb - S ms]. A few probes at different phases narrow that to
 * well under a millisecond. Then /_mock/reset clears the probes from the
 * counts and the log.
 */
static void
mock_calibrate(struct mock *m)
{
	static const char body[] = "{\"model\":\"bench\",\"stream\":false,\"messages\":[{\"role\":\"user\","
	                           "\"content\":\"Task: bench-clock\\n[mock latency=0ms]\"}]}";
	char url[96];
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	struct mstats s;

	for (int k = 0; k < 6; k++) {
		snprintf(url, sizeof url, "http://127.0.0.1:%d/api/chat", m->port);
		buf_reset(&m->body);
		curl_easy_setopt(m->curl, CURLOPT_URL, url);
		curl_easy_setopt(m->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(m->curl, CURLOPT_POSTFIELDSIZE, (long)(sizeof body - 1));
		int64_t ta = now_mono_ns();
		CURLcode rc = curl_easy_perform(m->curl);
		int64_t tb = now_mono_ns();
		if (rc != CURLE_OK || mock_stats(m, &s, false) == -1)
			break;
		if (s.nlog > 0 && s.log[s.nlog - 1].start_ms >= 0) {
			int64_t ms = (int64_t)s.log[s.nlog - 1].start_ms;
			if (ta - (ms + 1) * 1000000 > lo)
				lo = ta - (ms + 1) * 1000000;
			if (tb - ms * 1000000 < hi)
				hi = tb - ms * 1000000;
		}
		mstats_clear(&s);
		sleep_s(0.00037 * (k + 1)); /* another phase against the mock's millisecond */
	}
	if (lo != INT64_MIN && hi != INT64_MAX && lo <= hi)
		m->base = lo + (hi - lo) / 2;
	mock_reset(m);
}

/* ---------------------------------------------------------------- configuration */

struct hostspec {
	const char *name;
	const char *model;
	int slots;
	int port;
	const char *extra; /* more "key = value\n" lines, or NULL */
};

/*
 * The bench's yggd configuration: a jsonl tracker in DIR/.beads, the built
 * plugins, artifacts in DIR/artifacts; yggd_extra adds [yggd] keys (control
 * is off unless it names one), then the hosts (all on loopback mocks) and the
 * handler sections as given.
 */
static int
write_config(struct ctx *c, const char *path, const char *yggd_extra, const struct hostspec *h, size_t nh,
    const char *handlers)
{
	struct buf b;
	int rc;

	buf_init(&b);
	buf_printf(&b,
	    "; written by ygg-bench\n[yggd]\nstore = jsonl\nbeads_dir = .beads\nplugin_dir = %s\n"
	    "artifacts_dir = artifacts\nassignee = yggd\n",
	    c->plugin_dir);
	if (yggd_extra == NULL || strstr(yggd_extra, "control") == NULL)
		buf_adds(&b, "control = off\n");
	if (yggd_extra != NULL)
		buf_adds(&b, yggd_extra);
	for (size_t i = 0; i < nh; i++) {
		buf_printf(&b, "\n[host.%s]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = %s\nslots = %d\n", h[i].name,
		    h[i].port, h[i].model, h[i].slots);
		if (h[i].extra != NULL)
			buf_adds(&b, h[i].extra);
	}
	buf_printf(&b, "\n%s", handlers);
	rc = write_text(path, b.p, b.len);
	buf_free(&b);
	if (rc == -1)
		fprintf(stderr, "ygg-bench: cannot write %s: %s\n", path, strerror(errno));
	return rc;
}

/* ---------------------------------------------------------------- workloads */

/* The seed's three task types: per-type latency in units, as examples.py has them. */
static const struct wtype {
	const char *type;
	int units;
	const char *title;
} wtypes[] = {
	{ "code-generation", 30, "Implement a function to parse the %s configuration" },
	{ "text-processing", 20, "Write documentation for the %s module" },
	{ "reasoning", 40, "Analyze why the %s cache misses under load" },
};
#define NWTYPES (sizeof wtypes / sizeof wtypes[0])

static const char *const subjects[] = {
	"scheduler", "tracker", "billing", "search", "upload", "auth", "metrics", "export", "render", "queue",
};

/*
 * One priority for the whole workload: the seed's benchmark is about filling
 * slots (its bounds assume any task may go next), and strict priority across
 * levels would make the best schedule depend on a random draw of priorities.
 */
#define WORKLOAD_PRIORITY 2
#define WORKLOAD_PRIORITY_S "2"

/*
 * The seed's mixed workload written directly: only when `yggctl create` is not
 * there or failed (the note says so). Same shape as yggctl's: rotating types,
 * ygg:<type> labels, priorities 0-3, increasing created_at, a mock latency
 * directive when unit_ms >= 0.
 */
static int
workload_direct(const char *beads, size_t n, double unit_ms)
{
	char *path = path_join(beads, "issues.jsonl");
	struct buf b, t;
	int64_t now = now_wall_ns();
	char ts[64];
	int rc;

	mkdir(beads, 0755);
	buf_init(&b);
	buf_init(&t);
	for (size_t i = 0; i < n; i++) {
		const struct wtype *w = &wtypes[i % NWTYPES];
		char id[32];
		snprintf(id, sizeof id, "ygg-%zu", i + 1);
		time_format_like(now + (int64_t)i * 1000, NULL, ts, sizeof ts);
		buf_adds(&b, "{\"id\":");
		json_append_string(&b, id, strlen(id));
		buf_reset(&t);
		buf_printf(&t, w->title, subjects[i % 10]);
		buf_adds(&b, ",\"title\":");
		json_append_string(&b, t.p, t.len);
		buf_reset(&t);
		buf_printf(&t, "Synthetic %s task %zu from the seed's mixed workload.", w->type, i + 1);
		if (unit_ms >= 0)
			buf_printf(&t, " [mock latency=%.0fms]", w->units * unit_ms);
		buf_adds(&b, ",\"description\":");
		json_append_string(&b, t.p, t.len);
		buf_printf(&b, ",\"status\":\"open\",\"priority\":%d,\"issue_type\":\"task\",\"labels\":[\"ygg:%s\"]",
		    WORKLOAD_PRIORITY, w->type);
		buf_printf(&b, ",\"created_at\":\"%s\",\"updated_at\":\"%s\"}\n", ts, ts);
	}
	rc = write_text(path, b.p, b.len);
	buf_free(&b);
	buf_free(&t);
	free(path);
	return rc;
}

/*
 * n tasks of the seed's mixed workload into beads/issues.jsonl through
 * `yggctl create` (what a user runs); unit_ms < 0: no latency directive.
 * *how says which way it was made (static text).
 */
static int
workload(struct ctx *c, const char *dir, const char *beads, size_t n, double unit_ms, const char **how)
{
	char count[32], scale[32];
	char *log = path_join(dir, "yggctl.log");
	char *argv[] = { c->yggctl, "create", count, "--beads-dir", (char *)beads, "--priority", WORKLOAD_PRIORITY_S,
		"--latency-scale", scale, NULL };
	struct tcount tc;
	char *path = path_join(beads, "issues.jsonl");
	int rc = -1;

	snprintf(count, sizeof count, "%zu", n);
	snprintf(scale, sizeof scale, "%g", unit_ms);
	if (unit_ms < 0)
		argv[5] = NULL;
	mkdir(beads, 0755);
	if (access(c->yggctl, X_OK) == 0) {
		rc = proc_run(argv, log, 120);
		if (rc == 0 && (tracker_count(path, &tc) == -1 || tc.open < n))
			rc = -1;
		if (rc != 0) {
			fprintf(stderr, "ygg-bench: `yggctl create %zu` did not write %zu open issues; writing them "
			                "directly instead\n",
			    n, n);
			print_tail(log, 5);
		}
	}
	if (rc == 0) {
		*how = "yggctl create";
	} else {
		unlink(path);
		*how = "written by ygg-bench (yggctl create unavailable)";
		rc = workload_direct(beads, n, unit_ms);
	}
	free(log);
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- seed */

static const struct seed_host {
	const char *name;
	const char *model;
	const char *home; /* the type it serves under fixed routing */
	int slots;
} seed_hosts[] = {
	{ "surtr-reasoning", "deepseek-r1:8b", "reasoning", 2 },
	{ "fenrir-chat", "llama3.2:3b", "text-processing", 3 },
	{ "skadi-code", "qwen2.5-coder:7b", "code-generation", 2 },
};
#define NSEED (sizeof seed_hosts / sizeof seed_hosts[0])
#define SEED_TASKS 30

struct host_result {
	const char *name;
	int slots;
	long requests;
	long tasks;
	long max_in_flight; /* the mock's own count */
	long log_overlap;   /* the same from its log */
	double busy_s;
};

struct seed_result {
	double makespan_s; /* yggd start to its --drain exit */
	double span_s;     /* first request to last response, from the mocks' logs */
	double start_s;    /* yggd start to the first request */
	struct host_result h[NSEED];
	int overruns;
	char overrun_text[256];
	struct tcount tc;
	int exit_code;
	const char *how;
};

/* The handler sections for (a) fixed routing or (b) spill-over. */
static void
seed_handlers(struct buf *b, bool spill)
{
	for (size_t t = 0; t < NWTYPES; t++) {
		size_t home = 0;
		for (size_t i = 0; i < NSEED; i++) {
			if (strcmp(seed_hosts[i].home, wtypes[t].type) == 0)
				home = i;
		}
		buf_printf(b, "[handler.%s]\nhosts = %s", wtypes[t].type, seed_hosts[home].name);
		for (size_t i = 0; spill && i < NSEED; i++) {
			if (i != home)
				buf_printf(b, ", %s", seed_hosts[i].name);
		}
		buf_adds(b, "\n\n");
	}
	buf_adds(b, "[handler.general]\nhosts = fenrir-chat, surtr-reasoning, skadi-code\ndefault = yes\n");
}

/* Live progress: one line per host with a slot bar, rewritten in place on a tty. */
struct live {
	bool tty;
	bool drawn;
	size_t lines;
	int64_t t0;
	int64_t next_plain; /* when a non-tty line is due */
};

static void
live_render(struct live *lv, struct mock *m, const char *tracker, bool final)
{
	struct tcount tc;
	struct mstats s[NSEED];
	struct buf out;
	double t = secs_since(lv->t0);

	if (!lv->tty && !final && now_mono_ns() < lv->next_plain)
		return;
	for (size_t i = 0; i < NSEED; i++) {
		if (mock_stats(&m[i], &s[i], true) == -1)
			memset(&s[i], 0, sizeof s[i]);
	}
	if (tracker_count(tracker, &tc) == -1)
		memset(&tc, 0, sizeof tc);
	buf_init(&out);
	if (lv->tty) {
		if (lv->drawn)
			buf_printf(&out, "\033[%zuA", lv->lines);
		buf_printf(&out, "\r\033[K  %5.1f s  tracker: %zu/%zu closed, %zu in progress, %zu open\n", t, tc.closed,
		    tc.issues, tc.in_progress, tc.open);
		for (size_t i = 0; i < NSEED; i++) {
			int slots = seed_hosts[i].slots;
			buf_printf(&out, "\r\033[K  %-16s [", seed_hosts[i].name);
			for (int k = 0; k < slots || k < s[i].in_flight; k++)
				buf_addc(&out, k >= slots ? '!' : k < s[i].in_flight ? '#' : '.');
			buf_printf(&out, "]%*s %ld/%d  done %ld\n", 4 - slots, "", s[i].in_flight, slots,
			    s[i].requests - s[i].in_flight);
		}
		lv->lines = 1 + NSEED;
	} else {
		buf_printf(&out, "  %5.1f s ", t);
		for (size_t i = 0; i < NSEED; i++)
			buf_printf(&out, " %s %ld/%d done %ld |", seed_hosts[i].name, s[i].in_flight, seed_hosts[i].slots,
			    s[i].requests - s[i].in_flight);
		buf_printf(&out, " closed %zu/%zu\n", tc.closed, tc.issues);
		lv->next_plain = now_mono_ns() + 1000000000LL;
	}
	fputs(out.p, stdout);
	fflush(stdout);
	lv->drawn = true;
	buf_free(&out);
}

/*
 * One run of the seed: 30 tasks, three mocks, yggd --drain. live: draw
 * progress every 200 ms while it runs.
 */
static int
seed_run(struct ctx *c, bool spill, double unit_ms, bool live, struct seed_result *r)
{
	char *dir = make_tmpdir(spill ? "seed-spill" : "seed-fixed");
	char *beads = NULL, *cfg = NULL, *log = NULL, *tracker = NULL;
	struct mock m[NSEED];
	struct hostspec hs[NSEED];
	struct buf handlers;
	int st = -1, rc = -1;
	size_t started = 0;
	int64_t t0;

	memset(r, 0, sizeof *r);
	memset(m, 0, sizeof m);
	buf_init(&handlers);
	if (dir == NULL)
		return -1;
	beads = path_join(dir, ".beads");
	cfg = path_join(dir, "ygg.ini");
	log = path_join(dir, "yggd.log");
	tracker = path_join(beads, "issues.jsonl");
	if (workload(c, dir, beads, SEED_TASKS, unit_ms, &r->how) == -1)
		goto out;
	static const char *const margs[] = { "--latency", "0", NULL };
	for (started = 0; started < NSEED; started++) {
		if (mock_start(c, &m[started], seed_hosts[started].name, dir, margs) == -1)
			goto out;
		hs[started] = (struct hostspec){ seed_hosts[started].name, seed_hosts[started].model,
			seed_hosts[started].slots, m[started].port, NULL };
		mock_calibrate(&m[started]);
	}
	seed_handlers(&handlers, spill);
	if (write_config(c, cfg, "poll_interval = 1\n", hs, NSEED, handlers.p) == -1)
		goto out;

	char *argv[] = { c->yggd, "-c", cfg, "--drain", NULL };
	double limit = 30 + 0.5 * SEED_TASKS * 40 * unit_ms / 1000;
	struct live lv = { .tty = c->tty };
	t0 = lv.t0 = now_mono_ns();
	pid_t pid = proc_spawn(argv, log);
	if (pid == -1)
		goto out;
	for (;;) {
		if (proc_wait(pid, live ? 0.2 : limit, &st) == 0)
			break;
		if (secs_since(t0) > limit || interrupted) {
			fprintf(stderr, "ygg-bench: yggd --drain did not finish within %.0f s; stopping it\n", limit);
			proc_stop(pid, 2);
			print_tail(log, 20);
			goto out;
		}
		if (live)
			live_render(&lv, m, tracker, false);
	}
	r->makespan_s = secs_since(t0);
	r->exit_code = st;
	if (live)
		live_render(&lv, m, tracker, true);
	if (st != 0) {
		fprintf(stderr, "ygg-bench: yggd exited with %d\n", st);
		print_tail(log, 20);
	}

	double first = INFINITY, last = -INFINITY;
	for (size_t i = 0; i < NSEED; i++) {
		struct mstats s;
		struct host_result *h = &r->h[i];
		h->name = seed_hosts[i].name;
		h->slots = seed_hosts[i].slots;
		if (mock_stats(&m[i], &s, false) == -1) {
			fprintf(stderr, "ygg-bench: cannot read %s's /_mock/stats\n", h->name);
			goto out;
		}
		h->requests = s.requests;
		h->tasks = (long)log_tasks(&s);
		h->max_in_flight = s.max_in_flight;
		h->log_overlap = log_max_overlap(&s);
		h->busy_s = busy_ms(&s) / 1e3;
		for (size_t k = 0; k < s.nlog; k++) {
			double a = (double)(mock_base_ns(&m[i]) - t0) / 1e6 + s.log[k].start_ms;
			double b = (double)(mock_base_ns(&m[i]) - t0) / 1e6 + s.log[k].end_ms;
			if (s.log[k].start_ms >= 0 && a < first)
				first = a;
			if (s.log[k].end_ms >= 0 && b > last)
				last = b;
		}
		long seen = h->max_in_flight > h->log_overlap ? h->max_in_flight : h->log_overlap;
		if (seen > h->slots) {
			size_t len = strlen(r->overrun_text);
			snprintf(r->overrun_text + len, sizeof r->overrun_text - len, "%s%s had %ld in flight with %d slots",
			    r->overruns ? "; " : "", h->name, seen, h->slots);
			r->overruns++;
		}
		mstats_clear(&s);
	}
	r->span_s = isfinite(first) && isfinite(last) ? (last - first) / 1e3 : NAN;
	r->start_s = isfinite(first) ? first / 1e3 : NAN;
	tracker_count(tracker, &r->tc);
	rc = st == 0 ? 0 : -1;
out:
	for (size_t i = 0; i < NSEED; i++)
		mock_stop(&m[i]);
	buf_free(&handlers);
	free(beads);
	free(cfg);
	free(log);
	free(tracker);
	done_tmpdir(c, dir);
	return rc;
}

static void
seed_table(const struct seed_result *r)
{
	printf("\n  %-16s %5s %6s %20s %10s\n", "host", "slots", "tasks", "highest concurrency", "busy time");
	for (size_t i = 0; i < NSEED; i++) {
		const struct host_result *h = &r->h[i];
		printf("  %-16s %5d %6ld %20ld %8.3f s\n", h->name, h->slots, h->tasks, h->max_in_flight, h->busy_s);
	}
}

static struct json_object *
seed_json(const struct seed_result *r, double bound_s)
{
	struct json_object *o = json_object_new_object(), *hosts = json_object_new_array();

	json_object_object_add(o, "makespan_s", json_object_new_double(r->makespan_s));
	json_object_object_add(o, "bound_s", json_object_new_double(bound_s));
	json_object_object_add(o, "first_request_to_last_response_s", json_object_new_double(r->span_s));
	json_object_object_add(o, "start_to_first_request_s", json_object_new_double(r->start_s));
	json_object_object_add(o, "closed", json_object_new_int((int)r->tc.closed));
	json_object_object_add(o, "issues", json_object_new_int((int)r->tc.issues));
	json_object_object_add(o, "workload", json_object_new_string(r->how != NULL ? r->how : ""));
	for (size_t i = 0; i < NSEED; i++) {
		struct json_object *h = json_object_new_object();
		json_object_object_add(h, "host", json_object_new_string(r->h[i].name));
		json_object_object_add(h, "slots", json_object_new_int(r->h[i].slots));
		json_object_object_add(h, "tasks", json_object_new_int((int)r->h[i].tasks));
		json_object_object_add(h, "requests", json_object_new_int((int)r->h[i].requests));
		json_object_object_add(h, "max_in_flight", json_object_new_int((int)r->h[i].max_in_flight));
		json_object_object_add(h, "busy_s", json_object_new_double(r->h[i].busy_s));
		json_object_array_add(hosts, h);
	}
	json_object_object_add(o, "hosts", hosts);
	return o;
}

/*
 * The figures of one seed run; returns -1 when something went wrong rather than
 * slow: a host over its slots, a task not closed.
 */
static int
seed_figures(const char *key, const char *label, const struct seed_result *r, double goal_s, const char *bound_text)
{
	char k[128], n[128];
	struct figure *f;
	int bad = 0;

	snprintf(k, sizeof k, "seed.%s.makespan_s", key);
	snprintf(n, sizeof n, "seed %s: makespan", label);
	f = fig_add(k, n, r->makespan_s, "s", GOAL_LE, goal_s);
	fig_note(f, "%s; measured %.2f x that", bound_text, r->makespan_s / (goal_s / 1.05));
	fig_print(f);
	snprintf(k, sizeof k, "seed.%s.span_s", key);
	snprintf(n, sizeof n, "seed %s: first request -> last response", label);
	fig_print(fig_add(k, n, r->span_s, "s", GOAL_INFO, 0));
	snprintf(k, sizeof k, "seed.%s.overruns", key);
	snprintf(n, sizeof n, "seed %s: hosts over their slots", label);
	f = fig_add(k, n, r->overruns, "", GOAL_EQ, 0);
	if (r->overruns)
		fig_note(f, "%s", r->overrun_text);
	fig_print(f);
	bad |= !fig_met(f);
	snprintf(k, sizeof k, "seed.%s.closed", key);
	snprintf(n, sizeof n, "seed %s: tasks closed", label);
	f = fig_add(k, n, (double)r->tc.closed, "", GOAL_EQ, SEED_TASKS);
	fig_print(f);
	bad |= !fig_met(f);
	return bad ? -1 : 0;
}

/*
 * Bounds in units. Fixed routing: each host runs its own ten tasks in waves of
 * its slots, so the slowest host sets the pace (surtr: ceil(10/2) x 40 = 200).
 * Spill-over: 900 unit-slots of work on 7 slots can't beat 129 units; the
 * seed's figure is 130, a schedule that exists.
 */
static double
seed_fixed_bound_units(void)
{
	double worst = 0;

	for (size_t i = 0; i < NSEED; i++) {
		for (size_t t = 0; t < NWTYPES; t++) {
			if (strcmp(seed_hosts[i].home, wtypes[t].type) != 0)
				continue;
			int per_type = SEED_TASKS / (int)NWTYPES;
			double u = ceil((double)per_type / seed_hosts[i].slots) * wtypes[t].units;
			if (u > worst)
				worst = u;
		}
	}
	return worst;
}
#define SEED_SPILL_BEST_UNITS 130.0

static int
cmd_seed(struct ctx *c, bool demo, double unit_ms)
{
	struct seed_result a, b;
	double bound_a = seed_fixed_bound_units() * unit_ms / 1e3;
	double bound_b = SEED_SPILL_BEST_UNITS * unit_ms / 1e3;
	char text[160];
	int bad = 0;

	printf("seed: %d tasks (10 code-generation x 30 units, 10 text-processing x 20, 10 reasoning x 40; "
	       "1 unit = %g ms)\n      on surtr-reasoning (2 slots), fenrir-chat (3), skadi-code (2)\n",
	    SEED_TASKS, unit_ms);
	printf("\n(a) fixed routing: code -> skadi-code, text -> fenrir-chat, reasoning -> surtr-reasoning\n");
	fflush(stdout);
	if (seed_run(c, false, unit_ms, demo, &a) == -1) {
		fig_missing("seed.fixed.makespan_s", "seed (a) fixed: makespan", "s", GOAL_LE, 1.05 * bound_a,
		    "the run failed (see the messages above)");
		bad = 1;
	} else {
		seed_table(&a);
		printf("\n  makespan %.3f s (yggd start to its --drain exit); bound %.3f s (%.0f units): %.3f x bound, "
		       "goal <= 1.05 x\n",
		    a.makespan_s, bound_a, seed_fixed_bound_units(), a.makespan_s / bound_a);
		printf("  first request to last response (mock logs): %.3f s; yggd start to first request: %.3f s\n",
		    a.span_s, a.start_s);
		printf("  slot overruns: %s\n", a.overruns ? a.overrun_text : "none");
		printf("  tracker: %zu of %zu issues closed (workload: %s)\n", a.tc.closed, a.tc.issues, a.how);
		snprintf(text, sizeof text, "goal 1.05 x the fixed-routing bound %.3f s (%.0f units)", bound_a,
		    seed_fixed_bound_units());
		bad |= seed_figures("fixed", "(a) fixed", &a, 1.05 * bound_a, text) != 0;
		detail_add("seed_fixed", seed_json(&a, bound_a));
	}

	printf("\n(b) spill-over: every host in every handler's list (its own host first)\n");
	fflush(stdout);
	if (seed_run(c, true, unit_ms, demo, &b) == -1) {
		fig_missing("seed.spill.makespan_s", "seed (b) spill: makespan", "s", GOAL_LE, 1.05 * bound_b,
		    "the run failed (see the messages above)");
		bad = 1;
	} else {
		seed_table(&b);
		printf("\n  makespan %.3f s; best possible %.3f s (%.0f units): %.3f x best, goal <= 1.05 x\n", b.makespan_s,
		    bound_b, SEED_SPILL_BEST_UNITS, b.makespan_s / bound_b);
		printf("  first request to last response (mock logs): %.3f s\n", b.span_s);
		printf("  slot overruns: %s\n", b.overruns ? b.overrun_text : "none");
		printf("  tracker: %zu of %zu issues closed\n", b.tc.closed, b.tc.issues);
		if (a.makespan_s > 0)
			printf("  spill-over buys %.3f s (%.0f%%) over fixed routing: idle slots on fenrir-chat and "
			       "skadi-code take reasoning and code tasks when their own host is full\n\n",
			    a.makespan_s - b.makespan_s, 100 * (a.makespan_s - b.makespan_s) / a.makespan_s);
		snprintf(text, sizeof text, "goal 1.05 x the best possible %.3f s (%.0f units)", bound_b,
		    SEED_SPILL_BEST_UNITS);
		bad |= seed_figures("spill", "(b) spill", &b, 1.05 * bound_b, text) != 0;
		detail_add("seed_spill", seed_json(&b, bound_b));
	}
	return bad ? 1 : 0;
}

/* ---------------------------------------------------------------- throughput */

/* The request bodies yggd would send for a tracker, and the host each goes to. */
struct bodies {
	char **body;
	size_t *len;
	size_t *host; /* index into the bench's mock array */
	size_t n;
	const char *how;
};

static void
bodies_free(struct bodies *bd)
{
	for (size_t i = 0; i < bd->n; i++)
		free(bd->body[i]);
	free(bd->body);
	free(bd->len);
	free(bd->host);
	memset(bd, 0, sizeof *bd);
}

/*
 * Build them the way the daemon does: route each issue with the config, let its
 * handler's plugin build the request, turn that into the HTTP body for the
 * handler's first host. Issues go to the mock whose name matches the host.
 */
static int
bodies_build(const char *cfgpath, const char *data, size_t len, struct mock *m, size_t nm, struct bodies *bd)
{
	struct ygg_config *cfg = NULL;
	struct plugin_set ps;
	struct json_line jl;
	char *cause = NULL;
	size_t cap = 0;
	bool fallback = false;

	memset(bd, 0, sizeof *bd);
	if (config_load(cfgpath, &cfg, &cause) == -1) {
		fprintf(stderr, "ygg-bench: %s\n", cause);
		free(cause);
		return -1;
	}
	plugin_set_init(&ps);
	if (plugin_load_dir(&ps, cfg->plugin_dir, &cause) == -1) {
		fprintf(stderr, "ygg-bench: plugins: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	memset(&jl, 0, sizeof jl);
	for (const char *p = data, *nl; p < data + len; p = nl + 1) {
		struct issue *is = NULL;
		nl = memchr(p, '\n', (size_t)(data + len - p));
		if (nl == NULL)
			nl = data + len;
		if (json_line_scan(&jl, p, (size_t)(nl - p)) != 0 || issue_from_line(&jl, &is) != 0)
			continue;
		const struct handler_conf *h = route_issue(cfg, is);
		const struct host_conf *hc = h != NULL && h->nhosts > 0 ? config_host(cfg, h->hosts[0]) : NULL;
		size_t mi = nm;
		for (size_t k = 0; hc != NULL && k < nm; k++) {
			if (strcmp(m[k].name, hc->name) == 0)
				mi = k;
		}
		if (mi == nm) {
			issue_free(is);
			continue;
		}
		struct plugin *pl = plugin_for_handler(&ps, h);
		struct ygg_task yt = {
			.issue = is,
			.handler = h,
			.host = hc,
			.type = h->type,
			.plugin_name = pl != NULL ? pl->name : h->type,
			.attempt = 1,
		};
		struct ygg_request req;
		request_init(&req);
		if (pl == NULL || pl->desc->build_request(pl->state, &yt, &req) != 0) {
			/* no plugin to ask: the host API's standard request is what the in-tree ones build */
			request_clear(&req);
			request_init(&req);
			hostapi_get()->request_standard(&yt, &req, "You are a helpful assistant.");
			fallback = true;
		}
		if (bd->n == cap) {
			cap = cap ? cap * 2 : 1024;
			bd->body = xrealloc(bd->body, cap * sizeof *bd->body);
			bd->len = xrealloc(bd->len, cap * sizeof *bd->len);
			bd->host = xrealloc(bd->host, cap * sizeof *bd->host);
		}
		bd->body[bd->n] = llm_request_body(hc, &req, &bd->len[bd->n]);
		bd->host[bd->n] = mi;
		bd->n++;
		request_clear(&req);
		issue_free(is);
	}
	json_line_free(&jl);
	plugin_set_clear(&ps);
	config_free(cfg);
	bd->how = fallback ? "the host API's standard request (a plugin was missing)" : "the handlers' plugins";
	return bd->n > 0 ? 0 : -1;
}

static size_t
discard_cb(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	*(size_t *)arg += size * n;
	return size * n;
}

struct bare_slot {
	CURL *e;
	size_t host;
	size_t bytes;
};

/*
 * The ceiling of the HTTP path: the same bodies POSTed by one curl multi loop,
 * per_host at a time to each mock, nothing else done. Returns seconds, or -1.
 */
static double
bare_loop(struct mock *m, size_t nm, const struct bodies *bd, int per_host, size_t *failed)
{
	CURLM *multi = curl_multi_init();
	struct curl_slist *hdr = NULL;
	size_t **queue = xcalloc(nm, sizeof *queue), *qlen = xcalloc(nm, sizeof *qlen), *qnext = xcalloc(nm, sizeof *qnext);
	struct bare_slot *slots = xcalloc(nm * (size_t)per_host, sizeof *slots);
	char (*url)[96] = xcalloc(nm, sizeof *url);
	size_t done = 0, nslots = 0;
	int running = 0;
	double elapsed;

	*failed = 0;
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Accept: application/x-ndjson");
	hdr = curl_slist_append(hdr, "Expect:");
	for (size_t h = 0; h < nm; h++) {
		queue[h] = xcalloc(bd->n + 1, sizeof **queue);
		snprintf(url[h], sizeof url[h], "http://127.0.0.1:%d/api/chat", m[h].port);
	}
	for (size_t i = 0; i < bd->n; i++)
		queue[bd->host[i]][qlen[bd->host[i]]++] = i;
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)(nm * (size_t)per_host * 2));
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)per_host);

	int64_t t0 = now_mono_ns();
	for (size_t h = 0; h < nm; h++) {
		for (int k = 0; k < per_host && qnext[h] < qlen[h]; k++) {
			struct bare_slot *s = &slots[nslots++];
			size_t i = queue[h][qnext[h]++];
			s->e = curl_easy_init();
			s->host = h;
			curl_easy_setopt(s->e, CURLOPT_URL, url[h]);
			curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, hdr);
			curl_easy_setopt(s->e, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(s->e, CURLOPT_TCP_NODELAY, 1L);
			curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, discard_cb);
			curl_easy_setopt(s->e, CURLOPT_WRITEDATA, &s->bytes);
			curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
			curl_easy_setopt(s->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bd->len[i]);
			curl_easy_setopt(s->e, CURLOPT_POSTFIELDS, bd->body[i]);
			curl_multi_add_handle(multi, s->e);
		}
	}
	while (done < bd->n && !interrupted) {
		CURLMsg *msg;
		int q;
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(multi, &q)) != NULL) {
			struct bare_slot *s;
			long code = 0;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code != 200)
				(*failed)++;
			curl_multi_remove_handle(multi, s->e);
			done++;
			if (qnext[s->host] < qlen[s->host]) {
				size_t i = queue[s->host][qnext[s->host]++];
				curl_easy_setopt(s->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bd->len[i]);
				curl_easy_setopt(s->e, CURLOPT_POSTFIELDS, bd->body[i]);
				curl_multi_add_handle(multi, s->e);
			}
		}
		if (done < bd->n)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	elapsed = secs_since(t0);
	for (size_t i = 0; i < nslots; i++) {
		curl_multi_remove_handle(multi, slots[i].e);
		curl_easy_cleanup(slots[i].e);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdr);
	for (size_t h = 0; h < nm; h++)
		free(queue[h]);
	free(queue);
	free(qlen);
	free(qnext);
	free(slots);
	free(url);
	return done == bd->n ? elapsed : -1;
}

#define TP_SLOTS 64

static int
cmd_throughput(struct ctx *c, size_t n)
{
	char *dir = make_tmpdir("throughput");
	char *beads = NULL, *cfg = NULL, *log = NULL, *tracker = NULL, *orig = NULL;
	size_t origlen = 0, failed = 0;
	struct mock m[NSEED];
	struct hostspec hs[NSEED];
	struct bodies bd;
	struct buf handlers;
	struct tcount tc;
	const char *how = "";
	double rate = NAN, bare_rate = NAN, el = 0;
	int st, rc = 1;
	struct figure *f;

	memset(m, 0, sizeof m);
	memset(&bd, 0, sizeof bd);
	buf_init(&handlers);
	printf("throughput: %zu mixed tasks, three mock hosts with %d slots each and no latency, jsonl store\n", n,
	    TP_SLOTS);
	fflush(stdout);
	if (dir == NULL)
		goto out;
	beads = path_join(dir, ".beads");
	cfg = path_join(dir, "ygg.ini");
	log = path_join(dir, "yggd.log");
	tracker = path_join(beads, "issues.jsonl");
	if (workload(c, dir, beads, n, -1, &how) == -1 || read_file(tracker, &orig, &origlen) == -1)
		goto out;
	static const char *const margs[] = { "--latency", "0", NULL };
	for (size_t i = 0; i < NSEED; i++) {
		if (mock_start(c, &m[i], seed_hosts[i].name, dir, margs) == -1)
			goto out;
		hs[i] = (struct hostspec){ seed_hosts[i].name, seed_hosts[i].model, TP_SLOTS, m[i].port, NULL };
	}
	seed_handlers(&handlers, true);
	if (write_config(c, cfg, "poll_interval = 1\n", hs, NSEED, handlers.p) == -1)
		goto out;

	char *argv[] = { c->yggd, "-c", cfg, "--drain", NULL };
	int64_t t0 = now_mono_ns();
	pid_t pid = proc_spawn(argv, log);
	if (pid == -1)
		goto out;
	if (proc_wait(pid, 600, &st) == 1) {
		fprintf(stderr, "ygg-bench: yggd --drain did not finish %zu tasks in 600 s; stopping it\n", n);
		proc_stop(pid, 2);
		print_tail(log, 20);
		goto out;
	}
	el = secs_since(t0);
	tracker_count(tracker, &tc);
	if (st != 0) {
		fprintf(stderr, "ygg-bench: yggd exited with %d\n", st);
		print_tail(log, 20);
	}
	rate = (double)tc.closed / el;
	f = fig_add("throughput.tasks_per_s", "throughput: tasks/s through yggd", rate, "tasks/s", GOAL_GE, 5000);
	fig_note(f, "%zu of %zu tasks closed in %.3f s (yggd start to --drain exit, exit status %d)", tc.closed, n, el,
	    st);
	printf("  yggd: %zu of %zu tasks closed in %.3f s, exit status %d\n", tc.closed, n, el, st);

	long before = 0;
	for (size_t i = 0; i < NSEED; i++) {
		struct mstats s;
		if (mock_stats(&m[i], &s, true) == 0)
			before += s.requests;
	}
	if (bodies_build(cfg, orig, origlen, m, NSEED, &bd) == -1) {
		fprintf(stderr, "ygg-bench: could not build the request bodies for the bare loop\n");
	} else {
		double bel = bare_loop(m, NSEED, &bd, TP_SLOTS, &failed);
		long after = 0;
		for (size_t i = 0; i < NSEED; i++) {
			struct mstats s;
			if (mock_stats(&m[i], &s, true) == 0)
				after += s.requests;
		}
		if (bel > 0) {
			bare_rate = (double)(bd.n - failed) / bel;
			printf("  bare curl-multi loop: %zu requests (%zu failed, the mocks counted %ld) in %.3f s; bodies "
			       "from %s\n",
			    bd.n, failed, after - before, bel, bd.how);
		}
	}
	fig_print(f);
	if (isfinite(bare_rate)) {
		fig_print(fig_add("throughput.bare_per_s", "throughput: bare curl loop (HTTP ceiling)", bare_rate, "req/s",
		    GOAL_INFO, 0));
		f = fig_add("throughput.vs_bare", "throughput: yggd / bare loop", rate / bare_rate, "x", GOAL_GE, 0.5);
		fig_print(f);
	} else {
		fig_print(fig_missing("throughput.vs_bare", "throughput: yggd / bare loop", "x", GOAL_GE, 0.5,
		    "the bare loop did not run"));
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "tasks", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "closed", json_object_new_int64((int64_t)tc.closed));
	json_object_object_add(o, "seconds", json_object_new_double(el));
	json_object_object_add(o, "tracker_bytes", json_object_new_int64((int64_t)origlen));
	json_object_object_add(o, "workload", json_object_new_string(how));
	detail_add("throughput", o);
	rc = tc.closed == n && st == 0 ? 0 : 1;
out:
	for (size_t i = 0; i < NSEED; i++)
		mock_stop(&m[i]);
	bodies_free(&bd);
	buf_free(&handlers);
	free(orig);
	free(beads);
	free(cfg);
	free(log);
	free(tracker);
	done_tmpdir(c, dir);
	if (rc != 0 && !isfinite(rate))
		fig_print(fig_missing("throughput.tasks_per_s", "throughput: tasks/s through yggd", "tasks/s", GOAL_GE, 5000,
		    "the run failed (see the messages above)"));
	return rc;
}

/* ---------------------------------------------------------------- realistic trackers */

/* xorshift64*: deterministic text for reproducible trackers */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static const char *const words[] = {
	"the", "scheduler", "request", "cache", "index", "handler", "retry", "timeout", "tracker", "issue", "parse",
	"render", "config", "value", "stream", "buffer", "client", "server", "latency", "budget", "should", "must",
	"when", "after", "before", "every", "field", "record", "update", "close", "open", "state", "error",
	"message", "path", "file", "folder", "lock", "write", "read", "batch", "queue", "slot", "host", "model",
	"token", "reply", "prompt", "test", "case", "table", "check", "result", "artifact", "plugin", "load",
	"reload", "signal", "metric", "page", "status", "order", "priority", "label",
};
#define NWORDS (sizeof words / sizeof words[0])

static void
gen_words(struct buf *t, uint64_t *rng, size_t n, bool paragraphs)
{
	for (size_t i = 0; i < n; i++) {
		const char *w = words[rng_next(rng) % NWORDS];
		bool para = paragraphs && i % 40 == 0;
		if (i > 0)
			buf_adds(t, para ? ".\n\n" : (i % 12 == 0 ? ". " : " "));
		if (i == 0 || para || (i % 12) == 0) {
			buf_addc(t, (char)toupper((unsigned char)w[0]));
			buf_adds(t, w + 1);
		} else {
			buf_adds(t, w);
		}
	}
	buf_addc(t, '.');
}

static void
gen_field(struct buf *b, struct buf *t, const char *key)
{
	buf_printf(b, ",\"%s\":", key);
	json_append_string(b, t->p, t->len);
}

enum gen_kind { GEN_READY, GEN_BLOCKED_DEP, GEN_BLOCKED, GEN_IN_PROGRESS, GEN_CLOSED };

/*
 * What issue i of a generated tracker is: per hundred, 3 ready (open, nothing
 * blocking), 10 open but blocked by a dependency on an issue someone else has
 * in progress, 7 with status blocked (text-processing: the edit targets), 2 in
 * progress by someone else, the rest closed (children of a closed epic).
 */
static enum gen_kind
gen_kind_of(size_t i, size_t n, bool closed_only)
{
	size_t k = i % 100;

	if (closed_only)
		return GEN_CLOSED;
	if (k < 3)
		return GEN_READY;
	if (k < 13)
		return (i / 100) * 100 + 20 < n ? GEN_BLOCKED_DEP : GEN_CLOSED;
	if (k < 20)
		return GEN_BLOCKED;
	if (k < 22)
		return GEN_IN_PROGRESS;
	return GEN_CLOSED;
}

/* One issue line the way bd writes them (~1.5 KB): fields in bd's order. */
static void
gen_issue(struct buf *b, struct buf *t, uint64_t *rng, const char *prefix, size_t i, size_t n, bool closed_only,
    int64_t base_ns)
{
	enum gen_kind kind = gen_kind_of(i, n, closed_only);
	const char *type = kind == GEN_READY ? (i % 2 ? "reasoning" : "code-generation")
	    : kind == GEN_BLOCKED           ? "text-processing"
	                                    : wtypes[i % NWTYPES].type;
	static const char *const areas[] = { "backend", "frontend", "docs", "infra", "api", "cli" };
	char ts[64], ts2[64], id[48];
	size_t epic = (i / 100) * 100 + 99;
	bool is_epic = i % 100 == 99;

	snprintf(id, sizeof id, "%s-%zu", prefix, i + 1);
	buf_adds(b, "{\"id\":");
	json_append_string(b, id, strlen(id));
	buf_reset(t);
	gen_words(t, rng, 6 + rng_next(rng) % 5, false);
	gen_field(b, t, "title");
	buf_reset(t);
	gen_words(t, rng, 90 + rng_next(rng) % 40, true);
	gen_field(b, t, "description");
	if (i % 3 == 0) {
		buf_reset(t);
		gen_words(t, rng, 25, false);
		gen_field(b, t, "design");
	}
	buf_reset(t);
	buf_adds(t, "- [ ] ");
	gen_words(t, rng, 12, false);
	buf_adds(t, "\n- [ ] ");
	gen_words(t, rng, 12, false);
	gen_field(b, t, "acceptance_criteria");
	if (i % 2 == 0) {
		buf_reset(t);
		gen_words(t, rng, 14, false);
		gen_field(b, t, "notes");
	}
	buf_printf(b, ",\"status\":\"%s\"",
	    kind == GEN_CLOSED          ? "closed"
	        : kind == GEN_BLOCKED   ? "blocked"
	        : kind == GEN_IN_PROGRESS ? "in_progress"
	                                : "open");
	buf_printf(b, ",\"priority\":%d,\"issue_type\":\"%s\"", (int)(rng_next(rng) % 4), is_epic ? "epic" : "task");
	if (kind == GEN_CLOSED || kind == GEN_IN_PROGRESS)
		buf_printf(b, ",\"assignee\":\"%s\"", i % 2 ? "alice" : "bob");
	time_format_like(base_ns + (int64_t)i * 60000000000LL, "2025-11-10T17:56:38.355309148+01:00", ts, sizeof ts);
	time_format_like(base_ns + (int64_t)i * 60000000000LL + 3600000000000LL, "2025-11-10T17:56:38.355309148+01:00",
	    ts2, sizeof ts2);
	buf_printf(b, ",\"created_at\":\"%s\",\"created_by\":\"alice\",\"updated_at\":\"%s\"", ts, ts2);
	if (kind == GEN_CLOSED)
		buf_printf(b, ",\"closed_at\":\"%s\",\"close_reason\":\"Done: merged in #%zu\"", ts2, i + 100);
	buf_printf(b, ",\"labels\":[\"%s\",\"ygg:%s\"]", areas[i % 6], type);
	if (kind == GEN_BLOCKED_DEP) {
		buf_printf(b,
		    ",\"dependencies\":[{\"issue_id\":\"%s\",\"depends_on_id\":\"%s-%zu\",\"type\":\"blocks\","
		    "\"created_at\":\"%s\",\"created_by\":\"alice\"}]",
		    id, prefix, (i / 100) * 100 + 21, ts);
	} else if (kind == GEN_CLOSED && !is_epic && epic < n && gen_kind_of(epic, n, closed_only) == GEN_CLOSED) {
		buf_printf(b,
		    ",\"dependencies\":[{\"issue_id\":\"%s\",\"depends_on_id\":\"%s-%zu\",\"type\":\"parent-child\","
		    "\"created_at\":\"%s\",\"created_by\":\"daemon\"}]",
		    id, prefix, epic + 1, ts);
	}
	buf_adds(b, "}\n");
}

struct gen_info {
	size_t bytes;
	size_t ready;
	size_t *targets; /* indexes of GEN_BLOCKED issues: status blocked, no dependencies */
	size_t ntargets;
};

static int
gen_tracker(const char *path, const char *prefix, size_t n, bool closed_only, struct gen_info *gi)
{
	FILE *f = fopen(path, "w");
	uint64_t rng = 0x9e3779b97f4a7c15ULL ^ n;
	int64_t base = 1735689600LL * 1000000000LL; /* 2025-01-01 */
	struct buf b, t;

	memset(gi, 0, sizeof *gi);
	if (f == NULL)
		return -1;
	buf_init(&b);
	buf_init(&t);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&b);
		gen_issue(&b, &t, &rng, prefix, i, n, closed_only, base);
		if (fwrite(b.p, 1, b.len, f) != b.len)
			break;
		gi->bytes += b.len;
		enum gen_kind k = gen_kind_of(i, n, closed_only);
		if (k == GEN_READY)
			gi->ready++;
		if (k == GEN_BLOCKED) {
			gi->targets = xrealloc(gi->targets, (gi->ntargets + 1) * sizeof *gi->targets);
			gi->targets[gi->ntargets++] = i;
		}
	}
	buf_free(&b);
	buf_free(&t);
	if (fclose(f) != 0)
		return -1;
	return 0;
}

/* The line of issue id in a tracker text, or NULL. */
static const char *
find_line(const char *data, size_t len, const char *id, size_t *linelen)
{
	char *needle = xasprintf("{\"id\":\"%s\"", id);
	size_t nl = strlen(needle);
	const char *p = data, *end = data + len, *hit = NULL;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if ((size_t)(e - p) >= nl && memcmp(p, needle, nl) == 0 && (p[nl] == ',' || p[nl] == '}')) {
			hit = p;
			*linelen = (size_t)(e - p);
			break;
		}
		p = e + 1;
	}
	free(needle);
	return hit;
}

/* The status of issue id in the tracker file, into st; -1 when absent. */
static int
status_of(const char *path, const char *id, struct buf *st)
{
	char *data;
	size_t len, ll;
	const char *line;
	struct json_line jl;
	int rc = -1;

	buf_reset(st);
	if (read_file(path, &data, &len) == -1)
		return -1;
	if ((line = find_line(data, len, id, &ll)) != NULL) {
		memset(&jl, 0, sizeof jl);
		if (json_line_scan(&jl, line, ll) == 0) {
			const struct json_member *m = json_line_get(&jl, "status");
			if (m != NULL && json_string_decode(m->val, m->val_len, st) == 0)
				rc = 0;
		}
		json_line_free(&jl);
	}
	free(data);
	return rc;
}

/* Poll the tracker until issue id has status want; seconds waited, or -1. */
static double
wait_status(const char *path, const char *id, const char *want, double timeout)
{
	int64_t t0 = now_mono_ns();
	struct buf st;
	double rc = -1;

	buf_init(&st);
	while (secs_since(t0) < timeout && !interrupted) {
		if (status_of(path, id, &st) == 0 && strcmp(st.p, want) == 0) {
			rc = secs_since(t0);
			break;
		}
		sleep_s(0.002);
	}
	buf_free(&st);
	return rc;
}

/*
 * Poll mock m until it counts more than `after` requests: our monotonic time
 * of the first poll that saw it (an upper bound on the arrival; polls are
 * about gap_s apart plus one loopback GET), or -1 after timeout.
 */
static int64_t
mock_wait_request(struct mock *m, long after, double timeout, double gap_s)
{
	int64_t t0 = now_mono_ns();
	struct mstats s;

	while (secs_since(t0) < timeout && !interrupted) {
		if (mock_stats(m, &s, true) == 0 && s.requests > after)
			return now_mono_ns();
		sleep_s(gap_s);
	}
	return -1;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double
percentile(const double *v, size_t n, double p)
{
	if (n == 0)
		return NAN;
	size_t k = (size_t)ceil(p / 100 * (double)n);
	return v[k == 0 ? 0 : k - 1];
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* Lines of a log after offset that contain what; -1 when it cannot be read. */
static long
log_count(const char *log, off_t from, const char *what)
{
	char *data;
	size_t len;
	long n = 0;

	if (read_file(log, &data, &len) == -1)
		return -1;
	for (char *p = data + (from < (off_t)len ? from : (off_t)len); (p = strstr(p, what)) != NULL; p++)
		n++;
	free(data);
	return n;
}

/* ---------------------------------------------------------------- latency */

/* A new ready text-processing issue as a tool appends it. */
static char *
new_issue_line(const char *id)
{
	struct buf b;
	char ts[64];

	time_format_like(now_wall_ns(), NULL, ts, sizeof ts);
	buf_init(&b);
	buf_printf(&b,
	    "{\"id\":\"%s\",\"title\":\"Write release notes for %s\",\"description\":\"Summarize the changes.\","
	    "\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\",\"labels\":[\"ygg:text-processing\"],"
	    "\"created_at\":\"%s\",\"updated_at\":\"%s\"}",
	    id, id, ts, ts);
	return buf_steal(&b);
}

static int
cmd_latency(struct ctx *c, size_t n)
{
	char *dir = make_tmpdir("latency");
	char *beads = NULL, *cfg = NULL, *log = NULL, *tracker = NULL;
	struct mock m;
	struct gen_info gi;
	double *lat = xcalloc(n + 1, sizeof *lat);
	size_t got = 0;
	off_t log_from = 0;
	long seen = 0;
	pid_t pid = -1;
	int rc = 1;

	memset(&m, 0, sizeof m);
	memset(&gi, 0, sizeof gi);
	printf("latency: an idle yggd with free slots; %zu times: append one ready issue to issues.jsonl (lock, temp "
	       "file, rename, as bd does)\n         and time until the mock host receives its request\n",
	    n);
	fflush(stdout);
	if (dir == NULL)
		goto out;
	beads = path_join(dir, ".beads");
	cfg = path_join(dir, "ygg.ini");
	log = path_join(dir, "yggd.log");
	tracker = path_join(beads, "issues.jsonl");
	mkdir(beads, 0755);
	if (gen_tracker(tracker, "lat", 200, true, &gi) == -1)
		goto out;
	static const char *const margs[] = { "--latency", "0", NULL };
	if (mock_start(c, &m, "fenrir-chat", dir, margs) == -1)
		goto out;
	struct hostspec hs = { "fenrir-chat", "llama3.2:3b", 4, m.port, NULL };
	if (write_config(c, cfg, "poll_interval = 2\n", &hs, 1,
	        "[handler.text-processing]\nhosts = fenrir-chat\n\n[handler.general]\nhosts = fenrir-chat\n"
	        "default = yes\n") == -1)
		goto out;
	/* -v: the store says when it found the tracker's lock taken and had to retry */
	char *argv[] = { c->yggd, "-c", cfg, "-v", NULL };
	pid = proc_spawn(argv, log);
	if (pid == -1)
		goto out;

	/* three warm-up tasks (not counted): the daemon is up and every path is warm */
	for (size_t i = 0; i < n + 3 && !interrupted; i++) {
		char id[32];
		int st;
		bool warm = i < 3;
		snprintf(id, sizeof id, warm ? "warm-%zu" : "lat-%zu", warm ? i + 1 : i - 2);
		char *line = new_issue_line(id);
		int64_t tw = tracker_edit(beads, append_cb, line);
		free(line);
		if (tw < 0) {
			fprintf(stderr, "ygg-bench: cannot append to %s: %s\n", tracker, strerror(errno));
			goto out;
		}
		int64_t tr = mock_wait_request(&m, seen, warm ? 10 : 5, 0.0002);
		if (tr < 0) {
			fprintf(stderr, "ygg-bench: the mock never received the request for %s\n", id);
			if (proc_wait(pid, 0, &st) == 0)
				fprintf(stderr, "ygg-bench: yggd exited with %d\n", st), pid = -1;
			print_tail(log, 20);
			goto out;
		}
		seen++;
		if (!warm)
			lat[got++] = (double)(tr - tw) / 1e6;
		else if (i == 2)
			log_from = file_size(log);
		if (wait_status(tracker, id, "closed", 10) < 0) {
			fprintf(stderr, "ygg-bench: %s was not closed within 10 s\n", id);
			print_tail(log, 20);
			goto out;
		}
		/* a short log keeps the next fast polls cheap for the mock and for us */
		if (mock_reset(&m) == 0)
			seen = 0;
	}
	rc = got == n ? 0 : 1;
out:
	if (pid > 0) {
		int st = proc_stop(pid, 10);
		if (st != 0 && rc == 0)
			fprintf(stderr, "ygg-bench: yggd exited with %d on SIGTERM\n", st);
	}
	mock_stop(&m);
	if (got > 0) {
		qsort(lat, got, sizeof *lat, dbl_cmp);
		struct figure *f = fig_add("latency.p50_ms", "latency: append -> request, p50", percentile(lat, got, 50), "ms",
		    GOAL_LE, 5);
		fig_note(f, "%zu appends; the arrival is the first stats poll (0.2 ms apart) that saw the request", got);
		fig_print(f);
		fig_print(fig_add("latency.p99_ms", "latency: append -> request, p99", percentile(lat, got, 99), "ms",
		    GOAL_LE, 50));
		fig_print(fig_add("latency.max_ms", "latency: append -> request, max", lat[got - 1], "ms", GOAL_INFO, 0));
		long retries = log_count(log, log_from, "held by another process, retrying");
		if (retries >= 0) {
			struct figure *r = fig_add("latency.lock_retries", "latency: claims that found the lock taken",
			    (double)retries, "", GOAL_INFO, 0);
			fig_note(r, "of %zu samples: the daemon heard the rename before the writer unlocked, and the "
			            "store retried later (its -v log)",
			    got);
			fig_print(r);
		}
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		for (size_t i = 0; i < got; i++)
			json_object_array_add(a, json_object_new_double(lat[i]));
		json_object_object_add(o, "sorted_ms", a);
		detail_add("latency", o);
	} else {
		fig_print(fig_missing("latency.p50_ms", "latency: append -> request, p50", "ms", GOAL_LE, 5,
		    "the run failed (see the messages above)"));
		fig_print(fig_missing("latency.p99_ms", "latency: append -> request, p99", "ms", GOAL_LE, 50,
		    "the run failed (see the messages above)"));
	}
	free(lat);
	free(gi.targets);
	free(beads);
	free(cfg);
	free(log);
	free(tracker);
	done_tmpdir(c, dir);
	return rc;
}

/* ---------------------------------------------------------------- scale */

/* Turn issue arg's "status":"blocked" into "status":"open": a one-line edit. */
static int
unblock_cb(const char *old, size_t len, struct buf *out, void *arg)
{
	const char *id = arg, *from = "\"status\":\"blocked\"";
	size_t ll;
	const char *line = find_line(old, len, id, &ll);
	const char *st;

	if (line == NULL || (st = memmem(line, ll, from, strlen(from))) == NULL)
		return -1;
	buf_reserve(out, len);
	buf_add(out, old, (size_t)(st - old));
	buf_adds(out, "\"status\":\"open\"");
	buf_add(out, st + strlen(from), len - (size_t)(st - old) - strlen(from));
	return 0;
}

/* Let yggd settle: its CPU use stays under 2% for 0.3 s (at most limit s). */
static void
wait_quiet(pid_t pid, double limit)
{
	int64_t t0 = now_mono_ns();

	while (secs_since(t0) < limit && !interrupted) {
		int64_t a = proc_cpu_ns(pid);
		sleep_s(0.3);
		int64_t b = proc_cpu_ns(pid);
		if (a < 0 || b < 0 || b - a < 6000000)
			return;
	}
}

/*
 * The store's "store=jsonl batch=N applied=N ..." debug lines after offset: the
 * time of each rewrite in ms (took=, or loop= + write= when the write runs off
 * the loop) and, when the line says it, how long the loop was held (loop=).
 */
static size_t
log_flush_times(const char *log, off_t from, double **total, double **loop, size_t *nloop)
{
	char *data;
	size_t len, n = 0;

	*total = *loop = NULL;
	*nloop = 0;
	if (read_file(log, &data, &len) == -1)
		return 0;
	for (char *p = data + (from < (off_t)len ? from : (off_t)len); (p = strstr(p, "store=jsonl batch=")) != NULL; p++) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		char *took = strstr(p, " took="), *lp = strstr(p, " loop="), *wr = strstr(p, " write=");
		double t = -1;
		if (took != NULL) {
			t = strtod(took + 6, NULL);
		} else if (lp != NULL && wr != NULL) {
			double l = strtod(lp + 6, NULL);
			t = l + strtod(wr + 7, NULL);
			*loop = xrealloc(*loop, (*nloop + 1) * sizeof **loop);
			(*loop)[(*nloop)++] = l;
		}
		if (t >= 0) {
			*total = xrealloc(*total, (n + 1) * sizeof **total);
			(*total)[n++] = t;
		}
		if (nl != NULL)
			p = nl;
	}
	free(data);
	return n;
}

/* Lines of the log after offset mentioning a reload with a count of re-parsed lines. */
static long
log_reparsed(const char *log, off_t from, long *reloads)
{
	char *data;
	size_t len;
	long total = -1;

	*reloads = 0;
	if (read_file(log, &data, &len) == -1)
		return -1;
	for (char *p = data + (from < (off_t)len ? from : (off_t)len); (p = strstr(p, "reparsed=")) != NULL; p++) {
		if (total < 0)
			total = 0;
		total += strtol(p + 9, NULL, 10);
		(*reloads)++;
	}
	free(data);
	return total;
}

#define SCALE_POLL 0.5 /* poll_interval of the scale runs, seconds */

/* "100k" for round thousands, else the count. */
static const char *
size_label(size_t n, char *out, size_t len)
{
	if (n % 1000 == 0)
		snprintf(out, len, "%zuk", n / 1000);
	else
		snprintf(out, len, "%zu", n);
	return out;
}

static int
scale_one(struct ctx *c, size_t n)
{
	char *dir = make_tmpdir("scale");
	char *beads = NULL, *cfg = NULL, *log = NULL, *tracker = NULL;
	struct mock bulk, probe;
	struct gen_info gi;
	char key[96], name[96], lbl[32];
	double *edits = NULL, *flushes = NULL, *loops = NULL;
	size_t nedits = 0, nflush = 0, nloops = 0, want_edits = n >= 100000 ? 3 : 5;
	pid_t pid = -1;
	int rc = 1;
	struct figure *f;
	double first_s = NAN, poll_ms = NAN, idle_w = c->quick ? 2 : 3;
	long reparsed = -1, reloads = 0;
	int64_t hwm = -1, rss = -1;

	memset(&bulk, 0, sizeof bulk);
	memset(&probe, 0, sizeof probe);
	memset(&gi, 0, sizeof gi);
	if (dir == NULL)
		return 1;
	beads = path_join(dir, ".beads");
	cfg = path_join(dir, "ygg.ini");
	log = path_join(dir, "yggd.log");
	tracker = path_join(beads, "issues.jsonl");
	mkdir(beads, 0755);
	int64_t tg = now_mono_ns();
	if (gen_tracker(tracker, "sc", n, false, &gi) == -1) {
		fprintf(stderr, "ygg-bench: cannot write %s: %s\n", tracker, strerror(errno));
		goto out;
	}
	printf("scale %zu: tracker of %.1f MiB (%.0f bytes a line; %zu ready, the rest closed, blocked or taken) "
	       "written in %.2f s\n",
	    n, (double)gi.bytes / 1048576, (double)gi.bytes / (double)n, gi.ready, secs_since(tg));
	fflush(stdout);
	static const char *const bulk_args[] = { "--latency", "900000", NULL };
	static const char *const probe_args[] = { "--latency", "0", NULL };
	if (mock_start(c, &bulk, "bulk", dir, bulk_args) == -1 || mock_start(c, &probe, "probe", dir, probe_args) == -1)
		goto out;
	struct hostspec hs[] = {
		{ "bulk", "qwen2.5-coder:7b", 2, bulk.port, "timeout = 3600\nidle_timeout = 3600\n" },
		{ "probe", "llama3.2:3b", 1, probe.port, NULL },
	};
	char extra[128];
	snprintf(extra, sizeof extra, "poll_interval = %g\nshutdown_grace = 1\n", SCALE_POLL);
	if (write_config(c, cfg, extra, hs, 2,
	        "[handler.code-generation]\nhosts = bulk\n\n[handler.reasoning]\nhosts = bulk\n\n"
	        "[handler.text-processing]\nhosts = probe\n\n[handler.general]\nhosts = bulk\ndefault = yes\n") == -1)
		goto out;

	/* time to first dispatch */
	char *argv[] = { c->yggd, "-c", cfg, "-v", NULL };
	int64_t t0 = now_mono_ns();
	pid = proc_spawn(argv, log);
	if (pid == -1)
		goto out;
	int64_t tf = mock_wait_request(&bulk, 0, 120, 0.001);
	if (tf < 0) {
		fprintf(stderr, "ygg-bench: no request reached the mock within 120 s\n");
		print_tail(log, 20);
		goto out;
	}
	first_s = (double)(tf - t0) / 1e9;

	/* both bulk slots taken (their requests last 15 minutes), then quiet */
	for (int64_t tw = now_mono_ns(); secs_since(tw) < 60 && !interrupted;) {
		struct mstats s;
		if (mock_stats(&bulk, &s, true) == 0 && s.in_flight >= 2)
			break;
		sleep_s(0.01);
	}
	wait_quiet(pid, 60);

	/* CPU per unchanged poll */
	off_t off = file_size(log);
	int64_t c0 = proc_cpu_ns(pid);
	sleep_s(idle_w);
	int64_t c1 = proc_cpu_ns(pid);
	if (c0 >= 0 && c1 >= c0)
		poll_ms = (double)(c1 - c0) / 1e6 / (idle_w / SCALE_POLL);
	reparsed = log_reparsed(log, off, &reloads);

	/* one-line edits: an issue goes from blocked to open, its request reaches the probe host */
	off = file_size(log);
	long seen = 0;
	for (size_t k = 0; k < want_edits && k < gi.ntargets && !interrupted; k++) {
		char id[32];
		struct stat s1, s2;
		snprintf(id, sizeof id, "sc-%zu", gi.targets[k * (gi.ntargets / want_edits)] + 1);
		int64_t te = tracker_edit(beads, unblock_cb, id);
		if (te < 0) {
			fprintf(stderr, "ygg-bench: could not edit %s in %s\n", id, tracker);
			break;
		}
		int64_t tr = mock_wait_request(&probe, seen, 30, 0.0005);
		if (tr < 0) {
			fprintf(stderr, "ygg-bench: the edit of %s did not reach the probe host within 30 s\n", id);
			print_tail(log, 10);
			break;
		}
		seen++;
		edits = xrealloc(edits, (nedits + 1) * sizeof *edits);
		edits[nedits++] = (double)(tr - te) / 1e6;
		/* the close: the file is replaced once more after the (instant) reply */
		if (stat(tracker, &s1) == 0) {
			for (int64_t tw = now_mono_ns(); secs_since(tw) < 30; sleep_s(0.002)) {
				if (stat(tracker, &s2) == 0 && s2.st_ino != s1.st_ino)
					break;
			}
		}
		wait_quiet(pid, 30);
	}
	nflush = log_flush_times(log, off, &flushes, &loops, &nloops);

	hwm = proc_status_kb(pid, "VmHWM:");
	rss = proc_status_kb(pid, "VmRSS:");
	rc = nedits == want_edits ? 0 : 1;
out:
	if (pid > 0) {
		int st = proc_stop(pid, 60);
		if (st != 0)
			fprintf(stderr, "ygg-bench: yggd exited with %d on SIGTERM\n", st);
	}
	mock_stop(&bulk);
	mock_stop(&probe);

	double mib = (double)gi.bytes / 1048576;
	snprintf(key, sizeof key, "scale.%zu.file_mib", n);
	snprintf(name, sizeof name, "scale %s: tracker size", size_label(n, lbl, sizeof lbl));
	fig_print(fig_add(key, name, mib, "MiB", GOAL_INFO, 0));
	snprintf(key, sizeof key, "scale.%zu.first_dispatch_s", n);
	snprintf(name, sizeof name, "scale %s: start -> first dispatch", size_label(n, lbl, sizeof lbl));
	if (isfinite(first_s))
		fig_print(fig_add(key, name, first_s, "s", GOAL_LE, 2));
	else
		fig_print(fig_missing(key, name, "s", GOAL_LE, 2, "no request reached the mock"));
	snprintf(key, sizeof key, "scale.%zu.idle_poll_cpu_ms", n);
	snprintf(name, sizeof name, "scale %s: CPU per unchanged poll", size_label(n, lbl, sizeof lbl));
	if (isfinite(poll_ms)) {
		/* A poll that re-read the file would cost at least a read of it: about a
		 * millisecond per MiB here. Under 1 ms means it did not. */
		f = fig_add(key, name, poll_ms, "ms", GOAL_LE, 1);
		if (reparsed >= 0)
			fig_note(f, "the -v log reported %ld line(s) re-parsed over %ld reload(s) in %.0f s idle", reparsed,
			    reloads, idle_w);
		else
			fig_note(f, "stands in for 're-parses nothing': the store does not log reloads; a re-read of "
			            "%.0f MiB would cost tens of ms; %.0f s idle, poll_interval %g s",
			    mib, idle_w, SCALE_POLL);
		fig_print(f);
	} else {
		fig_print(fig_missing(key, name, "ms", GOAL_LE, 1, "yggd's CPU time could not be read"));
	}
	if (reparsed >= 0) {
		snprintf(key, sizeof key, "scale.%zu.idle_reparsed", n);
		snprintf(name, sizeof name, "scale %s: lines re-parsed while idle", size_label(n, lbl, sizeof lbl));
		fig_print(fig_add(key, name, (double)reparsed, "lines", GOAL_EQ, 0));
	}
	snprintf(key, sizeof key, "scale.%zu.edit_ms", n);
	snprintf(name, sizeof name, "scale %s: one-line edit -> request", size_label(n, lbl, sizeof lbl));
	if (nedits > 0) {
		qsort(edits, nedits, sizeof *edits, dbl_cmp);
		f = fig_add(key, name, percentile(edits, nedits, 50), "ms", GOAL_LE, 100);
		fig_note(f, "median of %zu edits (max %.1f ms); the reload of the whole file, readiness, the claim's compare-and-set", nedits,
		    edits[nedits - 1]);
		fig_print(f);
	} else {
		fig_print(fig_missing(key, name, "ms", GOAL_LE, 100, "no edit reached the probe host"));
	}
	snprintf(key, sizeof key, "scale.%zu.patch_write_ms", n);
	snprintf(name, sizeof name, "scale %s: one patch write", size_label(n, lbl, sizeof lbl));
	if (nflush > 0) {
		qsort(flushes, nflush, sizeof *flushes, dbl_cmp);
		f = fig_add(key, name, percentile(flushes, nflush, 50), "ms", GOAL_INFO, 0);
		if (nloops > 0) {
			qsort(loops, nloops, sizeof *loops, dbl_cmp);
			fig_note(f, "median of %zu rewrites from the store's -v log (max %.1f ms), of which the loop was "
			            "held %.1f ms (median)",
			    nflush, flushes[nflush - 1], percentile(loops, nloops, 50));
		} else {
			fig_note(f, "median of %zu rewrites from the store's -v log (max %.1f ms)", nflush, flushes[nflush - 1]);
		}
		fig_print(f);
	} else {
		fig_print(fig_missing(key, name, "ms", GOAL_INFO, 0, "the -v log had no store batch timings"));
	}
	snprintf(key, sizeof key, "scale.%zu.peak_rss_mib", n);
	snprintf(name, sizeof name, "scale %s: peak RSS", size_label(n, lbl, sizeof lbl));
	if (hwm > 0) {
		f = fig_add(key, name, (double)hwm / 1048576, "MiB", GOAL_LE, 1.5 * mib + 32);
		fig_note(f, "VmHWM; goal 1.5 x file + 32 MiB; VmRSS at the end %.1f MiB", (double)rss / 1048576);
		fig_print(f);
	} else {
		fig_print(fig_missing(key, name, "MiB", GOAL_LE, 1.5 * mib + 32, "yggd was not running to be measured"));
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "issues", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)gi.bytes));
	json_object_object_add(o, "ready", json_object_new_int64((int64_t)gi.ready));
	struct json_object *ea = json_object_new_array(), *fa = json_object_new_array();
	for (size_t i = 0; i < nedits; i++)
		json_object_array_add(ea, json_object_new_double(edits[i]));
	for (size_t i = 0; i < nflush; i++)
		json_object_array_add(fa, json_object_new_double(flushes[i]));
	json_object_object_add(o, "edit_ms", ea);
	json_object_object_add(o, "flush_ms", fa);
	snprintf(key, sizeof key, "scale_%zu", n);
	detail_add(key, o);
	free(edits);
	free(flushes);
	free(loops);
	free(gi.targets);
	free(beads);
	free(cfg);
	free(log);
	free(tracker);
	done_tmpdir(c, dir);
	return rc;
}

static int
cmd_scale(struct ctx *c, const char *list)
{
	char **sizes;
	size_t n = split_list(list, &sizes);
	int rc = 0;

	for (size_t i = 0; i < n && !interrupted; i++) {
		char *end;
		unsigned long v = strtoul(sizes[i], &end, 10);
		if (*end != '\0' || v < 100) {
			fprintf(stderr, "ygg-bench: --issues: %s is not a count of at least 100\n", sizes[i]);
			rc = 1;
			continue;
		}
		if (i > 0)
			printf("\n");
		rc |= scale_one(c, v);
	}
	free_list(sizes);
	return rc;
}

/* ---------------------------------------------------------------- cost */

/* A program on PATH, or NULL. Caller frees. */
static char *
which(const char *name)
{
	const char *path = getenv("PATH");
	char **dirs;
	char *found = NULL;

	if (path == NULL)
		return NULL;
	size_t n = 0;
	char *copy = xstrdup(path);
	for (char *p = copy; *p; p++) {
		if (*p == ':')
			*p = ',';
	}
	n = split_list(copy, &dirs);
	for (size_t i = 0; i < n && found == NULL; i++) {
		char *f = path_join(dirs[i], name);
		if (access(f, X_OK) == 0)
			found = f;
		else
			free(f);
	}
	free_list(dirs);
	free(copy);
	return found;
}

struct cg_func {
	double ir;
	char name[160];
};

/* Parse callgrind_annotate's report: total Ir and every function listed (*funcs, caller frees). */
static double
cg_parse(const char *path, struct cg_func **funcs, size_t *got)
{
	char *data;
	size_t len;
	double total = -1;
	bool in_funcs = false;

	*got = 0;
	*funcs = NULL;
	if (read_file(path, &data, &len) == -1)
		return -1;
	for (char *line = strtok(data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *p = line;
		while (*p == ' ')
			p++;
		if (strstr(line, "file:function") != NULL) {
			in_funcs = true;
			continue;
		}
		if (in_funcs && *got > 0 && *p == '-')
			break; /* the end of the function list */
		if (!isdigit((unsigned char)*p))
			continue;
		double v = 0;
		while (isdigit((unsigned char)*p) || *p == ',') {
			if (*p != ',')
				v = v * 10 + (*p - '0');
			p++;
		}
		while (*p == ' ')
			p++;
		if (*p == '(') { /* "(12.34%)" */
			p = strchr(p, ')');
			if (p == NULL)
				continue;
			p++;
		}
		while (*p == ' ')
			p++;
		if (strstr(p, "PROGRAM TOTALS") != NULL) {
			total = v;
			continue;
		}
		if (!in_funcs)
			continue;
		*funcs = xrealloc(*funcs, (*got + 1) * sizeof **funcs);
		struct cg_func *top = *funcs;
		/* "file.c:function [/path/object.so]" -> "function (object.so)" */
		char *obj = strstr(p, " [");
		const char *objname = "";
		if (obj != NULL) {
			*obj = '\0';
			char *close = strchr(obj + 2, ']');
			if (close != NULL)
				*close = '\0';
			objname = strrchr(obj + 2, '/') != NULL ? strrchr(obj + 2, '/') + 1 : obj + 2;
		}
		char *fn = strrchr(p, ':');
		fn = fn != NULL ? fn + 1 : p;
		char name[sizeof top->name];
		snprintf(name, sizeof name, "%s%s%s%s", fn, *objname ? " (" : "", objname, *objname ? ")" : "");
		/* one function may be listed once per source file it was inlined from */
		size_t k = 0;
		while (k < *got && strcmp(top[k].name, name) != 0)
			k++;
		if (k == *got) {
			top[k].ir = 0;
			memcpy(top[k].name, name, sizeof name);
			(*got)++;
		}
		top[k].ir += v;
	}
	free(data);
	return total;
}

static int
cg_cmp(const void *a, const void *b)
{
	double x = ((const struct cg_func *)a)->ir, y = ((const struct cg_func *)b)->ir;

	return x > y ? -1 : x < y;
}

/* yggd --drain under callgrind on folder dir (its ygg.ini); total Ir or -1. */
static double
cg_run(struct ctx *c, const char *valgrind, const char *dir, struct cg_func **funcs, size_t *got)
{
	char *cfg = path_join(dir, "ygg.ini"), *out = path_join(dir, "callgrind.out");
	char *log = path_join(dir, "yggd.log"), *ann = path_join(dir, "annotate.txt");
	char *outopt = xasprintf("--callgrind-out-file=%s", out);
	char *annotate = which("callgrind_annotate");
	char *argv[] = { (char *)valgrind, "--tool=callgrind", outopt, c->yggd, "-c", cfg, "--drain", NULL };
	double total = -1;
	int st;

	*got = 0;
	*funcs = NULL;
	st = proc_run(argv, log, 900);
	if (st != 0) {
		fprintf(stderr, "ygg-bench: yggd under callgrind exited with %d\n", st);
		print_tail(log, 20);
	} else if (annotate == NULL) {
		fprintf(stderr, "ygg-bench: callgrind_annotate is not on PATH\n");
	} else {
		char *aargv[] = { annotate, "--inclusive=no", "--auto=no", "--threshold=100", out, NULL };
		if (proc_run(aargv, ann, 120) == 0)
			total = cg_parse(ann, funcs, got);
		else
			print_tail(ann, 10);
	}
	free(cfg);
	free(out);
	free(log);
	free(ann);
	free(outopt);
	free(annotate);
	return total;
}

static int
cmd_cost(struct ctx *c, size_t n)
{
	char *dir = make_tmpdir("cost");
	char *valgrind = which("valgrind");
	char *work = NULL, *base = NULL, *wbeads = NULL, *bbeads = NULL, *wcfg = NULL, *bcfg = NULL, *tracker = NULL;
	struct mock m;
	struct cg_func *top = NULL, *btop = NULL;
	size_t ntop = 0, nbtop = 0;
	struct tcount tc;
	const char *how = "";
	int rc = 1;

	memset(&m, 0, sizeof m);
	memset(&tc, 0, sizeof tc);
	printf("cost: yggd --drain on %zu tasks under valgrind --tool=callgrind, a mock host with no latency\n", n);
	fflush(stdout);
	if (dir == NULL)
		goto out;
	if (valgrind == NULL) {
		fig_print(fig_missing("cost.instr_per_task", "cost: instructions per task", "instr", GOAL_INFO, 0,
		    "valgrind is not installed (apt-get install valgrind)"));
		goto out;
	}
	work = path_join(dir, "work");
	base = path_join(dir, "base");
	wbeads = path_join(work, ".beads");
	bbeads = path_join(base, ".beads");
	wcfg = path_join(work, "ygg.ini");
	bcfg = path_join(base, "ygg.ini");
	tracker = path_join(wbeads, "issues.jsonl");
	mkdir(work, 0755);
	mkdir(base, 0755);
	mkdir(bbeads, 0755);
	char *empty = path_join(bbeads, "issues.jsonl");
	write_text(empty, "", 0);
	free(empty);
	if (workload(c, work, wbeads, n, -1, &how) == -1)
		goto out;
	static const char *const margs[] = { "--latency", "0", NULL };
	if (mock_start(c, &m, "fenrir-chat", dir, margs) == -1)
		goto out;
	struct hostspec hs = { "fenrir-chat", "llama3.2:3b", 64, m.port, NULL };
	const char *handlers = "[handler.code-generation]\nhosts = fenrir-chat\n\n[handler.text-processing]\n"
	                       "hosts = fenrir-chat\n\n[handler.reasoning]\nhosts = fenrir-chat\n\n"
	                       "[handler.general]\nhosts = fenrir-chat\ndefault = yes\n";
	if (write_config(c, wcfg, NULL, &hs, 1, handlers) == -1 || write_config(c, bcfg, NULL, &hs, 1, handlers) == -1)
		goto out;

	int64_t t0 = now_mono_ns();
	double ir0 = cg_run(c, valgrind, base, &btop, &nbtop);
	double ir = cg_run(c, valgrind, work, &top, &ntop);
	tracker_count(tracker, &tc);
	printf("  %zu of %zu tasks closed; %.1f s under callgrind in all\n", tc.closed, n, secs_since(t0));
	if (ir < 0 || ir0 < 0) {
		fig_print(fig_missing("cost.instr_per_task", "cost: instructions per task", "instr", GOAL_INFO, 0,
		    "the callgrind runs failed (see the messages above)"));
		goto out;
	}
	double per = (ir - ir0) / (double)(tc.closed > 0 ? tc.closed : n);
	struct figure *f = fig_add("cost.instr_per_task", "cost: instructions per task", per, "instr", GOAL_INFO, 0);
	fig_note(f, "(Ir of %zu tasks - Ir of an empty run) / tasks; whole run %.3g Ir, empty run %.3g Ir", n, ir, ir0);
	fig_print(f);
	fig_print(fig_add("cost.startup_instr", "cost: instructions of an empty run", ir0, "instr", GOAL_INFO, 0));
	/* What the tasks cost, function by function: the empty run's share taken out. */
	for (size_t i = 0; i < ntop; i++) {
		for (size_t k = 0; k < nbtop; k++) {
			if (strcmp(top[i].name, btop[k].name) == 0) {
				top[i].ir -= btop[k].ir;
				break;
			}
		}
	}
	qsort(top, ntop, sizeof *top, cg_cmp);
	if (ntop > 5)
		ntop = 5;
	printf("  top functions by own instructions per task (empty run taken out):\n");
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < ntop; i++) {
		printf("    %5.1f%%  %-56s %9.0f Ir/task\n", 100 * top[i].ir / (ir - ir0), top[i].name,
		    top[i].ir / (double)(tc.closed > 0 ? tc.closed : n));
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "function", json_object_new_string(top[i].name));
		json_object_object_add(e, "ir", json_object_new_double(top[i].ir));
		json_object_object_add(e, "share", json_object_new_double(top[i].ir / (ir - ir0)));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "tasks", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "closed", json_object_new_int64((int64_t)tc.closed));
	json_object_object_add(o, "ir_total", json_object_new_double(ir));
	json_object_object_add(o, "ir_empty_run", json_object_new_double(ir0));
	json_object_object_add(o, "top", arr);
	detail_add("cost", o);
	rc = tc.closed == n ? 0 : 1;
out:
	mock_stop(&m);
	free(top);
	free(btop);
	free(valgrind);
	free(work);
	free(base);
	free(wbeads);
	free(bbeads);
	free(wcfg);
	free(bcfg);
	free(tracker);
	done_tmpdir(c, dir);
	return rc;
}

/* ---------------------------------------------------------------- main */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ygg-bench COMMAND [options]\n"
	    "  seed [--demo] [--unit MS]     the seed's 30 tasks on three mock hosts: (a) fixed routing,\n"
	    "                                (b) spill-over; --demo draws live progress (1 unit = 10 ms)\n"
	    "  throughput [--tasks N]        N mixed tasks (10000) through yggd --drain vs a bare curl loop\n"
	    "  latency [--n N]               N appends (200) to an idle yggd: time to the host's request\n"
	    "  scale [--issues N,N]          trackers of N issues (10000,100000): start, idle polls, edits, RSS\n"
	    "  cost [--tasks N]              instructions per task under callgrind (1000 tasks)\n"
	    "  all [--quick]                 everything, then one table (--quick: smaller, under a minute)\n"
	    "options for all commands:\n"
	    "  --json FILE    where the figures go (default BUILD/bench-COMMAND.json, BUILD/bench.json for all)\n"
	    "  --keep         keep the temporary folders (trackers, configs, logs) and say where\n"
	    "  --build DIR    the build folder (default: the one this program was built in)\n"
	    "Exit status: 0 when every run completed correctly (a missed performance goal is reported, not an\n"
	    "error), 1 when a run failed or a correctness check did (a host over its slots, tasks not closed),\n"
	    "2 on bad usage.\n");
}

static int
parse_count(const char *opt, const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 10000000) {
		fprintf(stderr, "ygg-bench: %s: %s is not a count from 1 to 10000000\n", opt, s);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

static char *
build_dir_of_self(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* BUILD/tests/ygg-bench */
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(exe, '/');
		if (slash == NULL)
			return NULL;
		*slash = '\0';
	}
	return xstrdup(exe);
}

int
main(int argc, char **argv)
{
	struct ctx c;
	const char *cmd, *issues = "10000,100000";
	char *build = NULL;
	bool demo = false;
	double unit = 10;
	size_t tasks = 0, nlat = 200;
	int rc = 2;

	memset(&c, 0, sizeof c);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	static const char *const commands[] = { "seed", "throughput", "latency", "scale", "cost", "all" };
	bool known = false;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		known |= strcmp(cmd, commands[i]) == 0;
	if (!known) {
		fprintf(stderr, "ygg-bench: unknown command %s\n", cmd);
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		/* which options each command takes */
		const char *only = strcmp(a, "--demo") == 0 || strcmp(a, "--unit") == 0 ? "seed"
		    : strcmp(a, "--tasks") == 0                                          ? "throughput cost"
		    : strcmp(a, "--n") == 0                                              ? "latency"
		    : strcmp(a, "--issues") == 0                                         ? "scale"
		    : strcmp(a, "--quick") == 0                                          ? "all"
		                                                                         : NULL;
		if (only != NULL && strstr(only, cmd) == NULL) {
			fprintf(stderr, "ygg-bench: %s is an option of %s, not of %s\n", a, only, cmd);
			return 2;
		}
		bool takes = strcmp(a, "--unit") == 0 || strcmp(a, "--tasks") == 0 || strcmp(a, "--n") == 0 ||
		    strcmp(a, "--issues") == 0 || strcmp(a, "--json") == 0 || strcmp(a, "--build") == 0;
		if (takes && v == NULL) {
			fprintf(stderr, "ygg-bench: %s needs a value\n", a);
			return 2;
		}
		if (strcmp(a, "--demo") == 0) {
			demo = true;
		} else if (strcmp(a, "--quick") == 0) {
			c.quick = true;
		} else if (strcmp(a, "--keep") == 0) {
			c.keep = true;
		} else if (strcmp(a, "--unit") == 0) {
			char *end;
			unit = strtod(v, &end);
			if (*end != '\0' || !(unit >= 1 && unit <= 10000)) {
				fprintf(stderr, "ygg-bench: --unit: %s is not a number of ms from 1 to 10000\n", v);
				return 2;
			}
			i++;
		} else if (strcmp(a, "--tasks") == 0) {
			if (parse_count(a, v, &tasks) == -1)
				return 2;
			i++;
		} else if (strcmp(a, "--n") == 0) {
			if (parse_count(a, v, &nlat) == -1)
				return 2;
			i++;
		} else if (strcmp(a, "--issues") == 0) {
			char **sizes;
			size_t ns = split_list(v, &sizes), cnt;
			for (size_t k = 0; k < ns; k++) {
				bool bad = parse_count(a, sizes[k], &cnt) == -1;
				if (!bad && cnt < 100) {
					fprintf(stderr, "ygg-bench: --issues: %s: at least 100 issues\n", sizes[k]);
					bad = true;
				}
				if (bad) {
					free_list(sizes);
					return 2;
				}
			}
			free_list(sizes);
			if (ns == 0) {
				fprintf(stderr, "ygg-bench: --issues: give counts like 10000,100000\n");
				return 2;
			}
			issues = v;
			i++;
		} else if (strcmp(a, "--json") == 0) {
			c.json_path = xstrdup(v);
			i++;
		} else if (strcmp(a, "--build") == 0) {
			build = xstrdup(v);
			i++;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "ygg-bench: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (build == NULL)
		build = build_dir_of_self();
	if (build == NULL) {
		fprintf(stderr, "ygg-bench: cannot tell the build folder; give --build DIR\n");
		return 2;
	}
	c.build = build;
	c.yggd = path_join(build, "bin/yggd");
	c.yggctl = path_join(build, "bin/yggctl");
	c.mockhost = path_join(build, "tests/mockhost");
	c.plugin_dir = path_join(build, "plugins");
	c.tty = isatty(1);
	if (c.json_path == NULL)
		c.json_path = strcmp(cmd, "all") == 0 ? path_join(build, "bench.json") : xasprintf("%s/bench-%s.json", build, cmd);
	const char *need[] = { c.yggd, c.mockhost };
	for (size_t i = 0; i < 2; i++) {
		if (access(need[i], X_OK) != 0) {
			fprintf(stderr, "ygg-bench: %s is missing: build first (scripts/bench does)\n", need[i]);
			return 1;
		}
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_init("ygg-bench", 0);
	log_set_level(LOG_LVL_WARN); /* loading plugins for the bare loop is not news */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setvbuf(stdout, NULL, _IOLBF, 0);
	load_at_start = load_avg();

	if (strcmp(cmd, "seed") == 0) {
		figs_quiet = demo;
		rc = cmd_seed(&c, demo, unit);
	} else if (strcmp(cmd, "throughput") == 0) {
		rc = cmd_throughput(&c, tasks ? tasks : 10000);
	} else if (strcmp(cmd, "latency") == 0) {
		rc = cmd_latency(&c, nlat);
	} else if (strcmp(cmd, "scale") == 0) {
		rc = cmd_scale(&c, issues);
	} else if (strcmp(cmd, "cost") == 0) {
		rc = cmd_cost(&c, tasks ? tasks : 1000);
	} else {
		int64_t t0 = now_mono_ns();
		printf("== ygg-bench all%s: %ld CPUs, load average %.2f at the start; temporary trackers in %s\n\n",
		    c.quick ? " --quick" : "", sysconf(_SC_NPROCESSORS_ONLN), load_at_start,
		    getenv("TMPDIR") != NULL && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		rc = cmd_seed(&c, false, 10);
		printf("\n");
		if (!interrupted)
			rc |= cmd_throughput(&c, c.quick ? 1000 : 10000);
		printf("\n");
		if (!interrupted)
			rc |= cmd_latency(&c, c.quick ? 50 : 200);
		printf("\n");
		if (!interrupted)
			rc |= cmd_scale(&c, c.quick ? "10000" : "10000,100000");
		printf("\n");
		if (!interrupted)
			rc |= cmd_cost(&c, c.quick ? 100 : 1000);
		figs_table();
		printf("\nthe whole suite took %.0f s; load average %.2f at the end\n", secs_since(t0), load_avg());
	}
	if (interrupted) {
		fprintf(stderr, "ygg-bench: interrupted\n");
		rc = 1;
	}
	if (nfigs > 0 && !(demo && strcmp(cmd, "seed") == 0))
		figs_write_json(c.json_path, cmd);

	for (size_t i = 0; i < nfigs; i++) {
		free(figs[i].key);
		free(figs[i].name);
		free(figs[i].unit);
		free(figs[i].note);
	}
	free(figs);
	json_object_put(details);
	curl_global_cleanup();
	free(c.yggd);
	free(c.yggctl);
	free(c.mockhost);
	free(c.plugin_dir);
	free(c.json_path);
	free(build);
	return rc;
}
