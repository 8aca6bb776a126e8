/*
 * daemon.c - wiring the parts onto one event loop: the store and its change
 * events, the hosts, the plugins and their folder's watch, the scheduler, signals
 * (SIGTERM drains, SIGHUP reloads), --drain's exit, start-up recovery and the
 * instance lock that keeps two daemons with one assignee off one tracker.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef YGG_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "ygg.h"

static void release_held(struct daemon *d);
static int take_instance_lock(struct daemon *d, char **cause);
static void begin_stop(struct daemon *d, const char *why);

void
daemon_notify(struct daemon *d, const char *fmt, ...)
{
#ifdef YGG_HAVE_SYSTEMD
	char msg[512];
	va_list ap;

	(void)d;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sd_notify(0, msg);
#else
	(void)d, (void)fmt;
#endif
}

static void
loop_exit(struct daemon *d, int code)
{
	if (d->exit_requested)
		return;
	d->exit_requested = true;
	d->exit_code = code;
	event_base_loopexit(d->base, NULL);
}

void
daemon_check_idle(struct daemon *d)
{
	if (d->exit_requested)
		return;
	if (d->stopping) {
		if (d->ntasks == 0 && d->pending_store_ops == 0) {
			log_info("stopped: nothing in flight");
			loop_exit(d, 0);
		}
		return;
	}
	if (d->on_idle != NULL && d->ntasks == 0)
		d->on_idle(d);
	if (!d->drain || !d->store_seen || d->pending_store_ops > 0 || d->ntasks > 0)
		return;
	if (d->queued_count == 0 && d->ready_count == 0) {
		log_info("drained: nothing ready or in flight");
		loop_exit(d, 0);
	}
}

/* ---- the store's view changed: schedule, and notice cancellations */

static void
check_cancellations(struct daemon *d)
{
	struct task *t, *next;

	for (t = TAILQ_FIRST(&d->tasks); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (t->finished || t->state == TASK_CLAIMING || t->state == TASK_WRITING ||
		    t->state == TASK_ABORTING)
			continue;
		const struct issue *is = store_lookup(d->store, t->id);
		if (is == NULL) {
			/*
			 * Not a cancellation: the file or its folder may be gone for a moment
			 * (a checkout, a sync). Cancelling would leave the issue in_progress
			 * when it comes back; the final write says whether it still exists.
			 */
			continue;
		}
		bool ours = is->assignee != NULL && strcmp(is->assignee, d->cfg->assignee) == 0;
		if (strcmp(is->status, "in_progress") != 0 || !ours) {
			char *why = xasprintf("someone else set it to %s%s%s", is->status,
			    ours ? "" : " assigned to ", ours ? "" : (is->assignee != NULL ? is->assignee : "nobody"));
			task_cancel(t, why);
			free(why);
		}
	}
}

static void
store_changed(void *arg)
{
	struct daemon *d = arg;

	d->store_seen = true;
	if (d->lock_fd == -1 && !d->stopping) {
		/* the tracker folder appeared after start: take the instance lock now */
		char *cause = NULL;
		if (take_instance_lock(d, &cause) == -1) {
			log_warnx("%s; stopping", cause);
			free(cause);
			begin_stop(d, "another yggd took this tracker");
			return;
		}
	}
	check_cancellations(d);
	sched_kick(d);
}

static void
sched_event_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	sched_run(arg);
}

/* ---- start-up recovery */

static void
recovery_done(int result, const char *err, void *arg)
{
	struct daemon *d = arg;

	d->pending_store_ops--;
	if (result == STORE_ERROR)
		log_warnx("could not reopen an issue left in progress: %s", err != NULL ? err : "error");
	sched_kick(d);
}

static void
recover_in_progress(struct daemon *d)
{
	const struct issue **mine = NULL;
	size_t n = store_mine_in_progress(d->store, &mine);
	struct buf ids;

	if (n == 0)
		return;
	buf_init(&ids);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&ids, "%s%s", i ? "," : "", mine[i]->id);
	}
	log_warnx("reopening %zu issue(s) left in progress by assignee=%s (a previous run stopped "
	          "without finishing them): %s",
	    n, d->cfg->assignee, ids.p);
	/* Copy the ids first: submitting may change the store's view. */
	char **v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(mine[i]->id);
	for (size_t i = 0; i < n; i++) {
		d->pending_store_ops++;
		store_submit(d->store, STORE_REOPEN, v[i], NULL,
		    "yggd reopened this issue at start: a previous yggd run stopped while working on it.",
		    recovery_done, d);
		free(v[i]);
	}
	free(v);
	buf_free(&ids);
}

