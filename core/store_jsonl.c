/*
 * store_jsonl.c - the embedded task store: beads_dir/issues.jsonl read through
 * the lossless tracker model and written back under bd's lock protocol.
 *
 * Reading: the folder (not the file: bd and editors replace the file by rename)
 * is watched with inotify, and its parent too so a folder that disappears and
 * comes back is watched again. Events are coalesced into one reload per burst,
 * and a reload first compares (dev, inode, size, mtime) with the last load, so
 * our own rename and an unchanged poll read nothing.
 *
 * Writing: submit() queues a patch and schedules a flush for the next loop
 * turn, so patches that arrive together share one rewrite. The flush takes
 * flock(LOCK_EX) on beads_dir/.jsonl.lock (what bd takes, through gofrs/flock,
 * around its own JSONL writes), re-reads the file when it changed, applies the
 * batch compare-and-set, writes a temp file in the same folder, fsyncs it,
 * renames it over issues.jsonl and fsyncs the folder. A reader never sees a
 * partial file. The loop does the quick part of a batch (lock, a read only
 * when the file changed, compare-and-set, render); a writer thread does the
 * disk part (write, fsync, rename, fsync) while the lock stays held, and the
 * batch is answered when it is done. Reloads wait for it (the tracker is ahead
 * of the disk meanwhile). A lock held by someone else is retried from a timer.
 *
 * Measured on a loaded 2-core box: a 220-issue file holds the loop ~1 ms per
 * batch; a 170 MB, 100,000-issue file ~0.5 s (tracker_apply renders the whole
 * file) with the write itself (~0.7 s) on the thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ygg.h"

#define JSONL_NAME "issues.jsonl"
#define JSONL_LOCK ".jsonl.lock"
#define JSONL_TEMP ".issues.jsonl.yggd-"
#define JSONL_AUTHOR "yggd"
#define LOCK_RETRY_US 50000    /* bd polls its lock every 50 ms too */
#define LOCK_RETRY_MIN_US 250  /* the first retries come sooner */
#define LOCK_GIVE_UP_NS (30 * 1000000000LL)
#define HYBRID_WINDOW_NS (48LL * 3600 * 1000000000LL)

/* What a stat says about the file; equal snapshots mean "nothing to read". */
struct fsnap {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
};

struct pending {
	struct patch p;
	enum store_op op;
	bool empty;      /* a comment with no text: answered without a write */
	store_done_cb *cb;
	void *arg;
	TAILQ_ENTRY(pending) entry;
};
TAILQ_HEAD(pending_list, pending);

/* A rewrite on the writer thread; the loop hears of its end through fds[0]. */
struct jsonl_write {
	pthread_t th;
	int fds[2];
	struct event *ev;
	const char *dir, *path; /* the store's, stable */
	struct buf out;         /* the new file, rendered by the thread */
	const struct tracker *tr; /* rendered from; the loop leaves it alone until the write lands */
	int lockfd;             /* held until the rename is done */
	size_t n, applied;
	size_t early_claims; /* claims answered before the write landed */
	/* results, read after the join */
	int rc;
	char *cause;
	struct fsnap snap;
	double seconds;
	struct pending_list batch; /* answered when the file is written */
};

struct jsonl {
	struct store *st;
	char *dir;      /* beads_dir */
	char *path;     /* beads_dir/issues.jsonl */
	char *lockpath; /* beads_dir/.jsonl.lock */
	char *parent;   /* beads_dir's parent, watched for the folder itself */
	char *base;     /* beads_dir's own name in parent */
	char *assignee;

	struct tracker *tr;
	struct fsnap snap;     /* the file as of the tracker's content */
	uint64_t seen_gen;     /* generation the last changed callback announced */
	bool missing_logged;
	int read_errno;        /* last read error reported, so it is logged once */
	bool started;
	bool stopped;

	int ifd;               /* inotify, -1 when unavailable */
	int wd_dir, wd_parent;
	struct event *ev_inotify;
	struct event *ev_reload; /* coalesces an inotify burst into one reload */
	struct event *ev_poll;   /* fallback: stat every poll_interval */
	struct event *ev_flush;  /* the next batch of writes */

	struct pending_list queue;
	struct jsonl_write *w;   /* the rewrite in flight, NULL none */
	bool reload_deferred;    /* a reload waits for that rewrite */
	int64_t lock_wait_since; /* mono ns the current batch started waiting, 0 none */

	/* ready() cache: valid for one tracker generation until ready_until */
	const struct issue **ready;
	size_t nready;
	bool ready_valid;
	uint64_t ready_gen;
	int64_t ready_at, ready_until;
	enum sort_kind ready_sort;

	const struct issue **mine;
	size_t mine_cap;

	struct store_stats stats;
};

static const struct store_ops jsonl_ops;

static void jsonl_schedule_poll(struct jsonl *j);

/* ---------------------------------------------------------------- files */

