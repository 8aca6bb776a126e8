/*
 * store_bd.c - the task store over the bd CLI, for modern beads where a SQLite
 * or Dolt database is the source of truth and issues.jsonl only an export.
 *
 * Every bd call is a child process started with posix_spawnp (argv, no shell),
 * its stdout and stderr read through non-blocking pipes that are libevent
 * events, bounded by bd_timeout (then SIGKILL to its process group). The child
 * is reaped with waitpid on its own pid only, so the daemon's other children
 * are left alone. One call runs at a time: bd serialises on its database anyway,
 * and the order of calls is then the order of effects.
 *
 * The view is what the last poll said: `bd ready --json --limit 0` (only status
 * open is kept: some bd versions list in_progress work as ready too) and
 * `bd list --status in_progress --json --limit 0`, plus the issues our own
 * writes returned since (so a claim shows as ours before the next poll).
 *
 * Writes queued in one loop turn form a batch, run as few calls as bd accepts:
 *   check   bd show ID... --json        (close/block/reopen need the issue still
 *                                         in_progress and ours: others' changes win)
 *   claim   bd --actor A update ID... --claim --json   (atomic; bd without --claim:
 *           checked first, then --status in_progress --assignee A)
 *   close   bd --actor A close ID... --reason R --json (one call per distinct reason)
 *   block   bd --actor A update ID... --status blocked --json
 *   reopen  bd --actor A update ID... --status open --assignee "" --json
 *   comment bd --actor A comments add --author yggd -- ID TEXT (one per comment)
 * then a poll. Per-id outcomes come from the JSON bd prints (the issues it
 * changed) and the stderr lines naming an id ("Error claiming bd-3: ...").
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "ygg.h"

extern char **environ;

#define BD_AUTHOR "yggd"
#define BD_MAX_IDS 200             /* ids per call: keeps argv well under ARG_MAX */
#define BD_ARG_TEXT_MAX (64 * 1024) /* longer comments go through a file (-f) */
#define BD_MAX_STDOUT (1024UL * 1024 * 1024)
#define BD_MAX_STDERR (64 * 1024)
#define BD_NOT_FOUND "bd: not found on PATH; install bd or set store = jsonl"

struct bd;

/* One submitted change and how it went. */
struct bd_item {
	enum store_op op;
	char *id;
	char *reason;
	char *text;     /* comment text, may be NULL */
	store_done_cb *cb;
	void *arg;
	int result;     /* STORE_OK until something fails */
	char *why;
	bool checked;   /* precondition looked at (bd show) */
	bool applied;   /* its main call ran */
	bool commented;
	TAILQ_ENTRY(bd_item) entry;
};
TAILQ_HEAD(bd_item_list, bd_item);

/* One child process. */
struct bd_call {
	struct bd *b;
	char *what;        /* "bd ready", for messages */
	pid_t pid;
	int outfd, errfd;
	struct event *ev_out, *ev_err, *ev_timer, *ev_reap;
	struct buf out, err;
	bool out_eof, err_eof;
	bool exited, timed_out;
	int status;
	int reap_tries;
	int64_t t0;
	char *tmpfile;     /* comment text file, unlinked after */
	struct bd_item **items; /* the batch items this call is about */
	size_t nitems;
	void (*done)(struct bd_call *c);
};

/* A child killed on timeout whose exit we still have to collect. */
struct bd_zombie {
	pid_t pid;
	TAILQ_ENTRY(bd_zombie) entry;
};
TAILQ_HEAD(bd_zombie_list, bd_zombie);

enum bd_stage { ST_CHECK, ST_CLAIM, ST_CLOSE, ST_BLOCK, ST_REOPEN, ST_COMMENT, ST_DONE };
enum bd_poll { POLL_IDLE, POLL_READY, POLL_LIST };

struct bd {
	struct store *st;
	char *dir;
	char *assignee;
	char *bd_path;
	struct event_base *base; /* where calls run (a private one during start) */

	/* the view */
	struct issue **ready;  /* owned: open issues from the last bd ready */
	size_t nready;
	struct issue **prog;   /* owned: in_progress issues from the last bd list */
	size_t nprog;
	struct issue **extra;  /* owned: issues our writes returned since that poll */
	size_t nextra;
	uint64_t ready_hash, list_hash;
	bool have_ready, have_list;
	uint64_t view_gen, seen_gen;

	/* derived, rebuilt on demand */
	const struct issue **ready_out;
	size_t nready_out;
	uint64_t ready_out_gen;
	int64_t ready_out_sec;
	enum sort_kind ready_out_sort;
	bool ready_out_valid;
	const struct issue **idx; /* every known issue by id, newest source first */
	size_t nidx;
	uint64_t idx_gen;
	bool idx_valid;
	const struct issue **mine;
	size_t mine_cap;

	/* work */
	struct bd_call *cur;
	struct bd_item_list queue; /* submitted, not started */
	struct bd_item_list batch; /* being written */
	bool batch_active;
	enum bd_stage stage;
	enum bd_poll poll;
	bool poll_wanted;
	bool poll_failed;
	struct issue **poll_ready; /* results of the poll in progress */
	size_t npoll_ready;
	uint64_t poll_ready_hash;
	bool poll_ready_ok;
	struct issue **poll_prog;
	size_t npoll_prog;
	uint64_t poll_prog_hash;
	bool no_claim;   /* this bd has no --claim */
	bool starting;
	bool stopped;
	char *last_poll_error;

	struct event *ev_kick, *ev_poll, *ev_zombies;
	struct bd_zombie_list zombies;
	struct store_stats stats;
};

static const struct store_ops bd_ops;
static void bd_kick(struct bd *b);
static void bd_batch_next(struct bd *b);

/* ---------------------------------------------------------------- helpers */

static void
issues_free(struct issue **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		issue_free(v[i]);
	free(v);
}

static bool
status_is(const struct issue *is, const char *s)
{
	return strcmp(is->status != NULL ? is->status : "open", s) == 0;
}

/* The last non-empty line of text (trimmed), or NULL. */
static char *
last_line(const char *text, size_t len)
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	if (len == 0)
		return NULL;
	size_t start = len;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	while (start < len && (text[start] == ' ' || text[start] == '\t'))
		start++;
	return xstrndup(text + start, len - start);
}