/* ---- the instance lock: one daemon per assignee per tracker */

static int
take_instance_lock(struct daemon *d, char **cause)
{
	struct stat st;
	char *path;

	if (stat(d->cfg->beads_dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0; /* no tracker folder yet: the store reports that */
	path = xasprintf("%s/.yggd-%s.lock", d->cfg->beads_dir, d->cfg->assignee);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd == -1) {
		log_warn("cannot create %s; running without the instance lock", path);
		d->lock_fd = -2; /* tried: do not try (and log) again */
		free(path);
		return 0;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		char pid[32] = "";
		ssize_t n = pread(d->lock_fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		*cause = xasprintf("another yggd (pid %s) already works on %s as assignee=%s (lock %s); "
		                   "give this one another assignee or stop the other",
		    *pid ? pid : "?", d->cfg->beads_dir, d->cfg->assignee, path);
		free(path);
		return -1;
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) == 0 && pwrite(d->lock_fd, pid, (size_t)len, 0) != len)
		log_warn("cannot write %s", path);
	free(path);
	return 0;
}

/* ---- hosts from the config (start and reload) */

/* "http://a:1/x" -> length of "http://a:1", the part curl counts connections by. */
static size_t
url_authority_len(const char *url)
{
	const char *p = strstr(url, "://");

	p = p != NULL ? p + 3 : url;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

/*
 * curl limits connections per server (name and port), so sections that point at
 * one server share a limit: it must cover the sum of their slots.
 */
static long
max_connections_per_server(const struct ygg_config *cfg)
{
	long best = 1;

	for (size_t i = 0; i < cfg->nhosts; i++) {
		const char *u = cfg->hosts[i].url;
		size_t n = url_authority_len(u);
		long sum = 0;
		for (size_t j = 0; j < cfg->nhosts; j++) {
			const char *v = cfg->hosts[j].url;
			if (url_authority_len(v) == n && strncasecmp(u, v, n) == 0)
				sum += cfg->hosts[j].slots;
		}
		if (sum > best)
			best = sum;
	}
	return best;
}

static void
sync_hosts(struct daemon *d)
{
	struct host *h, *next;

	TAILQ_FOREACH(h, &d->hosts, entry)
		h->removed = true;
	for (size_t i = 0; i < d->cfg->nhosts; i++) {
		const struct host_conf *c = &d->cfg->hosts[i];
		h = host_find(d, c->name);
		if (h != NULL)
			host_update(h, c);
		else {
			h = host_new(d, c); /* TAILQ macros evaluate their arguments more than once */
			TAILQ_INSERT_TAIL(&d->hosts, h, entry);
		}
	}
	for (h = TAILQ_FIRST(&d->hosts); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (h->removed && h->in_flight == 0) {
			bool used = false;
			struct task *t;
			TAILQ_FOREACH(t, &d->tasks, entry) used |= t->host == h;
			if (!used) {
				TAILQ_REMOVE(&d->hosts, h, entry);
				host_free(h);
			}
		}
	}
	/* Never fewer connections per server than the slots pointed at it. */
	http_set_max_host_connections(d->http, max_connections_per_server(d->cfg));
}

/* ---- plugins and their folder */

/* New, replaced (renamed over) and removed plugin files all mean a rescan. */
#define PLUGIN_WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM)

static void
plugins_check_bindings(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg->nhandlers; i++) {
		const struct handler_conf *h = &d->cfg->handlers[i];
		if (plugin_for_handler(&d->plugins, h) == NULL)
			log_warnx("handler=%s has no plugin loaded (%s): its tasks wait", h->type,
			    h->plugin != NULL ? h->plugin : "none serves this type");
	}
}

void
daemon_rescan_plugins(struct daemon *d)
{
	char *cause = NULL;
	int n = plugin_load_dir(&d->plugins, d->cfg->plugin_dir, &cause);

	if (n < 0) {
		log_warnx("%s", cause != NULL ? cause : "plugin_dir is unusable");
		free(cause);
		return;
	}
	if (n > 0) {
		log_info("plugins: %d loaded from %s", n, d->cfg->plugin_dir);
		sched_kick(d);
	}
}

static void
plugin_rescan_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	daemon_rescan_plugins(arg);
}