static void
snap_from_stat(struct fsnap *s, const struct stat *sb)
{
	s->exists = true;
	s->dev = sb->st_dev;
	s->ino = sb->st_ino;
	s->size = sb->st_size;
	s->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

static bool
snap_equal(const struct fsnap *a, const struct fsnap *b)
{
	if (a->exists != b->exists)
		return false;
	if (!a->exists)
		return true;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* Open (creating) the lock file the way bd's gofrs/flock does: read-only, 0600. */
static int
lock_open(const char *lockpath, char **cause)
{
	int fd = open(lockpath, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd == -1)
		*cause = xasprintf("cannot open the lock file %s: %s", lockpath, strerror(errno));
	return fd;
}

/* Block (polling, like bd) for the lock for up to LOCK_GIVE_UP_NS. */
static int
lock_wait(int fd, const char *lockpath, char **cause)
{
	int64_t deadline = now_mono_ns() + LOCK_GIVE_UP_NS;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			*cause = xasprintf("cannot lock %s: %s", lockpath, strerror(errno));
			return -1;
		}
		if (now_mono_ns() > deadline) {
			*cause = xasprintf("%s stayed locked by another process for 30 s", lockpath);
			return -1;
		}
		struct timespec ts = { 0, LOCK_RETRY_US * 1000L };
		nanosleep(&ts, NULL);
	}
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replace path (in dir) with data: temp file in the same folder (the old file's
 * mode and, when we may, owner), fsync, rename, fsync the folder. The caller
 * holds the lock. *snap describes the new file.
 */
static int
file_replace(const char *dir, const char *path, const char *data, size_t len, struct fsnap *snap, char **cause)
{
	static unsigned counter;
	struct stat osb, nsb;
	bool have_old = stat(path, &osb) == 0;
	char *tmp = NULL;
	int fd = -1, dfd;

	for (int tries = 0; tries < 64; tries++) {
		unsigned k = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED); /* writer threads of several stores */
		uint64_t h = (uint64_t)now_mono_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)k * 0x9e3779b97f4a7c15ULL;
		free(tmp);
		tmp = xasprintf("%s/%s%06llx", dir, JSONL_TEMP, (unsigned long long)(hash64(&h, sizeof h) & 0xffffff));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		*cause = xasprintf("cannot create a temporary file in %s: %s", dir, strerror(errno));
		free(tmp);
		return -1;
	}
	if (have_old) {
		/* Owner first: a chown may clear set-id bits that the chmod then restores. */
		if (fchown(fd, osb.st_uid, osb.st_gid) == -1 && errno != EPERM)
			log_debug("store=jsonl file=%s: cannot keep the owner: %s", path, strerror(errno));
		if (fchmod(fd, osb.st_mode & 07777) == -1)
			log_warn("store=jsonl file=%s: cannot keep the mode %04o", path, (unsigned)(osb.st_mode & 07777));
	}
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1 || fstat(fd, &nsb) == -1) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		*cause = xasprintf("cannot rename %s over %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	/* The rename is only durable once the folder is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		if (fsync(dfd) == -1 && errno != EINVAL)
			log_warn("store=jsonl dir=%s: fsync", dir);
		close(dfd);
	}
	snap_from_stat(snap, &nsb);
	free(tmp);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

