/*
 * artifact.c - results on disk: artifacts_dir/<issue-id>/result.md and the files a
 * handler produced. The names come from an LLM reply, so every component is
 * checked and every open is relative to a folder descriptor with O_NOFOLLOW: a
 * symlink planted in the folder is never followed, and nothing is written outside
 * artifacts_dir/<issue-id>/. The work runs on one worker thread; finished jobs
 * come back to the event loop through a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "ygg.h"

struct artifact_job {
	char *root;
	char *issue_id;
	char *text;
	size_t len;
	struct artifact *arts;
	size_t narts;
	artifact_done_cb *cb;
	void *arg;
	int ok;
	char *why;
	char *dir;
	struct artifact_job *next;
};

/*
 * A few threads, each taking a handful of jobs at a time: creating folders and
 * files costs the kernel more than the bytes do, and that work runs in parallel.
 */
#define ARTIFACT_THREADS 4
#define ARTIFACT_BATCH_MAX 16

struct artifact_writer {
	struct event_base *base;
	pthread_t threads[ARTIFACT_THREADS];
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct artifact_job *head, *tail;
	bool quit;
	int pipe[2]; /* worker -> loop: finished job pointers */
	struct event *done_ev;
	size_t pending;
};

char *
artifact_dir_name(const char *issue_id)
{
	size_t n = strlen(issue_id);
	char *s;

	if (n > 128)
		n = 128;
	s = xstrndup(issue_id, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		        c == '_' || c == '.'))
			s[i] = '_';
	}
	if (n == 0 || s[0] == '.') {
		char *t = xasprintf("_%s", s);
		free(s);
		s = t;
	}
	return s;
}

/* mkdir -p for the root itself (an operator's path, trusted). */
static int
mkdir_parents(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0755) == -1 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

/* Open (creating) the folder name inside dirfd, refusing symlinks. */
static int
open_subdir(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0755) == -1 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write one file at the relative path name below dirfd, atomically by rename. */
static int
write_below(int dirfd, const char *name, const char *data, size_t len, bool sync, char **why)
{
	const char *reason;
	char *copy, *comp, *next;
	int cur, rc = -1;

	if (artifact_name_check(name, strlen(name), &reason) == -1) {
		*why = xasprintf("artifact name \"%.80s\" refused: %s", name, reason);
		return -1;
	}
	copy = xstrdup(name);
	cur = dup(dirfd);
	comp = copy;
	while ((next = strchr(comp, '/')) != NULL) {
		*next = '\0';
		int sub = open_subdir(cur, comp);
		close(cur);
		if (sub == -1) {
			*why = xasprintf("cannot create folder %s for artifact %s: %s", comp, name, strerror(errno));
			free(copy);
			return -1;
		}
		cur = sub;
		comp = next + 1;
	}
	/*
	 * A new name is written in place: O_EXCL never follows or reuses anything
	 * that is there, and a half-written file is only seen by a task that is not
	 * closed yet (its rerun replaces it). A name that exists - an earlier run's
	 * file, or a planted symlink - is replaced by a temp file and a rename, which
	 * swaps the directory entry itself.
	 */
	int fd = openat(cur, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd != -1) {
		if (write_all(fd, data, len) == -1 || (sync && fsync(fd) == -1)) {
			*why = xasprintf("cannot write artifact %s: %s", name, strerror(errno));
			unlinkat(cur, comp, 0);
		} else
			rc = 0;
		close(fd);
		close(cur);
		free(copy);
		return rc;
	}
	if (errno != EEXIST) {
		*why = xasprintf("cannot write artifact %s: %s", name, strerror(errno));
		close(cur);
		free(copy);
		return -1;
	}
	char *tmp = xasprintf(".%s.tmp-%ld", comp, (long)getpid());
	fd = openat(cur, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		*why = xasprintf("cannot write artifact %s: %s", name, strerror(errno));
	else if (write_all(fd, data, len) == -1 || (sync && fsync(fd) == -1)) {
		*why = xasprintf("cannot write artifact %s: %s", name, strerror(errno));
		unlinkat(cur, tmp, 0);
	} else if (renameat(cur, tmp, cur, comp) == -1) {
		*why = xasprintf("cannot write artifact %s: %s", name, strerror(errno));
		unlinkat(cur, tmp, 0);
	} else
		rc = 0;
	if (fd != -1)
		close(fd);
	close(cur);
	free(tmp);
	free(copy);
	return rc;
}

/* Write one task's files; with sync, each is on disk before the call returns. */
static int
write_task_files(const char *root, const char *issue_id, const char *text, size_t len,
    const struct artifact *arts, size_t narts, bool sync, char **why)
{
	char *dirname = artifact_dir_name(issue_id);
	int rootfd, dfd, rc = 0;

	*why = NULL;
	if (mkdir_parents(root) == -1 ||
	    (rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*why = xasprintf("cannot use artifacts_dir %s: %s", root, strerror(errno));
		free(dirname);
		return -1;
	}
	dfd = open_subdir(rootfd, dirname);
	close(rootfd);
	if (dfd == -1) {
		*why = xasprintf("cannot create %s/%s: %s", root, dirname, strerror(errno));
		free(dirname);
		return -1;
	}
	if (text != NULL && write_below(dfd, "result.md", text, len, sync, why) == -1)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < narts; i++) {
		if (strcmp(arts[i].name, "result.md") == 0)
			continue; /* the result itself wins */
		if (write_below(dfd, arts[i].name, arts[i].data, arts[i].len, sync, why) == -1)
			rc = -1;
	}
	close(dfd);
	free(dirname);
	return rc;
}

int
artifact_write_sync(const char *root, const char *issue_id, const char *text, size_t len,
    const struct artifact *arts, size_t narts, char **why)
{
	return write_task_files(root, issue_id, text, len, arts, narts, true, why);
}

static void
job_free(struct artifact_job *j)
{
	free(j->root);
	free(j->issue_id);
	free(j->text);
	for (size_t i = 0; i < j->narts; i++) {
		free(j->arts[i].name);
		free(j->arts[i].data);
	}
	free(j->arts);
	free(j->why);
	free(j->dir);
	free(j);
}

static bool
sync_root(const char *root, int *err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd != -1 && syncfs(fd) == 0;

	*err = errno;
	if (fd != -1)
		close(fd);
	return ok;
}

/*
 * The worker takes every job queued so far, writes their files, then makes the
 * whole batch durable with one syncfs instead of an fsync per file: on a busy
 * daemon that is one disk flush for dozens of results. A task is reported done
 * (and then closed) only after its files are on disk.
 */
static void *
worker_main(void *arg)
{
	struct artifact_writer *w = arg;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		struct artifact_job *batch = w->head, *last = batch;
		if (batch == NULL) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		for (int n = 1; n < ARTIFACT_BATCH_MAX && last->next != NULL; n++)
			last = last->next;
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		if (w->head != NULL)
			pthread_cond_signal(&w->cv); /* more for another thread */
		pthread_mutex_unlock(&w->mu);

		for (struct artifact_job *j = batch; j != NULL; j = j->next) {
			j->ok = write_task_files(j->root, j->issue_id, j->text, j->len, j->arts, j->narts, false, &j->why);
			char *dn = artifact_dir_name(j->issue_id);
			j->dir = path_join(j->root, dn);
			free(dn);
		}
		int err = 0;
		/* a copy: the loop frees each job as soon as it reads it from the pipe */
		char *root = xstrdup(batch->root);
		bool synced = sync_root(root, &err);
		for (struct artifact_job *j = batch, *next; j != NULL; j = next) {
			next = j->next;
			/* a reload may have moved artifacts_dir mid-batch: flush that one too */
			bool ok = strcmp(j->root, root) == 0 ? synced : sync_root(j->root, &err);
			if (!ok && j->ok == 0) {
				j->ok = -1;
				j->why = xasprintf("cannot flush %s to disk: %s", j->root, strerror(err));
			}
			while (write(w->pipe[1], &j, sizeof j) == -1 && errno == EINTR)
				;
		}
		free(root);
	}
}