static void
plugin_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			size_t len = ev->len > 0 ? strlen(ev->name) : 0;
			if (len > 3 && strcmp(ev->name + len - 3, ".so") == 0)
				relevant = true;
			p += sizeof *ev + ev->len;
		}
	}
	if (relevant) {
		/* A short pause lets a copy finish; a rename is complete at once. */
		struct timeval tv = { 0, 50000 };
		evtimer_add(d->plugin_rescan_ev, &tv);
	}
}

static void
watch_plugin_dir(struct daemon *d)
{
	d->plugin_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->plugin_inotify == -1) {
		log_warn("inotify for plugin_dir");
		return;
	}
	if (inotify_add_watch(d->plugin_inotify, d->cfg->plugin_dir, PLUGIN_WATCH_MASK) == -1)
		log_warn("cannot watch plugin_dir %s; new plugins need a SIGHUP", d->cfg->plugin_dir);
	d->plugin_watch_ev = event_new(d->base, d->plugin_inotify, EV_READ | EV_PERSIST, plugin_watch_cb, d);
	event_add(d->plugin_watch_ev, NULL);
	d->plugin_rescan_ev = evtimer_new(d->base, plugin_rescan_cb, d);
}

/* ---- reload */

int
daemon_reload(struct daemon *d, char **cause)
{
	struct ygg_config *cfg;

	daemon_notify(d, "RELOADING=1");
	if (config_load(d->cfg->path, &cfg, cause) == -1) {
		log_warnx("reload refused, keeping the running configuration: %s", *cause);
		daemon_notify(d, "READY=1\nSTATUS=reload refused: %s", *cause);
		return -1;
	}
	if (strcmp(cfg->beads_dir, d->cfg->beads_dir) != 0 || cfg->store != d->cfg->store) {
		log_warnx("reload: beads_dir and store changes need a restart; keeping %s", d->cfg->beads_dir);
		free(cfg->beads_dir);
		cfg->beads_dir = xstrdup(d->cfg->beads_dir);
		cfg->store = d->cfg->store;
	}
	if (strcmp(cfg->assignee, d->cfg->assignee) != 0) {
		/*
		 * The store claims under the assignee it was made with, and the instance
		 * lock is taken for it: a new name now would make every task in flight
		 * look like someone else's and be cancelled.
		 */
		log_warnx("reload: an assignee change needs a restart; keeping assignee=%s", d->cfg->assignee);
		free(cfg->assignee);
		cfg->assignee = xstrdup(d->cfg->assignee);
	}
	/*
	 * Tasks keep only names (type, host) between callbacks and look the config up
	 * again, so the old one can go now; in-flight requests keep their own copies.
	 */
	struct ygg_config *old = d->cfg;
	d->cfg = cfg;
	store_set_config(d->store, cfg);
	sync_hosts(d);
	control_reload(d->control);
	if (strcmp(old->plugin_dir, cfg->plugin_dir) != 0 && d->plugin_inotify != -1)
		inotify_add_watch(d->plugin_inotify, cfg->plugin_dir, PLUGIN_WATCH_MASK);
	config_free(old);
	release_held(d);
	daemon_rescan_plugins(d);
	plugins_check_bindings(d);
	log_info("reloaded %s: %zu hosts, %zu handlers", cfg->path, cfg->nhosts, cfg->nhandlers);
	daemon_notify(d, "READY=1\nSTATUS=reloaded");
	sched_kick(d);
	return 0;
}

/* ---- signals */

static void
grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct task *t, *next;

	(void)fd, (void)what;
	log_warnx("shutdown_grace over: aborting %zu task(s) and reopening them", d->ntasks);
	d->aborting = true;
	for (t = TAILQ_FIRST(&d->tasks); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		task_abort_reopen(t, "yggd is stopping");
	}
	daemon_check_idle(d);
}