/* Read the whole file through fd; *sb is the open file's own stat. */
static int
read_fd(int fd, struct stat *sb, struct buf *b)
{
	char chunk[65536];

	if (fstat(fd, sb) == -1)
		return -1;
	if (sb->st_size > 0)
		buf_reserve(b, (size_t)sb->st_size);
	for (;;) {
		ssize_t n;

		if (b->cap - b->len > sizeof chunk) {
			/* Straight into the buffer: no copy for the common case of a known size. */
			n = read(fd, b->p + b->len, b->cap - b->len - 1);
			if (n > 0) {
				b->len += (size_t)n;
				b->p[b->len] = '\0';
				continue;
			}
		} else {
			n = read(fd, chunk, sizeof chunk);
			if (n > 0) {
				buf_add(b, chunk, (size_t)n);
				continue;
			}
		}
		if (n == 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	if (b->p == NULL)
		buf_reserve(b, 0), b->p[0] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- reading */

static void
jsonl_invalidate(struct jsonl *j)
{
	j->ready_valid = false;
}

/*
 * Bring the tracker up to date with the file. Reads only when the stat differs
 * from the last load (or force). Returns 0 (up to date), -1 when the file could
 * not be read (*cause set when cause != NULL; logged once per errno).
 */
static int
jsonl_reload(struct jsonl *j, bool force, char **cause)
{
	struct stat sb;
	struct fsnap now;
	struct buf b;
	int fd;

	fd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			/* A missing file (or folder) is an empty tracker, picked up when it appears. */
			if (!j->missing_logged) {
				log_info("store=jsonl file=%s: not there (yet); starting empty and watching for it", j->path);
				j->missing_logged = true;
			}
			if (j->snap.exists || j->tr->nlines > 0) {
				tracker_load(j->tr, "", 0, j->path);
				jsonl_invalidate(j);
			}
			memset(&j->snap, 0, sizeof j->snap);
			j->read_errno = 0;
			return 0;
		}
		goto fail;
	}
	if (fstat(fd, &sb) == -1) {
		close(fd);
		goto fail;
	}
	snap_from_stat(&now, &sb);
	if (!force && snap_equal(&now, &j->snap)) {
		close(fd);
		return 0;
	}
	buf_init(&b);
	int64_t t_read = now_mono_ns();
	if (read_fd(fd, &sb, &b) == -1) {
		int saved = errno;
		close(fd);
		buf_free(&b);
		errno = saved;
		goto fail;
	}
	close(fd);
	snap_from_stat(&now, &sb);
	if (j->missing_logged)
		log_info("store=jsonl file=%s: found", j->path);
	j->missing_logged = false;
	j->read_errno = 0;
	/* The tracker keeps the buffer (its lines point into it): no copy of a big file. */
	size_t len = b.len;
	int64_t t_parse = now_mono_ns();
	tracker_load_buf(j->tr, buf_steal(&b), len, j->path);
	j->stats.reads++;
	j->stats.reparsed += j->tr->reparsed;
	log_debug("store=jsonl reload bytes=%zu lines=%zu reparsed=%zu read=%.1fms parse=%.1fms", len, j->tr->nlines,
	    j->tr->reparsed, (double)(t_parse - t_read) / 1e6, (double)(now_mono_ns() - t_parse) / 1e6);
	j->snap = now;
	jsonl_invalidate(j);
	return 0;
fail:
	if (errno != j->read_errno) {
		log_warn("store=jsonl file=%s: cannot read it, keeping the last view", j->path);
		j->read_errno = errno;
	}
	if (cause != NULL)
		*cause = xasprintf("cannot read %s: %s", j->path, strerror(errno));
	return -1;
}

/* Tell the daemon when the issues changed since it last heard. */
static void
jsonl_notify(struct jsonl *j)
{
	if (j->tr->generation == j->seen_gen)
		return;
	j->seen_gen = j->tr->generation;
	jsonl_invalidate(j);
	if (j->st->changed_cb != NULL)
		j->st->changed_cb(j->st->changed_arg);
}

/* ---------------------------------------------------------------- watching */

static void
jsonl_drop_dir_watch(struct jsonl *j)
{
	if (j->wd_dir != -1) {
		inotify_rm_watch(j->ifd, j->wd_dir);
		j->wd_dir = -1;
	}
}

/* Add the watches that are missing (the folder may not exist yet). */
static void
jsonl_arm(struct jsonl *j)
{
	int wd;

	if (j->ifd == -1)
		return;
	if (j->wd_parent == -1 && j->parent != NULL) {
		wd = inotify_add_watch(j->ifd, j->parent, IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR);
		if (wd != -1)
			j->wd_parent = wd;
	}
	if (j->wd_dir == -1) {
		wd = inotify_add_watch(j->ifd, j->dir,
		    IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF |
			IN_ONLYDIR);
		if (wd != -1) {
			j->wd_dir = wd;
			log_debug("store=jsonl dir=%s: watching", j->dir);
		}
	}
}

static void
jsonl_schedule_reload(struct jsonl *j)
{
	/* 1 ms: whatever else the writer is doing right now lands in the same reload. */
	struct timeval tv = { 0, 1000 };

	if (!evtimer_pending(j->ev_reload, NULL))
		evtimer_add(j->ev_reload, &tv);
}

static void
jsonl_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct jsonl *j = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool reload = false, rearm = false;

	(void)what;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			bool ours = ev->len > 0 && strcmp(ev->name, JSONL_NAME) == 0;

			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				reload = rearm = true;
			} else if (ev->wd == j->wd_dir) {
				if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
					/* The folder went away (or moved): watch for it to come back. */
					if (!(ev->mask & IN_IGNORED))
						inotify_rm_watch(j->ifd, j->wd_dir);
					j->wd_dir = -1;
					reload = rearm = true;
				} else if (ours)
					reload = true; /* temp files (ours and bd's) have other names */
			} else if (ev->wd == j->wd_parent) {
				if (ev->mask & IN_IGNORED) {
					j->wd_parent = -1;
					rearm = true;
				} else if (ev->len > 0 && strcmp(ev->name, j->base) == 0) {
					/* The folder itself was created, replaced or removed. */
					jsonl_drop_dir_watch(j);
					reload = rearm = true;
				}
			}
		}
	}
	if (rearm)
		jsonl_arm(j);
	if (reload)
		jsonl_schedule_reload(j);
}

static void
jsonl_reload_cb(evutil_socket_t fd, short what, void *arg)
{
	struct jsonl *j = arg;

	(void)fd, (void)what;
	if (j->w != NULL) {
		/* The tracker is ahead of the disk until our rewrite lands: read after it. */
		j->reload_deferred = true;
		return;
	}
	if (jsonl_reload(j, false, NULL) == 0)
		jsonl_notify(j);
}

static void
jsonl_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct jsonl *j = arg;

	(void)fd, (void)what;
	jsonl_arm(j);
	if (j->w != NULL)
		j->reload_deferred = true;
	else if (jsonl_reload(j, false, NULL) == 0)
		jsonl_notify(j);
	jsonl_schedule_poll(j);
}

static void
jsonl_schedule_poll(struct jsonl *j)
{
	double s = j->st->cfg->poll_interval > 0 ? j->st->cfg->poll_interval : 2.0;
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };

	if (!j->stopped)
		evtimer_add(j->ev_poll, &tv);
}

/* ---------------------------------------------------------------- writing */