/* What bd said went wrong: {"error": "..."} on stderr (--json), else its last line. */
static char *
stderr_reason(const struct buf *err)
{
	if (err->len == 0)
		return NULL;
	json_object *o = json_tokener_parse(err->p);
	if (o != NULL) {
		json_object *e;
		char *r = NULL;
		if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "error", &e) &&
		    json_object_is_type(e, json_type_string))
			r = xstrdup(json_object_get_string(e));
		json_object_put(o);
		if (r != NULL)
			return r;
	}
	return last_line(err->p, err->len);
}

/* The first bytes of something that is not JSON, printable. */
static char *
garbage_excerpt(const char *p, size_t len)
{
	size_t n = len < 80 ? len : 80;
	char *s = xstrndup(p, n);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/*
 * Parse stdout as JSON. Empty output is "nothing" (bd prints nothing when no
 * issue was changed). 0 with *out (NULL for empty), -1 with *why.
 */
static int
parse_stdout(struct bd_call *c, json_object **out, char **why)
{
	const char *p = c->out.p != NULL ? c->out.p : "";
	size_t len = c->out.len, i = 0;
	struct json_tokener *tok;
	json_object *o;

	*out = NULL;
	while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	if (i == len)
		return 0;
	tok = json_tokener_new_ex(256);
	o = json_tokener_parse_ex(tok, p + i, (int)(len - i));
	size_t used = i + (size_t)json_tokener_get_parse_end(tok);
	enum json_tokener_error e = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (o != NULL && e == json_tokener_success) {
		while (used < len && (p[used] == ' ' || p[used] == '\n' || p[used] == '\r' || p[used] == '\t'))
			used++;
		if (used == len) {
			*out = o;
			return 0;
		}
	}
	json_object_put(o);
	char *ex = garbage_excerpt(p + i, len - i);
	*why = xasprintf("%s printed something that is not JSON: %s", c->what, ex);
	free(ex);
	return -1;
}

/*
 * Why a call failed as a whole: timeout, signal, or exit status with bd's last
 * stderr line. NULL when it exited 0.
 */
static char *
call_failure(struct bd_call *c)
{
	double limit = c->b->st->cfg->bd_timeout;

	if (c->timed_out)
		return xasprintf("%s timed out after %g s", c->what, limit);
	if (WIFSIGNALED(c->status))
		return xasprintf("%s was killed by signal %d", c->what, WTERMSIG(c->status));
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) != 0) {
		char *r = stderr_reason(&c->err), *s;
		s = xasprintf("%s failed (exit %d): %s", c->what, WEXITSTATUS(c->status), r != NULL ? r : "no message");
		free(r);
		return s;
	}
	return NULL;
}

/* ---------------------------------------------------------------- children */

static char **
make_env(const char *beads_dir)
{
	size_t n = 0, k = 0;

	while (environ[n] != NULL)
		n++;
	char **env = xcalloc(n + 2, sizeof *env);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "BEADS_DIR=", 10) != 0)
			env[k++] = xstrdup(environ[i]);
	/* bd finds the tracker through BEADS_DIR whatever the daemon's working folder is. */
	env[k++] = xasprintf("BEADS_DIR=%s", beads_dir);
	env[k] = NULL;
	return env;
}

static void
zombies_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bd *b = arg;
	struct bd_zombie *z, *next;

	(void)fd, (void)what;
	for (z = TAILQ_FIRST(&b->zombies); z != NULL; z = next) {
		int status;
		pid_t r = waitpid(z->pid, &status, WNOHANG);

		next = TAILQ_NEXT(z, entry);
		if (r == z->pid || (r == -1 && errno == ECHILD)) {
			TAILQ_REMOVE(&b->zombies, z, entry);
			free(z);
		}
	}
	if (!TAILQ_EMPTY(&b->zombies)) {
		struct timeval tv = { 0, 100000 };
		evtimer_add(b->ev_zombies, &tv);
	}
}

static void
call_free(struct bd_call *c)
{
	if (c == NULL)
		return;
	if (c->ev_out != NULL)
		event_free(c->ev_out);
	if (c->ev_err != NULL)
		event_free(c->ev_err);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	if (c->ev_reap != NULL)
		event_free(c->ev_reap);
	if (c->outfd != -1)
		close(c->outfd);
	if (c->errfd != -1)
		close(c->errfd);
	if (c->tmpfile != NULL) {
		unlink(c->tmpfile);
		free(c->tmpfile);
	}
	buf_free(&c->out);
	buf_free(&c->err);
	free(c->items);
	free(c->what);
	free(c);
}

/* The call is over (exited, or killed): hand it to its continuation. */
static void
call_finish(struct bd_call *c)
{
	struct bd *b = c->b;

	b->stats.last_flush = (double)(now_mono_ns() - c->t0) / 1e9;
	b->cur = NULL;
	c->done(c);
	call_free(c);
}

static void
call_try_reap(struct bd_call *c)
{
	int status;
	pid_t r;

	if (!c->out_eof || !c->err_eof)
		return;
	r = waitpid(c->pid, &status, WNOHANG);
	if (r == c->pid) {
		c->exited = true;
		c->status = status;
	} else if (r == -1 && errno == ECHILD) {
		/* Someone reaped it for us (SIGCHLD ignored): judge by the output alone. */
		c->exited = true;
		c->status = 0;
	} else {
		/* Pipes closed but not exited yet: look again shortly. */
		struct timeval tv = { 0, c->reap_tries < 20 ? 2000 : 50000 };
		c->reap_tries++;
		evtimer_add(c->ev_reap, &tv);
		return;
	}
	call_finish(c);
}

static void
call_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	call_try_reap(arg);
}

static void
call_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bd_call *c = arg;
	bool is_out = fd == c->outfd;
	struct buf *b = is_out ? &c->out : &c->err;
	char chunk[65536];

	(void)what;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n > 0) {
			if (is_out && b->len + (size_t)n > BD_MAX_STDOUT)
				continue; /* absurd output: keep reading so the child is not stuck, drop the rest */
			if (!is_out && b->len + (size_t)n > BD_MAX_STDERR) {
				/* keep the tail: the last line is the one that matters */
				size_t keep = BD_MAX_STDERR / 2;
				if (b->len > keep) {
					memmove(b->p, b->p + b->len - keep, keep);
					b->len = keep;
				}
			}
			buf_add(b, chunk, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break; /* EOF or error */
	}
	if (is_out) {
		event_del(c->ev_out);
		close(c->outfd);
		c->outfd = -1;
		c->out_eof = true;
	} else {
		event_del(c->ev_err);
		close(c->errfd);
		c->errfd = -1;
		c->err_eof = true;
	}
	call_try_reap(c);
}