static void
begin_stop(struct daemon *d, const char *why)
{
	struct task *t, *next;

	if (d->stopping)
		return;
	d->stopping = true;
	daemon_notify(d, "STOPPING=1\nSTATUS=stopping: %zu task(s) in flight", d->ntasks);
	log_info("%s: no new claims; waiting up to %.0f s for %zu task(s) in flight", why,
	    d->cfg->shutdown_grace, d->ntasks);
	/* Tasks waiting for a retry hold nothing worth waiting for: reopen now. */
	for (t = TAILQ_FIRST(&d->tasks); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (t->state == TASK_RETRY_WAIT || t->state == TASK_RETRY_DUE)
			task_abort_reopen(t, "yggd is stopping before its retry");
	}
	double g = d->cfg->shutdown_grace;
	struct timeval tv = { (time_t)g, (suseconds_t)((g - (double)(time_t)g) * 1e6) };
	d->grace_ev = evtimer_new(d->base, grace_over, d);
	evtimer_add(d->grace_ev, &tv);
	daemon_check_idle(d);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	char *cause = NULL;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (d->stopping && sig == SIGINT) {
			log_warnx("second interrupt: aborting now");
			grace_over(-1, 0, d);
			return;
		}
		begin_stop(d, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading %s", d->cfg->path);
		daemon_reload(d, &cause);
		free(cause);
		break;
	default:
		break;
	}
}

int
daemon_cancel(struct daemon *d, const char *id, char **cause)
{
	struct task *t = task_find(d, id);

	if (t == NULL) {
		*cause = xasprintf("task %s is not in flight", id);
		return -1;
	}
	/*
	 * An operator's cancel: abort, give the issue back as open, and do not take it
	 * again (or it would simply restart) until the config is reloaded or yggd restarts.
	 */
	d->held = xrealloc(d->held, (d->nheld + 1) * sizeof *d->held);
	d->held[d->nheld++] = xstrdup(id);
	t->abort_requested = true;
	task_abort_reopen(t, "cancelled by the operator; this yggd will not take it again until it reloads or restarts");
	return 0;
}

bool
daemon_is_held(const struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->nheld; i++) {
		if (strcmp(d->held[i], id) == 0)
			return true;
	}
	return false;
}

static void
release_held(struct daemon *d)
{
	for (size_t i = 0; i < d->nheld; i++)
		free(d->held[i]);
	free(d->held);
	d->held = NULL;
	d->nheld = 0;
}

/*
 * ---- systemd's watchdog (WatchdogSec=): a timer on the loop sends WATCHDOG=1 at
 * half the interval, so a loop that stops turning gets the daemon restarted.
 * event_base_once events need no bookkeeping: the base frees a pending one.
 */

#ifdef YGG_HAVE_SYSTEMD
static struct timeval watchdog_tv;

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd, (void)what;
	sd_notify(0, "WATCHDOG=1");
	event_base_once(d->base, -1, EV_TIMEOUT, watchdog_cb, d, &watchdog_tv);
}
#endif

static void
watchdog_start(struct daemon *d)
{
#ifdef YGG_HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	usec /= 2;
	watchdog_tv.tv_sec = (time_t)(usec / 1000000);
	watchdog_tv.tv_usec = (suseconds_t)(usec % 1000000);
	log_info("systemd watchdog: keep-alive every %.1f s", (double)usec / 1e6);
	sd_notify(0, "WATCHDOG=1");
	event_base_once(d->base, -1, EV_TIMEOUT, watchdog_cb, d, &watchdog_tv);
#else
	(void)d;
#endif
}

/* ---- life */