static const char *
op_name(enum store_op op)
{
	switch (op) {
	case STORE_CLAIM:
		return "claim";
	case STORE_COMPLETE:
		return "close";
	case STORE_FAIL:
		return "block";
	case STORE_REOPEN:
		return "reopen";
	case STORE_COMMENT:
		return "comment";
	}
	return "?";
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;
	return x < y ? -1 : x > y;
}

static size_t jsonl_ready(struct store *st, int64_t now, const struct issue ***out);

/*
 * A claim needs the issue open AND ready (not blocked, deferred, pinned...),
 * which only the whole tracker can say: mark the claims that fail that test.
 * The ready list is the cached one while the tracker did not change.
 */
static void
jsonl_check_claims(struct jsonl *j, struct pending **v, size_t n, int64_t now)
{
	const struct issue **rd, **sorted = NULL;
	size_t nrd, nclaims = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i]->op == STORE_CLAIM && !v[i]->empty)
			nclaims++;
	if (nclaims == 0)
		return;
	nrd = jsonl_ready(j->st, now, &rd);
	if (nclaims > 4) {
		/* many claims: one sort beats scanning the list for each */
		sorted = xmalloc((nrd ? nrd : 1) * sizeof *sorted);
		memcpy(sorted, rd, nrd * sizeof *rd);
		qsort(sorted, nrd, sizeof *sorted, ptr_cmp);
	}
	for (size_t i = 0; i < n; i++) {
		struct patch *p = &v[i]->p;
		const struct issue *is;
		bool ready = false;

		if (v[i]->op != STORE_CLAIM || v[i]->empty)
			continue;
		is = tracker_get(j->tr, p->id);
		if (is != NULL && sorted != NULL)
			ready = bsearch(&is, sorted, nrd, sizeof *sorted, ptr_cmp) != NULL;
		else
			for (size_t k = 0; is != NULL && k < nrd && !ready; k++)
				ready = rd[k] == is;
		if (is == NULL) {
			p->result = PATCH_MISSING;
			p->why = xasprintf("issue %s is not in %s", p->id, j->path);
		} else if (!ready) {
			p->result = PATCH_CONFLICT;
			if (is->status != NULL && strcmp(is->status, "open") != 0)
				p->why = xasprintf("issue %s is %s now, not open", p->id, is->status);
			else
				p->why = xasprintf("issue %s is not ready any more (blocked, deferred or pinned)", p->id);
		}
	}
	free(sorted);
}

/* Answer every patch of a batch: callbacks run after the write, in submit order. */
static void
jsonl_answer(struct jsonl *j, struct pending_list *batch, const char *error)
{
	struct pending *pd;

	while ((pd = TAILQ_FIRST(batch)) != NULL) {
		int result;
		const char *why = NULL;

		TAILQ_REMOVE(batch, pd, entry);
		if (pd->empty)
			result = STORE_OK;
		else if (pd->p.result == 0 && error == NULL)
			result = STORE_OK;
		else if (pd->p.result == 0 || pd->p.result == -1) {
			result = STORE_ERROR;
			why = error != NULL ? error : "not written";
		} else {
			result = STORE_CONFLICT;
			why = pd->p.why != NULL ? pd->p.why : "the issue changed";
		}
		if (result == STORE_CONFLICT) {
			j->stats.conflicts++;
			log_debug("store=jsonl task=%s op=%s conflict: %s", pd->p.id, op_name(pd->op), why);
		} else if (result == STORE_ERROR) {
			j->stats.errors++;
			log_warnx("store=jsonl task=%s op=%s not written: %s", pd->p.id, op_name(pd->op), why);
		}
		if (pd->cb != NULL)
			pd->cb(result, why, pd->arg);
		patch_free_fields(&pd->p);
		free(pd);
	}
}