static void
call_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bd_call *c = arg;
	struct bd *b = c->b;
	int status;

	(void)fd, (void)what;
	c->timed_out = true;
	/* Its own process group: whatever bd started goes too. */
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	if (waitpid(c->pid, &status, WNOHANG) != c->pid) {
		struct bd_zombie *z = xcalloc(1, sizeof *z);
		struct timeval tv = { 0, 20000 };

		z->pid = c->pid;
		TAILQ_INSERT_TAIL(&b->zombies, z, entry);
		if (!evtimer_pending(b->ev_zombies, NULL))
			evtimer_add(b->ev_zombies, &tv);
	}
	log_warnx("store=bd %s: timed out after %g s, killed pid %ld", c->what, b->st->cfg->bd_timeout, (long)c->pid);
	call_finish(c);
}

/*
 * Start bd with args (argv[0] is filled in). On failure returns NULL with *cause
 * and the continuation is not called.
 */
static struct bd_call *
call_start(struct bd *b, const char *what, char **args, size_t nargs, void (*done)(struct bd_call *), char **cause)
{
	struct bd_call *c;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, defaults;
	int out[2], err[2], rc;
	char **argv;

	if (pipe2(out, O_CLOEXEC) == -1) {
		*cause = xasprintf("%s: pipe: %s", what, strerror(errno));
		return NULL;
	}
	if (pipe2(err, O_CLOEXEC) == -1) {
		*cause = xasprintf("%s: pipe: %s", what, strerror(errno));
		close(out[0]), close(out[1]);
		return NULL;
	}
	argv = xcalloc(nargs + 2, sizeof *argv);
	argv[0] = b->bd_path;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	argv[nargs + 1] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	/* The daemon's signal setup (SIGPIPE ignored, a blocked mask) is not bd's. */
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGCHLD);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &defaults);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

	c = xcalloc(1, sizeof *c);
	/* The environment as it is now (not as it was at start-up), with BEADS_DIR set. */
	char **envp = make_env(b->dir);
	rc = posix_spawnp(&c->pid, b->bd_path, &fa, &at, argv, envp);
	free_list(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(argv);
	close(out[1]);
	close(err[1]);
	b->stats.bd_calls++;
	if (rc != 0) {
		close(out[0]);
		close(err[0]);
		free(c);
		b->stats.bd_failed++;
		if (rc == ENOENT || rc == EACCES)
			*cause = strchr(b->bd_path, '/') != NULL ?
			    xasprintf("bd: %s: %s; install bd or set store = jsonl", b->bd_path, strerror(rc)) :
			    xstrdup(BD_NOT_FOUND);
		else
			*cause = xasprintf("%s: cannot start: %s", what, strerror(rc));
		return NULL;
	}
	c->b = b;
	c->what = xstrdup(what);
	c->done = done;
	c->t0 = now_mono_ns();
	c->outfd = out[0];
	c->errfd = err[0];
	buf_init(&c->out);
	buf_init(&c->err);
	fcntl(c->outfd, F_SETFL, fcntl(c->outfd, F_GETFL) | O_NONBLOCK);
	fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK);
	c->ev_out = event_new(b->base, c->outfd, EV_READ | EV_PERSIST, call_read_cb, c);
	c->ev_err = event_new(b->base, c->errfd, EV_READ | EV_PERSIST, call_read_cb, c);
	c->ev_reap = evtimer_new(b->base, call_reap_cb, c);
	c->ev_timer = evtimer_new(b->base, call_timeout_cb, c);
	event_add(c->ev_out, NULL);
	event_add(c->ev_err, NULL);
	double limit = b->st->cfg->bd_timeout > 0 ? b->st->cfg->bd_timeout : 30;
	struct timeval tv = { (time_t)limit, (suseconds_t)((limit - (double)(time_t)limit) * 1e6) };
	evtimer_add(c->ev_timer, &tv);
	b->cur = c;
	log_debug("store=bd run: %s pid=%ld", what, (long)c->pid);
	return c;
}

/* ---------------------------------------------------------------- the view */

static void
view_changed(struct bd *b)
{
	b->view_gen++;
	b->ready_out_valid = false;
	b->idx_valid = false;
}

static void
bd_notify(struct bd *b)
{
	if (b->view_gen == b->seen_gen)
		return;
	b->seen_gen = b->view_gen;
	if (b->st->changed_cb != NULL)
		b->st->changed_cb(b->st->changed_arg);
}

/* The issue our writes last returned for id, if any. */
static const struct issue *
extra_get(struct bd *b, const char *id)
{
	for (size_t i = b->nextra; i-- > 0;)
		if (strcmp(b->extra[i]->id, id) == 0)
			return b->extra[i];
	return NULL;
}

struct ranked {
	const struct issue *is;
	int rank; /* 0 extra (newest), 1 in-progress list, 2 ready */
	size_t pos;
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = strcmp(x->is->id, y->is->id);

	if (c != 0)
		return c;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	/* within extra the later one is newer */
	return x->pos < y->pos ? 1 : x->pos > y->pos ? -1 : 0;
}

static void
bd_build_index(struct bd *b)
{
	size_t n = b->nextra + b->nprog + b->nready, k = 0;
	struct ranked *r = xcalloc(n ? n : 1, sizeof *r);

	for (size_t i = 0; i < b->nextra; i++)
		r[k++] = (struct ranked){ b->extra[i], 0, i };
	for (size_t i = 0; i < b->nprog; i++)
		r[k++] = (struct ranked){ b->prog[i], 1, i };
	for (size_t i = 0; i < b->nready; i++)
		r[k++] = (struct ranked){ b->ready[i], 2, i };
	qsort(r, n, sizeof *r, ranked_cmp);
	free(b->idx);
	b->idx = xcalloc(n ? n : 1, sizeof *b->idx);
	b->nidx = 0;
	for (size_t i = 0; i < n; i++)
		if (b->nidx == 0 || strcmp(b->idx[b->nidx - 1]->id, r[i].is->id) != 0)
			b->idx[b->nidx++] = r[i].is;
	free(r);
	b->idx_gen = b->view_gen;
	b->idx_valid = true;
}