static void
done_readable(evutil_socket_t fd, short what, void *arg)
{
	struct artifact_writer *w = arg;
	struct artifact_job *j;
	(void)what;

	while (read(fd, &j, sizeof j) == (ssize_t)sizeof j) {
		w->pending--;
		j->cb(j->ok, j->why, j->dir, j->arg);
		job_free(j);
	}
}

struct artifact_writer *
artifact_writer_new(struct event_base *base)
{
	struct artifact_writer *w = xcalloc(1, sizeof *w);

	w->base = base;
	if (pipe2(w->pipe, O_CLOEXEC) == -1) {
		free(w);
		return NULL;
	}
	/* Only the loop side is non-blocking: a pointer write never blocks for long. */
	fcntl(w->pipe[0], F_SETFL, O_NONBLOCK);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->done_ev = event_new(base, w->pipe[0], EV_READ | EV_PERSIST, done_readable, w);
	event_add(w->done_ev, NULL);
	for (int i = 0; i < ARTIFACT_THREADS; i++) {
		if (pthread_create(&w->threads[w->nthreads], NULL, worker_main, w) == 0)
			w->nthreads++;
	}
	if (w->nthreads == 0) {
		event_free(w->done_ev);
		close(w->pipe[0]);
		close(w->pipe[1]);
		free(w);
		return NULL;
	}
	return w;
}

void
artifact_writer_free(struct artifact_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	/* Jobs finished but not yet seen by the loop are dropped without callbacks. */
	struct artifact_job *j;
	fcntl(w->pipe[0], F_SETFL, O_NONBLOCK);
	while (read(w->pipe[0], &j, sizeof j) == (ssize_t)sizeof j)
		job_free(j);
	for (j = w->head; j != NULL;) {
		struct artifact_job *next = j->next;
		job_free(j);
		j = next;
	}
	event_free(w->done_ev);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

void
artifact_write(struct artifact_writer *w, const char *root, const char *issue_id, const char *text,
    size_t len, const struct artifact *arts, size_t narts, artifact_done_cb *cb, void *arg)
{
	struct artifact_job *j = xcalloc(1, sizeof *j);

	j->root = xstrdup(root);
	j->issue_id = xstrdup(issue_id);
	j->text = text != NULL ? xstrndup(text, len) : NULL;
	j->len = len;
	j->arts = xcalloc(narts ? narts : 1, sizeof *j->arts);
	for (size_t i = 0; i < narts; i++) {
		j->arts[i].name = xstrdup(arts[i].name);
		j->arts[i].data = xstrndup(arts[i].data, arts[i].len);
		j->arts[i].len = arts[i].len;
	}
	j->narts = narts;
	j->cb = cb;
	j->arg = arg;
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->pending++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}