/* The writer thread: the slow part of a rewrite (write, fsync, rename, fsync). */
static void *
jsonl_write_main(void *arg)
{
	struct jsonl_write *w = arg;
	int64_t t0 = now_mono_ns();
	char c = 1;

	/* Rendering a large tracker is a copy of the whole file: here, not on the loop. */
	if (w->tr != NULL)
		tracker_render(w->tr, &w->out);
	w->rc = file_replace(w->dir, w->path, w->out.p != NULL ? w->out.p : "", w->out.len, &w->snap, &w->cause);
	w->seconds = (double)(now_mono_ns() - t0) / 1e9;
	while (write(w->fds[1], &c, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

/*
 * The rewrite is on disk (or failed): unlock, answer the batch, and let
 * whatever waited for it go on. Runs on the loop.
 */
static void
jsonl_write_finish(struct jsonl *j)
{
	struct jsonl_write *w = j->w;
	struct pending *pd;
	char c;

	while (read(w->fds[0], &c, 1) == -1 && errno == EINTR)
		;
	pthread_join(w->th, NULL);
	j->w = NULL;
	if (w->rc == 0) {
		/* Our own rename must not read the file again: the tracker has these lines. */
		j->snap = w->snap;
		j->stats.writes++;
	} else {
		/* The tracker holds changes the disk does not: go back to the disk's view. */
		if (w->early_claims > 0)
			log_warnx("store=jsonl %zu claim(s) could not be written (%s): the issues stay as they "
			          "are on disk and their requests are stopped",
			    w->early_claims, w->cause != NULL ? w->cause : "write failed");
		TAILQ_FOREACH(pd, &w->batch, entry)
			if (!pd->empty && pd->p.result == 0)
				pd->p.result = -1;
		jsonl_reload(j, true, NULL);
	}
	close(w->lockfd);
	j->stats.last_write = w->seconds;
	log_debug("store=jsonl batch=%zu applied=%zu loop=%.2fms write=%.2fms", w->n, w->applied,
	    j->stats.last_flush * 1e3, w->seconds * 1e3);
	event_free(w->ev);
	close(w->fds[0]);
	close(w->fds[1]);
	buf_free(&w->out);
	/* A failed write went back to the disk's view: say so before the answers. */
	jsonl_notify(j);
	jsonl_answer(j, &w->batch, w->cause);
	free(w->cause);
	free(w);
	if (!TAILQ_EMPTY(&j->queue) && !evtimer_pending(j->ev_flush, NULL)) {
		struct timeval zero = { 0, 0 };
		evtimer_add(j->ev_flush, &zero);
	}
	if (j->reload_deferred) {
		j->reload_deferred = false;
		jsonl_schedule_reload(j);
	}
}

static void
jsonl_write_done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	jsonl_write_finish(arg);
}

/* Hand the write to a thread; false when no thread could be started. */
static bool
jsonl_write_start(struct jsonl *j, struct pending_list *batch, struct buf *out, int lockfd, size_t n, size_t applied)
{
	struct jsonl_write *w = xcalloc(1, sizeof *w);

	if (pipe2(w->fds, O_CLOEXEC) == -1) {
		free(w);
		return false;
	}
	w->dir = j->dir;
	w->path = j->path;
	w->out = *out;
	w->tr = out->len == 0 ? j->tr : NULL;
	w->lockfd = lockfd;
	w->n = n;
	w->applied = applied;
	TAILQ_INIT(&w->batch);
	w->ev = event_new(j->st->base, w->fds[0], EV_READ, jsonl_write_done_cb, j);
	j->w = w;
	if (pthread_create(&w->th, NULL, jsonl_write_main, w) != 0) {
		j->w = NULL;
		event_free(w->ev);
		close(w->fds[0]);
		close(w->fds[1]);
		free(w);
		return false;
	}
	buf_init(out); /* the thread owns the text now */
	TAILQ_CONCAT(&w->batch, batch, entry);
	event_add(w->ev, NULL);
	return true;
}

/*
 * Claims are answered as soon as they are decided, before the rewrite lands:
 * the compare-and-set ran under the tracker lock, and the lock stays held until
 * the new file is renamed into place, so no other writer can take the issue in
 * between - the request can start while the disk catches up (an fsync and a
 * rename cost milliseconds; a request's first token costs more). Should the
 * write fail, the store goes back to the disk's view, where the issue is not
 * ours, and the daemon cancels the task like any other taken-back issue.
 */
static void
jsonl_answer_claims_early(struct jsonl *j)
{
	struct pending_list early;
	struct pending *pd, *next;

	TAILQ_INIT(&early);
	for (pd = TAILQ_FIRST(&j->w->batch); pd != NULL; pd = next) {
		next = TAILQ_NEXT(pd, entry);
		if (pd->op == STORE_CLAIM && !pd->empty && pd->p.result == 0) {
			TAILQ_REMOVE(&j->w->batch, pd, entry);
			TAILQ_INSERT_TAIL(&early, pd, entry);
			j->w->early_claims++;
		}
	}
	jsonl_answer(j, &early, NULL);
}

/* Wait for a rewrite in flight and finish it (stop). */
static void
jsonl_write_wait(struct jsonl *j)
{
	if (j->w == NULL)
		return;
	event_del(j->w->ev);
	jsonl_write_finish(j); /* its read blocks until the thread is done */
}

/*
 * Write every queued patch in one rewrite. The loop does the quick part
 * (lock, re-read when changed, compare-and-set, render); a thread does the
 * disk part. With wait, everything happens here (stop).
 */
static void
jsonl_flush(struct jsonl *j, bool wait)
{
	struct pending_list batch;
	struct pending *pd, **v;
	struct patch *arr;
	struct buf out;
	char *cause = NULL;
	size_t n = 0, m = 0, applied = 0;
	int64_t t0 = now_mono_ns(), now;
	int lockfd;

	if (j->w != NULL) {
		if (!wait)
			return; /* the rewrite in flight schedules us when it is done */
		jsonl_write_wait(j);
	}
	if (TAILQ_EMPTY(&j->queue))
		return;
	lockfd = lock_open(j->lockpath, &cause);
	if (lockfd != -1 && flock(lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK && !wait) {
			close(lockfd);
			if (j->lock_wait_since == 0) {
				j->lock_wait_since = t0;
				log_debug("store=jsonl lock=%s: held by another process, retrying", j->lockpath);
			}
			/*
			 * Most holds are short (a writer that renamed and is about to
			 * unlock, which is also when its rename wakes us): retry soon,
			 * then back off towards bd's own 50 ms poll.
			 */
			int64_t waited_us = (t0 - j->lock_wait_since) / 1000;
			long us = (long)(waited_us / 2);
			if (us < LOCK_RETRY_MIN_US)
				us = LOCK_RETRY_MIN_US;
			if (us > LOCK_RETRY_US)
				us = LOCK_RETRY_US;
			struct timeval tv = { 0, us };
			if (t0 - j->lock_wait_since < LOCK_GIVE_UP_NS) {
				evtimer_add(j->ev_flush, &tv);
				return;
			}
			lockfd = -1;
			cause = xasprintf("%s stayed locked by another process for 30 s", j->lockpath);
		} else if (lock_wait(lockfd, j->lockpath, &cause) == -1) {
			close(lockfd);
			lockfd = -1;
		}
	}
	j->lock_wait_since = 0;

	TAILQ_INIT(&batch);
	TAILQ_CONCAT(&batch, &j->queue, entry);
	if (lockfd == -1) {
		TAILQ_FOREACH(pd, &batch, entry)
			pd->p.result = -1;
		jsonl_answer(j, &batch, cause);
		free(cause);
		return;
	}

	/* Compare-and-set against what is on disk now, not what we saw last. */
	if (jsonl_reload(j, false, &cause) == -1) {
		close(lockfd);
		TAILQ_FOREACH(pd, &batch, entry)
			pd->p.result = -1;
		jsonl_notify(j);
		jsonl_answer(j, &batch, cause);
		free(cause);
		return;
	}

	TAILQ_FOREACH(pd, &batch, entry)
		n++;
	v = xcalloc(n, sizeof *v);
	arr = xcalloc(n, sizeof *arr);
	n = 0;
	now = now_wall_ns();
	TAILQ_FOREACH(pd, &batch, entry) {
		pd->p.now = now;
		pd->p.result = 0;
		v[n++] = pd;
	}
	jsonl_check_claims(j, v, n, now);
	for (size_t i = 0; i < n; i++)
		if (!v[i]->empty && v[i]->p.result == 0)
			arr[m++] = v[i]->p;
	buf_init(&out);
	if (m > 0)
		tracker_apply(j->tr, arr, m, NULL); /* rendered by the writer thread, or below */
	m = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->empty || v[i]->p.result != 0)
			continue;
		v[i]->p.result = arr[m].result;
		v[i]->p.why = arr[m].why;
		m++;
		if (v[i]->p.result == 0)
			applied++;
	}
	free(arr);
	free(v);
	jsonl_invalidate(j);
	j->stats.last_flush = (double)(now_mono_ns() - t0) / 1e9;

	if (applied > 0 && !wait && jsonl_write_start(j, &batch, &out, lockfd, n, applied)) {
		/*
		 * The tracker already holds the new lines (and replaced the issues it
		 * patched): say so now; the batch is answered when the file is written.
		 */
		jsonl_notify(j);
		jsonl_answer_claims_early(j);
		return;
	}
	if (applied > 0) {
		struct fsnap snap;
		int64_t tw = now_mono_ns();

		tracker_render(j->tr, &out);
		if (file_replace(j->dir, j->path, out.p, out.len, &snap, &cause) == 0) {
			j->snap = snap;
			j->stats.writes++;
		} else {
			TAILQ_FOREACH(pd, &batch, entry)
				if (!pd->empty && pd->p.result == 0)
					pd->p.result = -1;
			jsonl_reload(j, true, NULL);
		}
		j->stats.last_write = (double)(now_mono_ns() - tw) / 1e9;
	}
	buf_free(&out);
	close(lockfd);
	log_debug("store=jsonl batch=%zu applied=%zu took=%.2fms", n, applied, (double)(now_mono_ns() - t0) / 1e6);
	/* The view changed (issues were re-parsed): the daemon hears it before the answers. */
	jsonl_notify(j);
	jsonl_answer(j, &batch, cause);
	free(cause);
}