static const struct issue *
bd_lookup(struct store *st, const char *id)
{
	struct bd *b = st->impl;
	size_t lo = 0, hi;

	if (!b->idx_valid || b->idx_gen != b->view_gen)
		bd_build_index(b);
	hi = b->nidx;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->idx[mid]->id, id);
		if (c == 0)
			return b->idx[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static size_t
bd_ready(struct store *st, int64_t now, const struct issue ***out)
{
	struct bd *b = st->impl;
	enum sort_kind sort = st->cfg->sort;
	int64_t sec = now / 1000000000;

	if (!b->ready_out_valid || b->ready_out_gen != b->view_gen || b->ready_out_sort != sort ||
	    (sort == SORT_HYBRID && sec != b->ready_out_sec)) {
		free(b->ready_out);
		b->ready_out = xcalloc(b->nready ? b->nready : 1, sizeof *b->ready_out);
		b->nready_out = 0;
		for (size_t i = 0; i < b->nready; i++) {
			const struct issue *x = extra_get(b, b->ready[i]->id);
			/* our own claim (or someone's write we saw) since the poll: not ready any more */
			if (x != NULL && !status_is(x, "open"))
				continue;
			b->ready_out[b->nready_out++] = b->ready[i];
		}
		ready_sort(b->ready_out, b->nready_out, now, sort);
		b->ready_out_gen = b->view_gen;
		b->ready_out_sort = sort;
		b->ready_out_sec = sec;
		b->ready_out_valid = true;
	}
	*out = b->ready_out;
	return b->nready_out;
}

static size_t
bd_mine_in_progress(struct store *st, const struct issue ***out)
{
	struct bd *b = st->impl;
	size_t k = 0;

	if (!b->idx_valid || b->idx_gen != b->view_gen)
		bd_build_index(b);
	/* the index holds the newest version of each issue */
	for (size_t i = 0; i < b->nidx; i++) {
		const struct issue *is = b->idx[i];
		if (!status_is(is, "in_progress") || is->assignee == NULL || strcmp(is->assignee, b->assignee) != 0)
			continue;
		if (k == b->mine_cap) {
			b->mine_cap = b->mine_cap ? b->mine_cap * 2 : 16;
			b->mine = xrealloc(b->mine, b->mine_cap * sizeof *b->mine);
		}
		b->mine[k++] = is;
	}
	*out = b->mine;
	return k;
}

/* Parse an array (or one object) of bd issues; only_open keeps status open. */
static size_t
issues_from_json(json_object *o, bool only_open, struct issue ***out)
{
	size_t n = 0, k = 0;
	struct issue **v;

	if (o == NULL) {
		*out = xcalloc(1, sizeof **out);
		return 0;
	}
	if (json_object_is_type(o, json_type_array))
		n = json_object_array_length(o);
	else if (json_object_is_type(o, json_type_object))
		n = 1;
	v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_is_type(o, json_type_array) ? json_object_array_get_idx(o, i) : o;
		struct issue *is = NULL;

		/* bd show wraps some versions' issues as {"issue": {...}, ...} */
		json_object *inner;
		if (json_object_is_type(e, json_type_object) && !json_object_object_get_ex(e, "id", NULL) &&
		    json_object_object_get_ex(e, "issue", &inner))
			e = inner;
		if (issue_from_json(e, &is) != 0 || is == NULL) {
			issue_free(is);
			continue;
		}
		if (only_open && !status_is(is, "open")) {
			issue_free(is);
			continue;
		}
		v[k++] = is;
	}
	*out = v;
	return k;
}

/* Our write returned these issues: they are the newest we know. */
static void
bd_add_extra(struct bd *b, json_object *o)
{
	struct issue **v;
	size_t n = issues_from_json(o, false, &v);

	if (n > 0) {
		b->extra = xrealloc(b->extra, (b->nextra + n) * sizeof *b->extra);
		memcpy(b->extra + b->nextra, v, n * sizeof *v);
		b->nextra += n;
		view_changed(b);
	}
	free(v);
}

/* ---------------------------------------------------------------- polling */

static void bd_poll_list(struct bd *b);

static void
bd_poll_end(struct bd *b)
{
	bool changed = false;

	if (b->poll_ready_ok && (!b->have_ready || b->poll_ready_hash != b->ready_hash)) {
		issues_free(b->ready, b->nready);
		b->ready = b->poll_ready;
		b->nready = b->npoll_ready;
		b->ready_hash = b->poll_ready_hash;
		b->have_ready = true;
		b->poll_ready = NULL;
		b->npoll_ready = 0;
		changed = true;
	}
	if (b->poll_prog != NULL && (!b->have_list || b->poll_prog_hash != b->list_hash)) {
		issues_free(b->prog, b->nprog);
		b->prog = b->poll_prog;
		b->nprog = b->npoll_prog;
		b->list_hash = b->poll_prog_hash;
		b->have_list = true;
		b->poll_prog = NULL;
		b->npoll_prog = 0;
		changed = true;
	}
	/* A complete poll is newer than what our writes returned. */
	if (b->poll_ready_ok && b->poll_prog_hash != 0 && b->nextra > 0) {
		issues_free(b->extra, b->nextra);
		b->extra = NULL;
		b->nextra = 0;
		changed = true;
	}
	issues_free(b->poll_ready, b->npoll_ready);
	issues_free(b->poll_prog, b->npoll_prog);
	b->poll_ready = b->poll_prog = NULL;
	b->npoll_ready = b->npoll_prog = 0;
	b->poll = POLL_IDLE;
	if (changed)
		view_changed(b);
	if (!b->starting)
		bd_notify(b);
}

static void
bd_poll_failed(struct bd *b, char *why)
{
	b->poll_failed = true;
	b->stats.bd_failed++;
	/* The same failure every poll_interval is one line, not a flood. */
	if (b->last_poll_error == NULL || strcmp(b->last_poll_error, why) != 0)
		log_warnx("store=bd %s", why);
	free(b->last_poll_error);
	b->last_poll_error = why;
}

