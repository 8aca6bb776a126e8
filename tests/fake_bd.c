/*
 * fake_bd.c - a STAND-IN for the real `bd` (github.com/steveyegge/beads), used
 * only by yggd's tests of the bd store backend. It is not bd and has no
 * database: it implements the handful of subcommands yggd runs, over
 * BEADS_DIR/issues.jsonl (or .beads/ found from the working folder upwards),
 * with the output shapes of the real bd's --json mode:
 *
 *   bd ready --json [--limit N] [--sort S]           array of ready issues (default limit 10)
 *   bd list --status S --json [--limit N]            array of issues with that status (default 50)
 *   bd show ID... --json                             array of those issues
 *   bd update ID... [--claim] [--status S] [--assignee A] [--json]
 *                                                    array of the issues it changed
 *   bd close ID... [--reason R] [--json]             array of the issues it closed
 *   bd comments add [--author A] [-f FILE] ID [TEXT] the comment object with --json
 *
 * Global flags as bd has them: --actor A (else $BD_ACTOR, $USER), --json,
 * --db, --no-daemon, --sandbox, --allow-stale, -q, -v; "--" ends the flags.
 * A failing id prints a line naming it on stderr ("Error claiming bd-3: already
 * claimed by alice"); the others still go through; the exit status is then 1.
 * Edits go through the lossless line patcher (json_line_patch) under the lock
 * bd uses: flock on .jsonl.lock, re-read, temp file, fsync, rename.
 *
 * Test knobs (value "1" = every subcommand, or a comma list of subcommands):
 *   FAKE_BD_FAIL      exit 1 with an error message
 *   FAKE_BD_GARBAGE   print something that is not JSON, exit 0
 *   FAKE_BD_HANG      sleep forever
 *   FAKE_BD_NO_CLAIM  behave like a bd without `update --claim` (unknown flag)
 *   FAKE_BD_LOG=FILE  append each invocation's arguments as one line
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ygg.h"

struct opts {
	const char *actor;
	const char *status;
	const char *assignee;
	const char *reason;
	const char *author;
	const char *file;
	const char *sort;
	long limit;
	bool has_status, has_assignee, has_limit;
	bool json, claim;
	char *pos[4096];
	size_t npos;
};

static int
die(const char *fmt, const char *arg)
{
	fputs("Error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

/* Is knob set for this subcommand ("1", or a comma list naming it)? */
static bool
knob(const char *name, const char *sub)
{
	const char *v = getenv(name);
	size_t sl = strlen(sub);

	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0)
		return false;
	if (strcmp(v, "1") == 0)
		return true;
	for (const char *p = v; *p != '\0';) {
		const char *e = strchr(p, ',');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		if (l == sl && strncmp(p, sub, l) == 0)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

static void
log_argv(int argc, char **argv)
{
	const char *path = getenv("FAKE_BD_LOG");
	struct buf b;
	int fd;

	if (path == NULL || *path == '\0')
		return;
	buf_init(&b);
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			buf_addc(&b, ' ');
		/* an empty argument shows as "" so tests can see it was passed */
		buf_adds(&b, *argv[i] != '\0' ? argv[i] : "\"\"");
	}
	buf_addc(&b, '\n');
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd != -1) {
		if (write(fd, b.p, b.len) == -1)
			perror(path);
		close(fd);
	}
	buf_free(&b);
}