static void
jsonl_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	jsonl_flush(arg, false);
}

static void
jsonl_submit(struct store *st, enum store_op op, const char *id, const char *reason, const char *comment,
    store_done_cb *cb, void *arg)
{
	struct jsonl *j = st->impl;
	struct pending *pd = xcalloc(1, sizeof *pd);
	const char *text = comment;
	struct timeval zero = { 0, 0 };

	pd->op = op;
	pd->cb = cb;
	pd->arg = arg;
	pd->p.id = xstrdup(id);
	pd->p.assignee = xstrdup(j->assignee);
	pd->p.author = xstrdup(JSONL_AUTHOR);
	switch (op) {
	case STORE_CLAIM:
		pd->p.op = PATCH_CLAIM;
		break;
	case STORE_COMPLETE:
		pd->p.op = PATCH_CLOSE;
		if (reason != NULL)
			pd->p.reason = xstrdup(reason);
		break;
	case STORE_FAIL:
		pd->p.op = PATCH_BLOCK;
		if (text == NULL)
			text = reason; /* the reason is what the comment says */
		break;
	case STORE_REOPEN:
		pd->p.op = PATCH_REOPEN;
		break;
	case STORE_COMMENT:
		pd->p.op = PATCH_COMMENT;
		if (text == NULL || *text == '\0')
			pd->empty = true;
		break;
	}
	if (text != NULL && *text != '\0')
		pd->p.comment = xstrdup(text);
	TAILQ_INSERT_TAIL(&j->queue, pd, entry);
	j->stats.patches++;
	/* A zero timeout runs on the next loop turn: everything submitted until then shares the write. */
	if (!evtimer_pending(j->ev_flush, NULL))
		evtimer_add(j->ev_flush, &zero);
}