static void
bd_poll_ready_done(struct bd_call *c)
{
	struct bd *b = c->b;
	json_object *o = NULL;
	char *why = call_failure(c);

	b->poll_ready_ok = false;
	uint64_t h = hash64(c->out.p != NULL ? c->out.p : "", c->out.len) | 1;
	if (why == NULL && b->have_ready && h == b->ready_hash) {
		/* the same bytes as last time: nothing to parse */
		b->poll_ready_hash = h;
		b->poll_ready_ok = true;
	} else if (why == NULL && parse_stdout(c, &o, &why) == 0) {
		if (o != NULL && !json_object_is_type(o, json_type_array)) {
			why = xasprintf("%s printed JSON that is not a list of issues", c->what);
		} else {
			b->npoll_ready = issues_from_json(o, true, &b->poll_ready);
			b->poll_ready_hash = h;
			b->poll_ready_ok = true;
		}
	}
	json_object_put(o);
	if (why != NULL) {
		bd_poll_failed(b, why);
		bd_poll_end(b);
		return;
	}
	bd_poll_list(b);
}

static void
bd_poll_list_done(struct bd_call *c)
{
	struct bd *b = c->b;
	json_object *o = NULL;
	char *why = call_failure(c);
	uint64_t h = hash64(c->out.p != NULL ? c->out.p : "", c->out.len) | 1;

	if (why == NULL && b->have_list && h == b->list_hash) {
		b->poll_prog_hash = h; /* unchanged: nothing to parse */
	} else if (why == NULL && parse_stdout(c, &o, &why) == 0) {
		if (o != NULL && !json_object_is_type(o, json_type_array)) {
			why = xasprintf("%s printed JSON that is not a list of issues", c->what);
		} else {
			b->npoll_prog = issues_from_json(o, false, &b->poll_prog);
			b->poll_prog_hash = h;
		}
	}
	json_object_put(o);
	if (why != NULL)
		bd_poll_failed(b, why);
	else if (b->poll_failed) {
		log_info("store=bd polling works again");
		b->poll_failed = false;
		free(b->last_poll_error);
		b->last_poll_error = NULL;
	}
	bd_poll_end(b);
	if (!b->starting)
		bd_kick(b);
}

static void
bd_poll_list(struct bd *b)
{
	char *args[] = { "list", "--status", "in_progress", "--json", "--limit", "0" };
	char *cause = NULL;

	b->poll = POLL_LIST;
	b->poll_prog_hash = 0;
	if (call_start(b, "bd list", args, 6, bd_poll_list_done, &cause) == NULL) {
		bd_poll_failed(b, cause);
		bd_poll_end(b);
	}
}

static void
bd_poll_start(struct bd *b)
{
	char *args[] = { "ready", "--json", "--limit", "0" };
	char *cause = NULL;

	b->poll_wanted = false;
	b->poll = POLL_READY;
	b->poll_ready_ok = false;
	b->poll_prog_hash = 0;
	if (call_start(b, "bd ready", args, 4, bd_poll_ready_done, &cause) == NULL) {
		bd_poll_failed(b, cause);
		bd_poll_end(b);
	}
}

static void
bd_poll_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bd *b = arg;
	double s = b->st->cfg->poll_interval > 0 ? b->st->cfg->poll_interval : 2.0;
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };

	(void)fd, (void)what;
	if (b->stopped)
		return;
	b->poll_wanted = true;
	bd_kick(b);
	evtimer_add(b->ev_poll, &tv);
}

/* ---------------------------------------------------------------- writing */

static void
item_fail(struct bd_item *it, int result, const char *why)
{
	if (it->result != STORE_OK)
		return;
	it->result = result;
	free(it->why);
	it->why = xstrdup(why);
}

/* The stderr line that names id ("Error claiming bd-3: already claimed"), or NULL. */
static char *
stderr_line_for(const struct buf *err, const char *id)
{
	const char *p = err->p, *end;
	size_t idlen = strlen(id);
	char *found = NULL;

	if (p == NULL)
		return NULL;
	for (; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		for (const char *q = p; q + idlen <= end; q++) {
			/* the id as a word: not a prefix of a longer id (bd-1 vs bd-12) */
			if (memcmp(q, id, idlen) == 0 && (q == p || !(q[-1] == '-' || q[-1] == '.' || isalnum((unsigned char)q[-1]))) &&
			    (q + idlen == end || !(q[idlen] == '-' || q[idlen] == '.' || isalnum((unsigned char)q[idlen])))) {
				size_t len = (size_t)(end - p);
				while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
					len--;
				free(found);
				found = xstrndup(p, len);
				break;
			}
		}
	}
	return found;
}

/*
 * Per-id outcome of an update/close: ids in the JSON bd printed were changed;
 * an id named on stderr failed its precondition; the rest failed with the call.
 */
static void
bd_apply_results(struct bd_call *c)
{
	struct bd *b = c->b;
	json_object *o = NULL;
	char *why = NULL, *fail = call_failure(c);
	bool parsed = parse_stdout(c, &o, &why) == 0;

	if (!parsed) {
		for (size_t i = 0; i < c->nitems; i++)
			item_fail(c->items[i], STORE_ERROR, why);
		b->stats.bd_failed++;
		free(why);
		free(fail);
		return;
	}
	if (fail != NULL)
		b->stats.bd_failed++;
	else
		b->stats.writes++;
	for (size_t i = 0; i < c->nitems; i++) {
		struct bd_item *it = c->items[i];
		bool ok = false;

		it->applied = true;
		if (o != NULL) {
			size_t n = json_object_is_type(o, json_type_array) ? json_object_array_length(o) : 1;
			for (size_t k = 0; k < n && !ok; k++) {
				json_object *e = json_object_is_type(o, json_type_array) ? json_object_array_get_idx(o, k) : o, *id;
				if (json_object_is_type(e, json_type_object) && json_object_object_get_ex(e, "id", &id) &&
				    json_object_is_type(id, json_type_string) && strcmp(json_object_get_string(id), it->id) == 0)
					ok = true;
			}
		}
		if (ok)
			continue;
		char *line = stderr_line_for(&c->err, it->id);
		if (line != NULL) {
			item_fail(it, STORE_CONFLICT, line);
			free(line);
		} else if (fail != NULL)
			item_fail(it, STORE_ERROR, fail);
		else {
			char *s = xasprintf("%s did not report %s as changed", c->what, it->id);
			item_fail(it, STORE_CONFLICT, s);
			free(s);
		}
	}
	bd_add_extra(b, o);
	json_object_put(o);
	free(fail);
}