/* cobra-style flag parsing: flags anywhere, --x=v or --x v, "--" ends them. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *lng, *shrt;
		int kind; /* 0 bool, 1 value */
	} flags[] = {
		{ "--actor", NULL, 1 }, { "--db", NULL, 1 }, { "--status", "-s", 1 }, { "--assignee", "-a", 1 },
		{ "--reason", "-r", 1 }, { "--limit", "-n", 1 }, { "--author", NULL, 1 }, { "--file", "-f", 1 },
		{ "--sort", NULL, 1 }, { "--lock-timeout", NULL, 1 }, { "--json", NULL, 0 }, { "--claim", NULL, 0 },
		{ "--no-daemon", NULL, 0 }, { "--sandbox", NULL, 0 }, { "--allow-stale", NULL, 0 },
		{ "--quiet", "-q", 0 }, { "--verbose", "-v", 0 },
	};
	bool dash = false;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i], *val = NULL, name[64];
		size_t k;

		if (dash || a[0] != '-' || a[1] == '\0') {
			if (o->npos < sizeof o->pos / sizeof o->pos[0])
				o->pos[o->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dash = true;
			continue;
		}
		snprintf(name, sizeof name, "%s", a);
		char *eq = strchr(name, '=');
		if (eq != NULL) {
			*eq = '\0';
			val = a + (eq - name) + 1;
		}
		for (k = 0; k < sizeof flags / sizeof flags[0]; k++)
			if (strcmp(name, flags[k].lng) == 0 || (flags[k].shrt != NULL && strcmp(name, flags[k].shrt) == 0))
				break;
		if (k == sizeof flags / sizeof flags[0] || (strcmp(name, "--claim") == 0 && knob("FAKE_BD_NO_CLAIM", "update")))
			return die("unknown flag: %s", name);
		if (flags[k].kind == 1 && val == NULL) {
			if (i + 1 >= argc)
				return die("flag needs an argument: %s", name);
			val = argv[++i];
		}
		const char *l = flags[k].lng;
		if (strcmp(l, "--actor") == 0)
			o->actor = val;
		else if (strcmp(l, "--status") == 0)
			o->status = val, o->has_status = true;
		else if (strcmp(l, "--assignee") == 0)
			o->assignee = val, o->has_assignee = true;
		else if (strcmp(l, "--reason") == 0)
			o->reason = val;
		else if (strcmp(l, "--limit") == 0)
			o->limit = strtol(val, NULL, 10), o->has_limit = true;
		else if (strcmp(l, "--author") == 0)
			o->author = val;
		else if (strcmp(l, "--file") == 0)
			o->file = val;
		else if (strcmp(l, "--sort") == 0)
			o->sort = val;
		else if (strcmp(l, "--json") == 0)
			o->json = true;
		else if (strcmp(l, "--claim") == 0)
			o->claim = true;
	}
	return 0;
}

/* BEADS_DIR, else the nearest .beads/ from the working folder up. */
static char *
find_beads_dir(void)
{
	const char *env = getenv("BEADS_DIR");
	char cwd[4096];
	struct stat sb;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return NULL;
	for (;;) {
		char *cand = path_join(cwd, ".beads");
		if (stat(cand, &sb) == 0 && S_ISDIR(sb.st_mode))
			return cand;
		free(cand);
		char *slash = strrchr(cwd, '/');
		if (slash == NULL || slash == cwd)
			return NULL;
		*slash = '\0';
	}
}

struct db {
	char *dir, *path;
	int lockfd;
	struct tracker *tr;
	char **newraw; /* per line: replacement text, NULL = unchanged */
	bool dirty;
};