/* ---------------------------------------------------------------- views */

static int64_t
jsonl_next_boundary(struct jsonl *j, const struct issue **all, size_t n, int64_t now, enum sort_kind sort)
{
	int64_t next = INT64_MAX;

	(void)j;
	for (size_t i = 0; i < n; i++) {
		int64_t d = all[i]->defer_ns;
		if (d > now && d < next)
			next = d;
		if (sort == SORT_HYBRID && all[i]->created_ns != 0) {
			int64_t h = all[i]->created_ns + HYBRID_WINDOW_NS;
			if (h > now && h < next)
				next = h;
		}
	}
	return next;
}

static size_t
jsonl_ready(struct store *st, int64_t now, const struct issue ***out)
{
	struct jsonl *j = st->impl;
	enum sort_kind sort = st->cfg->sort;

	/* Recompute only when the issues changed or the clock crossed a defer_until (or hybrid) boundary. */
	if (!j->ready_valid || j->ready_gen != j->tr->generation || sort != j->ready_sort || now < j->ready_at ||
	    now >= j->ready_until) {
		const struct issue **all;
		size_t n = tracker_issues(j->tr, &all);

		free(j->ready);
		j->ready = NULL;
		j->nready = ready_compute((const struct issue *const *)all, n, now, sort, &j->ready);
		j->ready_until = jsonl_next_boundary(j, all, n, now, sort);
		j->ready_at = now;
		j->ready_gen = j->tr->generation;
		j->ready_sort = sort;
		j->ready_valid = true;
	}
	*out = j->ready;
	return j->nready;
}

static const struct issue *
jsonl_lookup(struct store *st, const char *id)
{
	struct jsonl *j = st->impl;

	return tracker_get(j->tr, id);
}

static size_t
jsonl_mine_in_progress(struct store *st, const struct issue ***out)
{
	struct jsonl *j = st->impl;
	const struct issue **all;
	size_t n = tracker_issues(j->tr, &all), k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct issue *is = all[i];
		if (is->status == NULL || strcmp(is->status, "in_progress") != 0)
			continue;
		if (is->assignee == NULL || strcmp(is->assignee, j->assignee) != 0)
			continue;
		if (k == j->mine_cap) {
			j->mine_cap = j->mine_cap ? j->mine_cap * 2 : 16;
			j->mine = xrealloc(j->mine, j->mine_cap * sizeof *j->mine);
		}
		j->mine[k++] = is;
	}
	*out = j->mine;
	return k;
}

static void
jsonl_refresh(struct store *st)
{
	struct jsonl *j = st->impl;

	jsonl_arm(j);
	jsonl_schedule_reload(j);
}

static void
jsonl_stats(struct store *st, struct store_stats *out)
{
	struct jsonl *j = st->impl;

	*out = j->stats;
	out->busy = j->w != NULL || !TAILQ_EMPTY(&j->queue);
}

/* ---------------------------------------------------------------- life cycle */

static int
jsonl_start(struct store *st)
{
	struct jsonl *j = st->impl;
	char *cause = NULL;
	int rc = 0;

	if (j->started)
		return 0;
	j->started = true;
	j->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (j->ifd == -1)
		log_warn("store=jsonl: inotify unavailable, polling every %gs", st->cfg->poll_interval);
	else {
		j->ev_inotify = event_new(st->base, j->ifd, EV_READ | EV_PERSIST, jsonl_inotify_cb, j);
		event_add(j->ev_inotify, NULL);
	}
	/* Watch first, read second: a change in between is not lost. */
	jsonl_arm(j);
	if (jsonl_reload(j, true, &cause) == -1) {
		log_warnx("store=jsonl: %s", cause);
		free(cause);
		rc = -1;
	}
	j->seen_gen = j->tr->generation;
	jsonl_schedule_poll(j);
	return rc;
}

static void
jsonl_stop(struct store *st)
{
	struct jsonl *j = st->impl;

	if (j->stopped)
		return;
	j->stopped = true;
	if (j->ev_inotify != NULL) {
		event_free(j->ev_inotify);
		j->ev_inotify = NULL;
	}
	if (j->ifd != -1) {
		close(j->ifd);
		j->ifd = -1;
		j->wd_dir = j->wd_parent = -1;
	}
	evtimer_del(j->ev_poll);
	evtimer_del(j->ev_reload);
	jsonl_write_wait(j);
	/* Whatever is queued is written now; callbacks may queue more (bounded). */
	for (int i = 0; i < 16 && !TAILQ_EMPTY(&j->queue); i++) {
		evtimer_del(j->ev_flush);
		jsonl_flush(j, true);
	}
}