/* Detach the items matching pred (not failed, not done) into an array, at most BD_MAX_IDS. */
static size_t
bd_pick(struct bd *b, bool (*pred)(struct bd *, struct bd_item *, const struct bd_item *), const struct bd_item *like,
    struct bd_item ***out)
{
	size_t n = 0;
	struct bd_item *it;

	*out = xcalloc(BD_MAX_IDS, sizeof **out);
	TAILQ_FOREACH(it, &b->batch, entry) {
		if (n == BD_MAX_IDS)
			break;
		if (it->result == STORE_OK && pred(b, it, like))
			(*out)[n++] = it;
	}
	return n;
}

static bool
needs_check(struct bd *b, struct bd_item *it, const struct bd_item *like)
{
	(void)like;
	if (it->checked)
		return false;
	switch (it->op) {
	case STORE_COMPLETE:
	case STORE_FAIL:
	case STORE_REOPEN:
		return true;
	case STORE_CLAIM:
		return b->no_claim;
	case STORE_COMMENT:
		return false;
	}
	return false;
}

static bool
is_claim(struct bd *b, struct bd_item *it, const struct bd_item *like)
{
	(void)b, (void)like;
	return it->op == STORE_CLAIM && !it->applied;
}

static bool
is_close_like(struct bd *b, struct bd_item *it, const struct bd_item *like)
{
	(void)b;
	if (it->op != STORE_COMPLETE || it->applied)
		return false;
	if (like == NULL)
		return true;
	const char *r1 = it->reason != NULL ? it->reason : "", *r2 = like->reason != NULL ? like->reason : "";
	return strcmp(r1, r2) == 0;
}

static bool
is_block(struct bd *b, struct bd_item *it, const struct bd_item *like)
{
	(void)b, (void)like;
	return it->op == STORE_FAIL && !it->applied;
}

static bool
is_reopen(struct bd *b, struct bd_item *it, const struct bd_item *like)
{
	(void)b, (void)like;
	return it->op == STORE_REOPEN && !it->applied;
}

static void
bd_check_done(struct bd_call *c)
{
	struct bd *b = c->b;
	json_object *o = NULL;
	char *why = call_failure(c);
	struct issue **v = NULL;
	size_t n = 0;

	if (why == NULL && parse_stdout(c, &o, &why) == 0)
		n = issues_from_json(o, false, &v);
	json_object_put(o);
	for (size_t i = 0; i < c->nitems; i++) {
		struct bd_item *it = c->items[i];
		const struct issue *is = NULL;

		it->checked = true;
		for (size_t k = 0; k < n && is == NULL; k++)
			if (strcmp(v[k]->id, it->id) == 0)
				is = v[k];
		if (is == NULL) {
			char *line = stderr_line_for(&c->err, it->id);
			if (line != NULL) {
				item_fail(it, STORE_CONFLICT, line);
				free(line);
			} else if (why != NULL)
				item_fail(it, STORE_ERROR, why);
			else {
				char *s = xasprintf("issue %s not found", it->id);
				item_fail(it, STORE_CONFLICT, s);
				free(s);
			}
			continue;
		}
		const char *status = is->status != NULL ? is->status : "open";
		char *s = NULL;
		if (it->op == STORE_CLAIM) {
			if (strcmp(status, "open") != 0)
				s = xasprintf("issue %s is %s now, not open", it->id, status);
			else if (is->assignee != NULL && strcmp(is->assignee, b->assignee) != 0)
				s = xasprintf("issue %s is assigned to %s", it->id, is->assignee);
		} else if (strcmp(status, "in_progress") != 0)
			s = xasprintf("issue %s is %s now, not in_progress", it->id, status);
		else if (is->assignee == NULL || strcmp(is->assignee, b->assignee) != 0)
			s = xasprintf("issue %s is assigned to %s now, not %s", it->id, is->assignee != NULL ? is->assignee : "nobody",
			    b->assignee);
		if (s != NULL) {
			item_fail(it, STORE_CONFLICT, s);
			free(s);
		}
	}
	issues_free(v, n);
	if (why != NULL)
		b->stats.bd_failed++;
	free(why);
	bd_batch_next(b);
}

static void
bd_claim_done(struct bd_call *c)
{
	struct bd *b = c->b;

	if (!b->no_claim && c->err.p != NULL && strstr(c->err.p, "unknown flag: --claim") != NULL) {
		/* An older bd: check, then set status and assignee (not atomic, but checked). */
		log_info("store=bd this bd has no --claim; claiming with --status in_progress --assignee %s", b->assignee);
		b->no_claim = true;
		b->stage = ST_CHECK;
		bd_batch_next(b);
		return;
	}
	bd_apply_results(c);
	bd_batch_next(b);
}

static void
bd_write_done(struct bd_call *c)
{
	bd_apply_results(c);
	bd_batch_next(c->b);
}

static void
bd_comment_done(struct bd_call *c)
{
	struct bd *b = c->b;
	struct bd_item *it = c->items[0];
	char *why = call_failure(c);

	it->commented = true;
	if (why != NULL) {
		b->stats.bd_failed++;
		if (it->op == STORE_COMMENT) {
			char *line = stderr_line_for(&c->err, it->id);
			/* "issue not found" names the id: the issue is gone, a conflict */
			item_fail(it, line != NULL && strstr(line, "not found") != NULL ? STORE_CONFLICT : STORE_ERROR,
			    line != NULL && strstr(line, "not found") != NULL ? line : why);
			free(line);
		} else {
			/* The status change went through; losing the comment is worth a line, not a failure. */
			log_warnx("store=bd task=%s: the status changed but the comment was not added: %s", it->id, why);
		}
		free(why);
	} else
		b->stats.writes++;
	bd_batch_next(b);
}

/* argv for the ids of a call: "--actor A <verb...> id... <flags...>" */
static size_t
build_args(struct bd *b, char **args, const char *const *pre, struct bd_item **v, size_t n, const char *const *post)
{
	size_t k = 0;

	args[k++] = "--actor";
	args[k++] = b->assignee;
	for (; *pre != NULL; pre++)
		args[k++] = (char *)*pre;
	for (size_t i = 0; i < n; i++)
		args[k++] = v[i]->id;
	for (; post != NULL && *post != NULL; post++)
		args[k++] = (char *)*post;
	return k;
}