struct daemon *
daemon_new(struct ygg_config *cfg, bool drain, char **cause)
{
	struct daemon *d = xcalloc(1, sizeof *d);
	char *why = NULL;

	d->cfg = cfg;
	d->drain = drain;
	d->lock_fd = -1;
	d->plugin_inotify = -1;
	d->started_wall = now_wall_ns();
	TAILQ_INIT(&d->hosts);
	TAILQ_INIT(&d->tasks);
	stats_init(&d->stats);
	plugin_set_init(&d->plugins);
	srandom((unsigned)(now_mono_ns() ^ getpid()));

	d->base = event_base_new();
	if (d->base == NULL) {
		*cause = xstrdup("cannot create the event loop");
		goto fail;
	}
	if (take_instance_lock(d, cause) == -1)
		goto fail;
	/* Before any thread starts: a unix control socket is bound under umask 077. */
	d->control = control_new(d, cause);
	if (d->control == NULL)
		goto fail;
	d->http = http_new(d->base);
	if (d->http == NULL) {
		*cause = xstrdup("cannot set up libcurl");
		goto fail;
	}
	d->writer = artifact_writer_new(d->base);
	if (d->writer == NULL) {
		*cause = xstrdup("cannot start the artifact writer thread");
		goto fail;
	}
	sync_hosts(d);
	if (plugin_load_dir(&d->plugins, cfg->plugin_dir, &why) == -1) {
		*cause = why != NULL ? why : xasprintf("plugin_dir %s is unusable", cfg->plugin_dir);
		goto fail;
	}
	plugins_check_bindings(d);
	d->store = store_new(d->base, cfg, cause);
	if (d->store == NULL)
		goto fail;
	store_set_changed_cb(d->store, store_changed, d);
	d->sched_ev = event_new(d->base, -1, 0, sched_event_cb, d);
	d->sig_term = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->sig_int = evsignal_new(d->base, SIGINT, signal_cb, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, signal_cb, d);
	event_add(d->sig_term, NULL);
	event_add(d->sig_int, NULL);
	event_add(d->sig_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	watch_plugin_dir(d);
	return d;
fail:
	daemon_free(d);
	return NULL;
}

int
daemon_run(struct daemon *d)
{
	if (store_start(d->store) == -1) {
		log_warnx("the tracker cannot be read; see above");
		return 1;
	}
	/* The jsonl store has its view at start; bd's first poll reports through the callback. */
	if (strcmp(store_name(d->store), "bd") != 0)
		d->store_seen = true;
	recover_in_progress(d);
	log_info("yggd %s running: store=%s tracker=%s hosts=%zu handlers=%zu%s", YGG_VERSION,
	    store_name(d->store), d->cfg->beads_dir, d->cfg->nhosts, d->cfg->nhandlers,
	    d->drain ? " (drain: exits when idle)" : "");
	daemon_notify(d, "READY=1\nSTATUS=running");
	watchdog_start(d);
	sched_kick(d);
	event_base_dispatch(d->base);
	return d->exit_code;
}

void
daemon_free(struct daemon *d)
{
	struct task *t;
	struct host *h;

	if (d == NULL)
		return;
	control_free(d->control); /* no requests while the rest goes away */
	d->control = NULL;
	/*
	 * The store first: stopping it answers the writes still queued, and their
	 * callbacks need the tasks they were submitted for.
	 */
	if (d->store != NULL) {
		store_stop(d->store);
		store_free(d->store);
		d->store = NULL;
	}
	while ((t = TAILQ_FIRST(&d->tasks)) != NULL) {
		TAILQ_REMOVE(&d->tasks, t, entry);
		task_free(t);
	}
	free(d->task_hash);
	release_held(d);
	for (size_t i = 0; i < d->nlearned; i++)
		free(d->learned[i].type);
	free(d->learned);
	artifact_writer_free(d->writer);
	while ((h = TAILQ_FIRST(&d->hosts)) != NULL) {
		TAILQ_REMOVE(&d->hosts, h, entry);
		host_free(h);
	}
	http_free(d->http); /* curl first, then the events it used */
	plugin_set_clear(&d->plugins);
	stats_clear(&d->stats);
	struct event *evs[] = { d->sched_ev, d->sig_term, d->sig_int, d->sig_hup, d->sig_pipe, d->grace_ev,
		d->plugin_watch_ev, d->plugin_rescan_ev };
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
		if (evs[i] != NULL)
			event_free(evs[i]);
	}
	if (d->plugin_inotify != -1)
		close(d->plugin_inotify);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->base != NULL)
		event_base_free(d->base);
	config_free(d->cfg);
	free(d);
}