static void
jsonl_free(struct store *st)
{
	struct jsonl *j;
	struct pending *pd;

	if (st == NULL)
		return;
	j = st->impl;
	if (j->w != NULL) {
		/* Let the rename finish (the file stays whole); its batch is dropped unanswered. */
		pthread_join(j->w->th, NULL);
		close(j->w->lockfd);
		event_free(j->w->ev);
		close(j->w->fds[0]);
		close(j->w->fds[1]);
		buf_free(&j->w->out);
		free(j->w->cause);
		TAILQ_CONCAT(&j->queue, &j->w->batch, entry);
		free(j->w);
	}
	if (j->ev_inotify != NULL)
		event_free(j->ev_inotify);
	if (j->ifd != -1)
		close(j->ifd);
	event_free(j->ev_reload);
	event_free(j->ev_poll);
	event_free(j->ev_flush);
	while ((pd = TAILQ_FIRST(&j->queue)) != NULL) {
		TAILQ_REMOVE(&j->queue, pd, entry);
		patch_free_fields(&pd->p);
		free(pd);
	}
	tracker_free(j->tr);
	free(j->ready);
	free(j->mine);
	free(j->dir);
	free(j->path);
	free(j->lockpath);
	free(j->parent);
	free(j->base);
	free(j->assignee);
	free(j);
	free(st);
}

/* Split "/a/b/.beads/" into parent "/a/b" and name ".beads". */
static void
split_dir(const char *dir, char **parent, char **base)
{
	char *d = xstrdup(dir), *slash;
	size_t len = strlen(d);

	while (len > 1 && d[len - 1] == '/')
		d[--len] = '\0';
	slash = strrchr(d, '/');
	if (slash == NULL) {
		*parent = xstrdup(".");
		*base = xstrdup(d);
	} else if (slash == d) {
		*parent = xstrdup("/");
		*base = xstrdup(slash + 1);
	} else {
		*parent = xstrndup(d, (size_t)(slash - d));
		*base = xstrdup(slash + 1);
	}
	if (**base == '\0') {
		/* beads_dir is "/": nothing above it to watch. */
		free(*parent);
		*parent = NULL;
	}
	free(d);
}

struct store *
store_jsonl_new(struct event_base *base, const struct ygg_config *cfg, char **cause)
{
	struct store *st;
	struct jsonl *j;

	*cause = NULL;
	if (cfg->beads_dir == NULL || *cfg->beads_dir == '\0') {
		*cause = xstrdup("beads_dir is not set");
		return NULL;
	}
	st = xcalloc(1, sizeof *st);
	j = xcalloc(1, sizeof *j);
	st->ops = &jsonl_ops;
	st->base = base;
	st->cfg = cfg;
	st->impl = j;
	j->st = st;
	j->dir = xstrdup(cfg->beads_dir);
	j->path = path_join(j->dir, JSONL_NAME);
	j->lockpath = path_join(j->dir, JSONL_LOCK);
	split_dir(j->dir, &j->parent, &j->base);
	j->assignee = xstrdup(cfg->assignee != NULL ? cfg->assignee : "yggd");
	j->tr = tracker_new();
	j->ifd = j->wd_dir = j->wd_parent = -1;
	j->ev_reload = evtimer_new(base, jsonl_reload_cb, j);
	j->ev_poll = evtimer_new(base, jsonl_poll_cb, j);
	j->ev_flush = evtimer_new(base, jsonl_flush_cb, j);
	TAILQ_INIT(&j->queue);
	return st;
}

static const struct store_ops jsonl_ops = {
	.name = "jsonl",
	.start = jsonl_start,
	.stop = jsonl_stop,
	.ready = jsonl_ready,
	.lookup = jsonl_lookup,
	.mine_in_progress = jsonl_mine_in_progress,
	.submit = jsonl_submit,
	.refresh = jsonl_refresh,
	.stats = jsonl_stats,
	.free = jsonl_free,
};

/* ---------------------------------------------------------------- yggctl create */

int
jsonl_append_lines(const char *beads_dir, const char *const *lines, size_t n, char **cause)
{
	char *path = NULL, *lockpath = NULL;
	struct buf b;
	struct fsnap snap;
	struct stat sb;
	const char *nl = "\n";
	int fd, lockfd, rc = -1;

	*cause = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strchr(lines[i], '\n') != NULL) {
			*cause = xasprintf("line %zu holds a newline: a JSONL record must be one line", i + 1);
			return -1;
		}
	}
	if (mkdir(beads_dir, 0755) == -1 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", beads_dir, strerror(errno));
		return -1;
	}
	path = path_join(beads_dir, JSONL_NAME);
	lockpath = path_join(beads_dir, JSONL_LOCK);
	buf_init(&b);
	lockfd = lock_open(lockpath, cause);
	if (lockfd == -1)
		goto out;
	if (lock_wait(lockfd, lockpath, cause) == -1)
		goto out_lock;
	/* Re-read under the lock: whatever was written before us is kept byte for byte. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		goto out_lock;
	}
	if (fd != -1) {
		if (read_fd(fd, &sb, &b) == -1) {
			*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
			close(fd);
			goto out_lock;
		}
		close(fd);
	}
	if (b.len > 0) {
		const char *first = memchr(b.p, '\n', b.len);
		if (first != NULL && first > b.p && first[-1] == '\r')
			nl = "\r\n"; /* keep the file's newline convention */
		if (b.p[b.len - 1] != '\n')
			buf_adds(&b, nl);
	}
	for (size_t i = 0; i < n; i++) {
		buf_adds(&b, lines[i]);
		buf_adds(&b, nl);
	}
	rc = file_replace(beads_dir, path, b.p != NULL ? b.p : "", b.len, &snap, cause);
out_lock:
	close(lockfd);
out:
	buf_free(&b);
	free(path);
	free(lockpath);
	return rc;
}