static bool
bd_launch(struct bd *b, const char *what, char **args, size_t nargs, struct bd_item **v, size_t n,
    void (*done)(struct bd_call *))
{
	char *cause = NULL;
	struct bd_call *c = call_start(b, what, args, nargs, done, &cause);

	if (c == NULL) {
		for (size_t i = 0; i < n; i++) {
			item_fail(v[i], STORE_ERROR, cause);
			v[i]->checked = v[i]->applied = v[i]->commented = true;
		}
		free(cause);
		free(v);
		return false;
	}
	c->items = v;
	c->nitems = n;
	return true;
}

/* Write the comment text to a file when it is too long for one argument. */
static char *
comment_file(const char *text)
{
	const char *tmpdir = getenv("TMPDIR");
	char *path = xasprintf("%s/yggd-comment-XXXXXX", tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp");
	int fd = mkostemp(path, O_CLOEXEC);
	size_t len = strlen(text);

	if (fd == -1) {
		free(path);
		return NULL;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(path);
			free(path);
			return NULL;
		}
		off += (size_t)w;
	}
	close(fd);
	return path;
}

static void
bd_batch_finish(struct bd *b)
{
	struct bd_item *it;

	b->batch_active = false;
	/* Writes are done: answer in submit order, then say the view changed. */
	while ((it = TAILQ_FIRST(&b->batch)) != NULL) {
		TAILQ_REMOVE(&b->batch, it, entry);
		if (it->result == STORE_CONFLICT)
			b->stats.conflicts++;
		else if (it->result == STORE_ERROR) {
			b->stats.errors++;
			log_warnx("store=bd task=%s not written: %s", it->id, it->why);
		}
		if (it->cb != NULL)
			it->cb(it->result, it->result == STORE_OK ? NULL : it->why, it->arg);
		free(it->id);
		free(it->reason);
		free(it->text);
		free(it->why);
		free(it);
	}
	bd_notify(b);
	/* Our writes changed what ready says. */
	b->poll_wanted = true;
	bd_kick(b);
}

static void
bd_batch_next(struct bd *b)
{
	struct bd_item **v;
	char *args[BD_MAX_IDS + 16];
	size_t n, k;

	for (;;) {
		v = NULL;
		switch (b->stage) {
		case ST_CHECK:
			n = bd_pick(b, needs_check, NULL, &v);
			if (n == 0)
				break;
			{
				static const char *const pre[] = { "show", NULL }, *const post[] = { "--json", NULL };
				k = build_args(b, args, pre, v, n, post);
			}
			if (bd_launch(b, "bd show", args, k, v, n, bd_check_done))
				return;
			continue;
		case ST_CLAIM:
			n = bd_pick(b, is_claim, NULL, &v);
			if (n == 0)
				break;
			if (b->no_claim) {
				const char *const pre[] = { "update", NULL },
				    *const post[] = { "--status", "in_progress", "--assignee", b->assignee, "--json", NULL };
				k = build_args(b, args, pre, v, n, post);
			} else {
				static const char *const pre[] = { "update", NULL }, *const post[] = { "--claim", "--json", NULL };
				k = build_args(b, args, pre, v, n, post);
			}
			if (bd_launch(b, "bd update --claim", args, k, v, n, bd_claim_done))
				return;
			continue;
		case ST_CLOSE:
			n = bd_pick(b, is_close_like, NULL, &v);
			if (n == 0)
				break;
			{
				struct bd_item *first = v[0];
				free(v);
				n = bd_pick(b, is_close_like, first, &v);
				const char *reason = first->reason != NULL && *first->reason != '\0' ? first->reason : "Closed";
				const char *const pre[] = { "close", NULL }, *const post[] = { "--reason", reason, "--json", NULL };
				k = build_args(b, args, pre, v, n, post);
			}
			if (bd_launch(b, "bd close", args, k, v, n, bd_write_done))
				return;
			continue;
		case ST_BLOCK:
			n = bd_pick(b, is_block, NULL, &v);
			if (n == 0)
				break;
			{
				static const char *const pre[] = { "update", NULL },
							 *const post[] = { "--status", "blocked", "--json", NULL };
				k = build_args(b, args, pre, v, n, post);
			}
			if (bd_launch(b, "bd update --status blocked", args, k, v, n, bd_write_done))
				return;
			continue;
		case ST_REOPEN:
			n = bd_pick(b, is_reopen, NULL, &v);
			if (n == 0)
				break;
			{
				static const char *const pre[] = { "update", NULL },
							 *const post[] = { "--status", "open", "--assignee", "", "--json", NULL };
				k = build_args(b, args, pre, v, n, post);
			}
			if (bd_launch(b, "bd update --status open", args, k, v, n, bd_write_done))
				return;
			continue;
		case ST_COMMENT: {
			struct bd_item *it, *pick = NULL;
			TAILQ_FOREACH(it, &b->batch, entry) {
				if (it->result == STORE_OK && !it->commented && it->text != NULL && *it->text != '\0') {
					pick = it;
					break;
				}
			}
			if (pick == NULL)
				break;
			v = xcalloc(1, sizeof *v);
			v[0] = pick;
			char *file = NULL;
			k = 0;
			args[k++] = "--actor";
			args[k++] = b->assignee;
			args[k++] = "comments";
			args[k++] = "add";
			args[k++] = "--author";
			args[k++] = BD_AUTHOR;
			if (strlen(pick->text) > BD_ARG_TEXT_MAX && (file = comment_file(pick->text)) != NULL) {
				args[k++] = "-f";
				args[k++] = file;
				args[k++] = "--";
				args[k++] = pick->id;
			} else {
				/* "--": a comment may start with a dash */
				args[k++] = "--";
				args[k++] = pick->id;
				args[k++] = pick->text;
			}
			if (bd_launch(b, "bd comments add", args, k, v, 1, bd_comment_done)) {
				b->cur->tmpfile = file;
				return;
			}
			if (file != NULL) {
				unlink(file);
				free(file);
			}
			continue;
		}
		case ST_DONE:
			bd_batch_finish(b);
			return;
		}
		free(v);
		b->stage++;
	}
}

static void
bd_kick(struct bd *b)
{
	if (b->cur != NULL || b->batch_active || b->starting)
		return;
	if (!TAILQ_EMPTY(&b->queue)) {
		TAILQ_CONCAT(&b->batch, &b->queue, entry);
		b->batch_active = true;
		b->stage = ST_CHECK;
		bd_batch_next(b);
		return;
	}
	if (b->poll_wanted && !b->stopped)
		bd_poll_start(b);
}