static int
db_open(struct db *d, bool write)
{
	char *data = NULL;
	size_t len = 0;

	memset(d, 0, sizeof *d);
	d->lockfd = -1;
	d->dir = find_beads_dir();
	if (d->dir == NULL)
		return die("%s", "no beads database found (set BEADS_DIR or run inside a project with .beads/)");
	d->path = path_join(d->dir, "issues.jsonl");
	if (write) {
		char *lp = path_join(d->dir, ".jsonl.lock");
		d->lockfd = open(lp, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		free(lp);
		if (d->lockfd == -1 || flock(d->lockfd, LOCK_EX) == -1)
			return die("cannot lock the tracker: %s", strerror(errno));
	}
	if (read_file(d->path, &data, &len) == -1 && errno != ENOENT)
		return die("cannot read issues.jsonl: %s", strerror(errno));
	d->tr = tracker_new();
	tracker_load(d->tr, data != NULL ? data : "", len, d->path);
	free(data);
	d->newraw = xcalloc(d->tr->nlines ? d->tr->nlines : 1, sizeof *d->newraw);
	return 0;
}

static const char *
db_raw(const struct db *d, size_t i)
{
	return d->newraw[i] != NULL ? d->newraw[i] : d->tr->lines[i].raw;
}

/* Index of the last line holding issue id (the one bd reads), or -1. */
static long
db_find(const struct db *d, const char *id)
{
	for (size_t i = d->tr->nlines; i-- > 0;) {
		const struct issue *is = d->tr->lines[i].issue;
		if (is != NULL && strcmp(is->id, id) == 0)
			return (long)i;
	}
	return -1;
}

static int
db_commit(struct db *d)
{
	struct buf b;
	char *tmp;
	int fd, rc = 0;

	if (!d->dirty)
		return 0;
	buf_init(&b);
	for (size_t i = 0; i < d->tr->nlines; i++) {
		buf_adds(&b, db_raw(d, i));
		if (i + 1 < d->tr->nlines || d->tr->trailing_newline)
			buf_addc(&b, '\n');
	}
	tmp = xasprintf("%s/issues.jsonl.tmp.%ld", d->dir, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct stat sb;
	if (fd != -1 && stat(d->path, &sb) == 0)
		fchmod(fd, sb.st_mode & 07777);
	if (fd == -1 || (b.len > 0 && write(fd, b.p, b.len) != (ssize_t)b.len) || fsync(fd) == -1 ||
	    rename(tmp, d->path) == -1)
		rc = die("cannot write issues.jsonl: %s", strerror(errno));
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	buf_free(&b);
	return rc;
}

static void
db_close(struct db *d)
{
	if (d->tr != NULL)
		for (size_t i = 0; i < d->tr->nlines; i++)
			free(d->newraw[i]);
	free(d->newraw);
	tracker_free(d->tr);
	if (d->lockfd != -1)
		close(d->lockfd);
	free(d->dir);
	free(d->path);
}

/* The member's raw value in line i as a new decoded string, or NULL. */
static char *
line_string(const struct db *d, size_t i, const char *key)
{
	struct json_line jl = { 0 };
	const char *raw = db_raw(d, i);
	char *s = NULL;

	if (json_line_scan(&jl, raw, strlen(raw)) == 0) {
		const struct json_member *m = json_line_get(&jl, key);
		struct buf b;
		buf_init(&b);
		if (m != NULL && json_string_decode(m->val, m->val_len, &b) == 0)
			s = buf_steal(&b);
		buf_free(&b);
	}
	json_line_free(&jl);
	return s;
}

/* Replace members of line i (raw JSON values; NULL removes). */
static void
line_edit(struct db *d, size_t i, const struct json_edit *e, size_t n)
{
	struct json_line jl = { 0 };
	const char *raw = db_raw(d, i);
	struct buf out;

	buf_init(&out);
	if (json_line_scan(&jl, raw, strlen(raw)) == 0) {
		json_line_patch(&jl, e, n, &out);
		free(d->newraw[i]);
		d->newraw[i] = buf_steal(&out);
		d->dirty = true;
	}
	json_line_free(&jl);
	buf_free(&out);
}

static char *
json_str(const char *s)
{
	struct buf b;

	buf_init(&b);
	json_append_string(&b, s, strlen(s));
	return buf_steal(&b);
}

/* Timestamps in the issue's own style: updated_at strictly later than before. */
static void
stamps(struct db *d, size_t i, char **updated, char **now_like)
{
	char *old = line_string(d, i, "updated_at");
	char ts[64];
	int64_t now = now_wall_ns();

	time_after(old, now, ts, sizeof ts);
	*updated = json_str(ts);
	time_format_like(now, old, ts, sizeof ts);
	*now_like = json_str(ts);
	free(old);
}

static void
print_lines(struct db *d, long *idx, size_t n)
{
	fputs("[", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s\n  %s", i ? "," : "", db_raw(d, (size_t)idx[i]));
	fputs(n ? "\n]\n" : "]\n", stdout);
}

static const char *
actor_of(const struct opts *o)
{
	if (o->actor != NULL && *o->actor != '\0')
		return o->actor;
	if (getenv("BD_ACTOR") != NULL && *getenv("BD_ACTOR") != '\0')
		return getenv("BD_ACTOR");
	if (getenv("USER") != NULL && *getenv("USER") != '\0')
		return getenv("USER");
	return "unknown";
}

static int
cmd_ready(struct opts *o)
{
	struct db d;
	const struct issue **all, **rd;
	enum sort_kind sort = SORT_HYBRID; /* bd ready's default */
	long limit = o->has_limit ? o->limit : 10;

	if (o->sort != NULL && sort_kind_parse(o->sort, &sort) == -1)
		return die("invalid sort policy '%s'. Valid values: hybrid, priority, oldest", o->sort);
	if (db_open(&d, false) != 0)
		return 1;
	size_t n = tracker_issues(d.tr, &all);
	size_t nr = ready_compute((const struct issue *const *)all, n, now_wall_ns(), sort, &rd);
	if (limit > 0 && (size_t)limit < nr)
		nr = (size_t)limit;
	long *idx = xcalloc(nr ? nr : 1, sizeof *idx);
	for (size_t i = 0; i < nr; i++)
		idx[i] = db_find(&d, rd[i]->id);
	if (o->json)
		print_lines(&d, idx, nr);
	else
		for (size_t i = 0; i < nr; i++)
			printf("%zu. [P%d] %s: %s\n", i + 1, rd[i]->priority, rd[i]->id, rd[i]->title ? rd[i]->title : "");
	free(idx);
	free(rd);
	db_close(&d);
	return 0;
}

static int
cmd_list(struct opts *o)
{
	struct db d;
	const struct issue **all;
	long limit = o->has_limit ? o->limit : 50;
	size_t k = 0;

	if (db_open(&d, false) != 0)
		return 1;
	size_t n = tracker_issues(d.tr, &all);
	long *idx = xcalloc(n ? n : 1, sizeof *idx);
	for (size_t i = 0; i < n; i++) {
		const char *st = all[i]->status != NULL ? all[i]->status : "open";
		if (o->has_status && strcmp(st, o->status) != 0)
			continue;
		if (!o->has_status && strcmp(st, "closed") == 0)
			continue;
		if (limit > 0 && k == (size_t)limit)
			break;
		idx[k++] = db_find(&d, all[i]->id);
	}
	if (o->json)
		print_lines(&d, idx, k);
	else
		for (size_t i = 0; i < k; i++)
			printf("%s\n", d.tr->lines[idx[i]].issue->id);
	free(idx);
	db_close(&d);
	return 0;
}

static int
cmd_show(struct opts *o, char **ids, size_t nids)
{
	struct db d;
	size_t k = 0;
	int rc = 0;

	if (nids == 0)
		return die("%s", "no issue ID provided");
	if (db_open(&d, false) != 0)
		return 1;
	long *idx = xcalloc(nids, sizeof *idx);
	for (size_t i = 0; i < nids; i++) {
		long at = db_find(&d, ids[i]);
		if (at == -1) {
			fprintf(stderr, "Error fetching %s: issue not found\n", ids[i]);
			rc = 1;
			continue;
		}
		idx[k++] = at;
	}
	if (o->json)
		print_lines(&d, idx, k);
	free(idx);
	db_close(&d);
	return k > 0 ? 0 : rc;
}

static int
cmd_update(struct opts *o, char **ids, size_t nids, bool close)
{
	struct db d;
	size_t k = 0;
	int rc = 0;
	const char *actor = actor_of(o);

	if (nids == 0)
		return die("%s", "no issue ID provided and no last touched issue");
	if (!close && !o->claim && !o->has_status && !o->has_assignee) {
		puts("No updates specified");
		return 0;
	}
	if (db_open(&d, true) != 0)
		return 1;
	long *idx = xcalloc(nids, sizeof *idx);
	for (size_t i = 0; i < nids; i++) {
		long at = db_find(&d, ids[i]);
		if (at == -1) {
			fprintf(stderr, "Issue %s not found\n", ids[i]);
			rc = 1;
			continue;
		}
		char *status = line_string(&d, (size_t)at, "status");
		char *assignee = line_string(&d, (size_t)at, "assignee");
		const char *cur = status != NULL ? status : "open";
		struct json_edit e[8];
		char *fr[8] = { NULL };
		size_t ne = 0, nf = 0;
		char *upd, *nowlike;

		if (o->claim) {
			if (assignee != NULL && *assignee != '\0') {
				fprintf(stderr, "Error claiming %s: already claimed by %s\n", ids[i], assignee);
				rc = 1;
				goto next;
			}
			if (strcmp(cur, "open") != 0) {
				fprintf(stderr, "Error claiming %s: issue is %s, not open\n", ids[i], cur);
				rc = 1;
				goto next;
			}
		}
		stamps(&d, (size_t)at, &upd, &nowlike);
		fr[nf++] = upd;
		fr[nf++] = nowlike;
		const char *newstatus = close ? "closed" : o->claim ? "in_progress" : o->has_status ? o->status : NULL;
		if (newstatus != NULL) {
			e[ne++] = (struct json_edit){ "status", fr[nf++] = json_str(newstatus) };
			char *started = line_string(&d, (size_t)at, "started_at");
			if (strcmp(newstatus, "in_progress") == 0 && started == NULL)
				e[ne++] = (struct json_edit){ "started_at", nowlike };
			free(started);
			if (strcmp(newstatus, "closed") == 0) {
				e[ne++] = (struct json_edit){ "closed_at", nowlike };
				e[ne++] = (struct json_edit){ "close_reason",
					fr[nf++] = json_str(o->reason != NULL && *o->reason != '\0' ? o->reason : "Closed") };
			} else if (strcmp(cur, "closed") == 0) {
				e[ne++] = (struct json_edit){ "closed_at", NULL };
				e[ne++] = (struct json_edit){ "close_reason", NULL };
			}
		}
		if (o->claim)
			e[ne++] = (struct json_edit){ "assignee", fr[nf++] = json_str(actor) };
		else if (o->has_assignee)
			/* bd omits empty fields: an empty assignee removes the member */
			e[ne++] = (struct json_edit){ "assignee", *o->assignee != '\0' ? (fr[nf++] = json_str(o->assignee)) : NULL };
		e[ne++] = (struct json_edit){ "updated_at", upd };
		line_edit(&d, (size_t)at, e, ne);
		idx[k++] = at;
next:
		for (size_t f = 0; f < nf; f++)
			free(fr[f]);
		free(status);
		free(assignee);
	}
	if (db_commit(&d) != 0)
		rc = 1;
	else if (o->json && k > 0)
		print_lines(&d, idx, k);
	else if (!o->json)
		for (size_t i = 0; i < k; i++)
			printf("%s %s\n", close ? "Closed" : "Updated issue:", d.tr->lines[idx[i]].issue->id);
	free(idx);
	db_close(&d);
	return rc;
}

static int
cmd_comment_add(struct opts *o, char **args, size_t nargs)
{
	struct db d;
	char *text = NULL, *filetext = NULL;
	size_t flen;
	int rc = 0;

	if (nargs < 1)
		return die("%s", "requires at least 1 arg(s), only received 0");
	if (o->file != NULL) {
		if (read_file(o->file, &filetext, &flen) == -1)
			return die("reading file: %s", strerror(errno));
		text = filetext;
	} else if (nargs < 2)
		return die("%s", "comment text required (use -f to read from file)");
	else
		text = args[1];
	if (db_open(&d, true) != 0) {
		free(filetext);
		return 1;
	}
	long at = db_find(&d, args[0]);
	if (at == -1) {
		fprintf(stderr, "Error: adding comment: issue %s not found\n", args[0]);
		rc = 1;
		goto out;
	}
	/* Comment ids: one more than the highest integer id in the file. */
	const struct issue **all;
	size_t n = tracker_issues(d.tr, &all);
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (all[i]->max_comment_id > max)
			max = all[i]->max_comment_id;
	char *upd, *nowlike;
	stamps(&d, (size_t)at, &upd, &nowlike);
	const char *author = o->author != NULL ? o->author : actor_of(o);
	struct buf c, arr;
	buf_init(&c);
	buf_init(&arr);
	buf_printf(&c, "{\"id\":%lld,\"issue_id\":", (long long)max + 1);
	json_append_string(&c, args[0], strlen(args[0]));
	buf_adds(&c, ",\"author\":");
	json_append_string(&c, author, strlen(author));
	buf_adds(&c, ",\"text\":");
	json_append_string(&c, text, strlen(text));
	buf_printf(&c, ",\"created_at\":%s}", nowlike);

	struct json_line jl = { 0 };
	const char *raw = db_raw(&d, (size_t)at);
	if (json_line_scan(&jl, raw, strlen(raw)) == 0) {
		const struct json_member *m = json_line_get(&jl, "comments");
		if (m != NULL && m->val_len > 0 && m->val[0] == '[')
			json_array_append(m->val, m->val_len, c.p, c.len, &arr);
		else
			buf_printf(&arr, "[%s]", c.p);
	}
	json_line_free(&jl);
	struct json_edit e[] = { { "comments", arr.p }, { "updated_at", upd } };
	line_edit(&d, (size_t)at, e, 2);
	if (db_commit(&d) != 0)
		rc = 1;
	else if (o->json)
		printf("%s\n", c.p);
	else
		printf("Comment added to %s\n", args[0]);
	buf_free(&c);
	buf_free(&arr);
	free(upd);
	free(nowlike);
out:
	db_close(&d);
	free(filetext);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *sub;

	log_init("bd", 0);
	log_argv(argc, argv);
	memset(&o, 0, sizeof o);
	if (parse_args(argc, argv, &o) != 0)
		return 1;
	if (o.npos == 0) {
		puts("bd (stand-in for tests) - subcommands: ready, list, show, update, close, comments add");
		return 0;
	}
	sub = o.pos[0];
	if (knob("FAKE_BD_HANG", sub)) {
		for (;;)
			pause();
	}
	if (knob("FAKE_BD_FAIL", sub))
		return die("%s", "database is locked (FAKE_BD_FAIL)");
	if (knob("FAKE_BD_GARBAGE", sub)) {
		puts("<html>bd upgrade available! run: curl | sh</html> (FAKE_BD_GARBAGE)");
		return 0;
	}
	if (strcmp(sub, "ready") == 0)
		return cmd_ready(&o);
	if (strcmp(sub, "list") == 0)
		return cmd_list(&o);
	if (strcmp(sub, "show") == 0)
		return cmd_show(&o, o.pos + 1, o.npos - 1);
	if (strcmp(sub, "update") == 0)
		return cmd_update(&o, o.pos + 1, o.npos - 1, false);
	if (strcmp(sub, "close") == 0)
		return cmd_update(&o, o.pos + 1, o.npos - 1, true);
	if (strcmp(sub, "comments") == 0 && o.npos >= 2 && strcmp(o.pos[1], "add") == 0)
		return cmd_comment_add(&o, o.pos + 2, o.npos - 2);
	fprintf(stderr, "Error: unknown command \"%s\" for \"bd\"\n", sub);
	return 1;
}