static void
bd_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	/* the first view (from store_start) is announced here, on the loop */
	bd_notify(arg);
	bd_kick(arg);
}

static void
bd_submit(struct store *st, enum store_op op, const char *id, const char *reason, const char *comment,
    store_done_cb *cb, void *arg)
{
	struct bd *b = st->impl;
	struct bd_item *it = xcalloc(1, sizeof *it);
	struct timeval zero = { 0, 0 };
	const char *text = comment;

	if (op == STORE_FAIL && text == NULL)
		text = reason;
	it->op = op;
	it->id = xstrdup(id);
	it->reason = reason != NULL ? xstrdup(reason) : NULL;
	it->text = text != NULL && *text != '\0' ? xstrdup(text) : NULL;
	it->cb = cb;
	it->arg = arg;
	it->result = STORE_OK;
	TAILQ_INSERT_TAIL(&b->queue, it, entry);
	b->stats.patches++;
	/* Next loop turn: what is submitted until then goes into the same calls. */
	if (!evtimer_pending(b->ev_kick, NULL))
		evtimer_add(b->ev_kick, &zero);
}

static void
bd_refresh(struct store *st)
{
	struct bd *b = st->impl;
	struct timeval zero = { 0, 0 };

	b->poll_wanted = true;
	if (!evtimer_pending(b->ev_kick, NULL))
		evtimer_add(b->ev_kick, &zero);
}

static void
bd_stats(struct store *st, struct store_stats *out)
{
	struct bd *b = st->impl;

	*out = b->stats;
}

/* ---------------------------------------------------------------- life cycle */

static int
bd_start(struct store *st)
{
	struct bd *b = st->impl;
	struct event_base *tmp = event_base_new();
	double s = st->cfg->poll_interval > 0 ? st->cfg->poll_interval : 2.0;
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) }, zero = { 0, 0 };
	int rc = 0;

	/* The first view, before the daemon looks: run the poll on a loop of our own. */
	if (tmp != NULL) {
		b->base = tmp;
		b->starting = true;
		b->poll_failed = false;
		bd_poll_start(b);
		event_base_dispatch(tmp);
		b->starting = false;
		b->base = st->base;
		event_base_free(tmp);
		if (b->poll_failed || !b->have_ready)
			rc = -1;
	} else {
		b->poll_wanted = true;
	}
	evtimer_add(b->ev_poll, &tv);
	evtimer_add(b->ev_kick, &zero);
	return rc;
}

static void
bd_stop(struct store *st)
{
	struct bd *b = st->impl;

	/* No more polls; queued and running writes finish on the loop and are answered. */
	b->stopped = true;
	evtimer_del(b->ev_poll);
}

static void
bd_free(struct store *st)
{
	struct bd *b;
	struct bd_item *it;
	struct bd_zombie *z;

	if (st == NULL)
		return;
	b = st->impl;
	if (b->cur != NULL) {
		int status;
		kill(-b->cur->pid, SIGKILL);
		kill(b->cur->pid, SIGKILL);
		waitpid(b->cur->pid, &status, 0);
		call_free(b->cur);
	}
	while ((z = TAILQ_FIRST(&b->zombies)) != NULL) {
		int status;
		TAILQ_REMOVE(&b->zombies, z, entry);
		waitpid(z->pid, &status, 0);
		free(z);
	}
	for (int q = 0; q < 2; q++) {
		struct bd_item_list *l = q == 0 ? &b->queue : &b->batch;
		while ((it = TAILQ_FIRST(l)) != NULL) {
			TAILQ_REMOVE(l, it, entry);
			free(it->id);
			free(it->reason);
			free(it->text);
			free(it->why);
			free(it);
		}
	}
	event_free(b->ev_kick);
	event_free(b->ev_poll);
	event_free(b->ev_zombies);
	issues_free(b->ready, b->nready);
	issues_free(b->prog, b->nprog);
	issues_free(b->extra, b->nextra);
	issues_free(b->poll_ready, b->npoll_ready);
	issues_free(b->poll_prog, b->npoll_prog);
	free(b->ready_out);
	free(b->idx);
	free(b->mine);
	free(b->last_poll_error);
	free(b->dir);
	free(b->assignee);
	free(b->bd_path);
	free(b);
	free(st);
}

struct store *
store_bd_new(struct event_base *base, const struct ygg_config *cfg, char **cause)
{
	struct store *st;
	struct bd *b;
	char *found;

	*cause = NULL;
	if (cfg->beads_dir == NULL || *cfg->beads_dir == '\0') {
		*cause = xstrdup("beads_dir is not set");
		return NULL;
	}
	found = store_find_bd(cfg->bd_path != NULL ? cfg->bd_path : "bd");
	if (found == NULL) {
		const char *p = cfg->bd_path != NULL ? cfg->bd_path : "bd";
		*cause = strchr(p, '/') != NULL ? xasprintf("bd: %s is not an executable file; install bd or set store = jsonl", p) :
						  xstrdup(BD_NOT_FOUND);
		return NULL;
	}
	free(found);
	st = xcalloc(1, sizeof *st);
	b = xcalloc(1, sizeof *b);
	st->ops = &bd_ops;
	st->base = base;
	st->cfg = cfg;
	st->impl = b;
	b->st = st;
	b->base = base;
	b->dir = xstrdup(cfg->beads_dir);
	b->assignee = xstrdup(cfg->assignee != NULL ? cfg->assignee : "yggd");
	/* Looked up again on every call (posix_spawnp), so a bd upgraded in place is picked up. */
	b->bd_path = xstrdup(cfg->bd_path != NULL ? cfg->bd_path : "bd");
	TAILQ_INIT(&b->queue);
	TAILQ_INIT(&b->batch);
	TAILQ_INIT(&b->zombies);
	b->ev_kick = evtimer_new(base, bd_kick_cb, b);
	b->ev_poll = evtimer_new(base, bd_poll_timer_cb, b);
	b->ev_zombies = evtimer_new(base, zombies_cb, b);
	return st;
}

static const struct store_ops bd_ops = {
	.name = "bd",
	.start = bd_start,
	.stop = bd_stop,
	.ready = bd_ready,
	.lookup = bd_lookup,
	.mine_in_progress = bd_mine_in_progress,
	.submit = bd_submit,
	.refresh = bd_refresh,
	.stats = bd_stats,
	.free = bd_free,
};
