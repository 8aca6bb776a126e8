/*
 * http.c - libcurl's multi interface driven by the daemon's libevent loop (the
 * pattern of curl's docs/examples/hiperfifo.c).
 *
 * curl tells us which sockets to watch (sock_cb) and when to wake it up
 * (timer_cb); libevent tells curl when a socket is ready or the timer fired
 * (curl_multi_socket_action). After every socket_action the finished transfers
 * are drained with curl_multi_info_read, their results copied out, their handles
 * removed, and only then are the done callbacks called, one by one, from a queue:
 * a callback may start or cancel other requests (or free the whole struct http)
 * without pulling the ground from under this code.
 *
 * curl forbids calling curl_multi_add_handle/remove_handle from inside its own
 * callbacks (the write callback is where data_cb runs), so while we are inside
 * curl (h->in_curl), http_start and http_cancel only queue their work and it is
 * carried out as soon as socket_action returns.
 *
 * The idle timeout is ours, not CURLOPT_LOW_SPEED_*: that one is second-granular
 * and averages over the window, so a stream that sends one byte a second would
 * never trip it and one silent gap could be hidden by an earlier burst. Each
 * request has a timer that is (lazily) re-armed on every byte received.
 */
#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ygg.h"

enum req_state {
	REQ_PENDING_ADD, /* started from inside curl: added when curl returns */
	REQ_ACTIVE,      /* in the multi handle */
	REQ_DONE,        /* finished, result copied, waiting in the done queue */
	REQ_CALLING,     /* its done_cb is running */
	REQ_ZOMBIE,      /* cancelled from inside curl: removed when curl returns */
};

/* One socket curl asked us to watch (curl_multi_assign keeps it for curl). */
struct http_sock {
	struct http *h;
	curl_socket_t fd;
	int what; /* CURL_POLL_* currently registered */
	struct event ev;
	TAILQ_ENTRY(http_sock) entry;
};
TAILQ_HEAD(http_sock_list, http_sock);

struct http_req {
	struct http *h;
	CURL *easy;
	enum req_state state;
	char *url;
	char *body;
	struct curl_slist *headers;
	http_data_cb *data_cb;
	http_done_cb *done_cb;
	void *arg;

	double connect_timeout;
	double idle_timeout;
	double total_timeout;
	size_t max_bytes;
	struct event *idle_ev;
	bool idle_armed;
	int64_t last_byte; /* mono ns; the idle clock starts from here */
	int64_t started;   /* mono ns */
	size_t received;   /* body bytes */

	bool connected;
	bool too_large;
	bool reader_abort;
	bool idle_expired;
	double retry_after;
	char *content_type;
	char *error;
	char errbuf[CURL_ERROR_SIZE];
	struct http_result res;
	TAILQ_ENTRY(http_req) entry;
};
TAILQ_HEAD(http_req_list, http_req);

struct http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct event *deliver_ev; /* runs the done queue from the loop */
	struct http_req_list active;  /* REQ_ACTIVE */
	struct http_req_list pending; /* REQ_PENDING_ADD */
	struct http_req_list done;    /* REQ_DONE, in completion order */
	struct http_req_list zombies; /* REQ_ZOMBIE */
	struct http_sock_list socks;
	size_t nactive;  /* active + pending */
	int in_curl;     /* inside curl_multi_socket_action */
	int delivering;  /* inside the done-callback loop */
	bool dying;      /* http_free was called from one of our callbacks */
};

static bool curl_ready;

static void http_after_curl(struct http *h);
static void http_deliver(struct http *h);
static void http_destroy(struct http *h);

/* ---- per-socket events */

static void
sock_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct http *h = arg;
	int action = 0, running;

	if (kind & EV_READ)
		action |= CURL_CSELECT_IN;
	if (kind & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	h->in_curl++;
	curl_multi_socket_action(h->multi, fd, action, &running);
	h->in_curl--;
	http_after_curl(h);
}

static void
sock_forget(struct http_sock *s)
{
	event_del(&s->ev);
	TAILQ_REMOVE(&s->h->socks, s, entry);
	free(s);
}

static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct http_sock *s = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_forget(s);
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->h = h;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&h->socks, s, entry);
		curl_multi_assign(h->multi, fd, s);
	} else if (s->what == what) {
		return 0;
	} else {
		/* event_assign on a pending event is not allowed: take it out first. */
		event_del(&s->ev);
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	s->what = what;
	event_assign(&s->ev, h->base, fd, kind, sock_event_cb, h);
	event_add(&s->ev, NULL);
	return 0;
}

/* ---- the one curl timer */

static void
timer_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct http *h = arg;
	int running;

	(void)fd, (void)kind;
	h->in_curl++;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	h->in_curl--;
	http_after_curl(h);
}

/*
 * curl asks to be woken after timeout_ms (-1: never). Even 0 is only scheduled:
 * calling socket_action from here would re-enter curl.
 */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

/* ---- per-request callbacks from curl */

static void
idle_arm(struct http_req *r, double secs)
{
	struct timeval tv;

	if (secs < 0.001)
		secs = 0.001;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	evtimer_add(r->idle_ev, &tv);
	r->idle_armed = true;
}

/* A byte arrived: the idle clock restarts. The timer itself is re-armed lazily when it fires. */
static void
note_bytes(struct http_req *r)
{
	r->last_byte = now_mono_ns();
	if (r->idle_ev != NULL && !r->idle_armed)
		idle_arm(r, r->idle_timeout);
}

/*
 * The connection is up and the request is about to go out. The idle clock starts
 * here rather than at http_start so a request queued behind
 * CURLMOPT_MAX_HOST_CONNECTIONS, or still connecting (the connect timeout's
 * business), is not counted as silent.
 */
static int
prereq_cb(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	struct http_req *r = arg;

	(void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
	r->connected = true;
	note_bytes(r);
	return CURL_PREREQFUNC_OK;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_req *r = arg;
	size_t n = size * nmemb;

	note_bytes(r);
	if (r->state == REQ_ZOMBIE)
		return n == 0 ? 1 : 0; /* anything but n aborts */
	if (r->max_bytes > 0 && r->received + n > r->max_bytes) {
		r->too_large = true;
		return n == 0 ? 1 : 0;
	}
	r->received += n;
	if (r->data_cb != NULL && n > 0 && r->data_cb(ptr, n, r->arg) != 0) {
		r->reader_abort = true;
		return 0;
	}
	return n;
}

/* Seconds in a Retry-After value: delay-seconds or an HTTP-date. -1 when neither. */
static double
parse_retry_after(const char *v, size_t len)
{
	char tmp[128];
	char *end;
	double secs;

	while (len > 0 && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	if (len == 0 || len >= sizeof tmp)
		return -1;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	errno = 0;
	secs = strtod(tmp, &end);
	if (end != tmp && *end == '\0' && errno == 0 && isfinite(secs))
		return secs < 0 ? 0 : secs;
	time_t when = curl_getdate(tmp, NULL);
	if (when == (time_t)-1)
		return -1;
	secs = difftime(when, time(NULL));
	return secs < 0 ? 0 : secs;
}

static size_t
header_cb(char *line, size_t size, size_t nmemb, void *arg)
{
	struct http_req *r = arg;
	size_t n = size * nmemb;
	static const char ra[] = "retry-after:";

	note_bytes(r);
	/* A new status line starts a new response (after a 100 Continue, say): forget the old one's headers. */
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0)
		r->retry_after = -1;
	else if (n > sizeof ra - 1 && strncasecmp(line, ra, sizeof ra - 1) == 0)
		r->retry_after = parse_retry_after(line + sizeof ra - 1, n - (sizeof ra - 1));
	return n;
}

/* ---- finishing */

static char *
describe_error(struct http_req *r, CURLcode code, long os_errno, bool connected)
{
	const char *detail = r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(code);

	if (r->too_large)
		return xasprintf("reply larger than %zu bytes", r->max_bytes);
	if (r->idle_expired)
		return xasprintf("no data for %g s", r->idle_timeout);
	if (r->reader_abort)
		return xstrdup("the transfer was aborted by its reader");
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		if (!connected) {
			double t = r->connect_timeout;
			if (r->total_timeout > 0 && (t <= 0 || r->total_timeout < t))
				t = r->total_timeout;
			return t > 0 ? xasprintf("could not connect within %g s", t) : xstrdup("timed out connecting");
		}
		if (r->total_timeout > 0)
			return xasprintf("no complete reply within %g s", r->total_timeout);
		return xasprintf("timed out: %s", detail);
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED)
			return xstrdup("connection refused");
		if (os_errno == EHOSTUNREACH)
			return xstrdup("host unreachable");
		if (os_errno == ENETUNREACH)
			return xstrdup("network unreachable");
		return xasprintf("could not connect: %s", detail);
	case CURLE_COULDNT_RESOLVE_HOST:
		return xstrdup("could not resolve the host name");
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (os_errno == ECONNRESET)
			return xstrdup("connection reset by the server");
		return xasprintf("connection error: %s", detail);
	case CURLE_PARTIAL_FILE:
		return xstrdup("the server closed the connection mid-reply");
	case CURLE_GOT_NOTHING:
		return xstrdup("the server closed the connection without replying");
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return xasprintf("bad URL: %s", detail);
	default:
		return xstrdup(detail);
	}
}

/*
 * The transfer is over (code says how): copy everything out of the easy handle,
 * take it out of the multi, and queue the callback. Never called from inside curl.
 */
static void
req_finish(struct http_req *r, CURLcode code)
{
	struct http *h = r->h;
	long status = 0, os_errno = 0;
	const char *ct = NULL;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
	if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		r->content_type = xstrdup(ct);
	bool connected = r->connected || status > 0;

	if (r->too_large || r->reader_abort) {
		/* our own abort from the write callback shows up as CURLE_WRITE_ERROR */
		code = code == CURLE_OK ? CURLE_WRITE_ERROR : code;
	}
	r->res.curl_code = (int)code;
	r->res.status = status;
	r->res.os_errno = (int)os_errno;
	r->res.connected = connected;
	r->res.too_large = r->too_large;
	r->res.idle_timed_out = r->idle_expired;
	r->res.timed_out = r->idle_expired || code == CURLE_OPERATION_TIMEDOUT;
	r->res.retry_after = r->retry_after;
	r->res.elapsed = (double)(now_mono_ns() - r->started) / 1e9;
	r->res.content_type = r->content_type;
	if (code != CURLE_OK || r->too_large) {
		r->error = describe_error(r, code, os_errno, connected);
		r->res.error = r->error;
	}

	if (r->idle_ev != NULL)
		evtimer_del(r->idle_ev);
	/* Removing a handle mid-transfer makes curl close its connection; a finished one goes back to the cache. */
	curl_multi_remove_handle(h->multi, r->easy);
	TAILQ_REMOVE(&h->active, r, entry);
	h->nactive--;
	r->state = REQ_DONE;
	TAILQ_INSERT_TAIL(&h->done, r, entry);
}

static void
req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	if (r->idle_ev != NULL)
		event_free(r->idle_ev);
	/* A bearer token may sit in the headers: do not leave it in freed memory. */
	for (struct curl_slist *l = r->headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(r->headers);
	free(r->url);
	free(r->body);
	free(r->content_type);
	free(r->error);
	free(r);
}

static void
idle_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct http_req *r = arg;
	double quiet = (double)(now_mono_ns() - r->last_byte) / 1e9;

	(void)fd, (void)kind;
	r->idle_armed = false;
	if (r->state != REQ_ACTIVE)
		return;
	if (quiet < r->idle_timeout) {
		idle_arm(r, r->idle_timeout - quiet);
		return;
	}
	r->idle_expired = true;
	req_finish(r, CURLE_OPERATION_TIMEDOUT);
	http_deliver(r->h);
}

static void
check_multi_info(struct http *h)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct http_req *r;
		void *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg points into curl's memory: read it before the handle goes. */
		CURLcode code = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = priv;
		if (r == NULL || r->state != REQ_ACTIVE)
			continue;
		req_finish(r, code);
	}
}

static void
req_add(struct http_req *r)
{
	struct http *h = r->h;
	CURLMcode mc;

	r->state = REQ_ACTIVE;
	TAILQ_INSERT_TAIL(&h->active, r, entry);
	mc = curl_multi_add_handle(h->multi, r->easy);
	if (mc != CURLM_OK) {
		/* Reported like any other failure, through the done callback, from the loop. */
		snprintf(r->errbuf, sizeof r->errbuf, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
		req_finish(r, CURLE_FAILED_INIT);
		event_active(h->deliver_ev, EV_TIMEOUT, 0);
	}
}

/* Carry out what had to wait until curl returned, then report finished transfers. */
static void
http_after_curl(struct http *h)
{
	struct http_req *r;

	if (h->in_curl > 0)
		return;
	if (h->dying) {
		if (h->delivering == 0)
			http_destroy(h);
		return;
	}
	while ((r = TAILQ_FIRST(&h->zombies)) != NULL) {
		TAILQ_REMOVE(&h->zombies, r, entry);
		curl_multi_remove_handle(h->multi, r->easy);
		req_free(r);
	}
	while ((r = TAILQ_FIRST(&h->pending)) != NULL) {
		TAILQ_REMOVE(&h->pending, r, entry);
		req_add(r);
	}
	check_multi_info(h);
	http_deliver(h);
}

static void
deliver_event_cb(evutil_socket_t fd, short kind, void *arg)
{
	(void)fd, (void)kind;
	http_deliver(arg);
}

/* Call done callbacks one at a time; each may start, cancel or free anything. */
static void
http_deliver(struct http *h)
{
	struct http_req *r;

	if (h->delivering > 0 || h->in_curl > 0)
		return;
	h->delivering++;
	while (!h->dying && (r = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, r, entry);
		r->state = REQ_CALLING;
		if (r->done_cb != NULL)
			r->done_cb(&r->res, r->arg);
		req_free(r);
	}
	h->delivering--;
	if (h->dying)
		http_destroy(h);
}

/* ---- the public side */

struct http *
http_new(struct event_base *base)
{
	struct http *h;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return NULL;
		curl_ready = true;
	}
	h = xcalloc(1, sizeof *h);
	h->base = base;
	TAILQ_INIT(&h->active);
	TAILQ_INIT(&h->pending);
	TAILQ_INIT(&h->done);
	TAILQ_INIT(&h->zombies);
	TAILQ_INIT(&h->socks);
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, timer_event_cb, h);
	h->deliver_ev = evtimer_new(base, deliver_event_cb, h);
	if (h->multi == NULL || h->timer == NULL || h->deliver_ev == NULL) {
		if (h->multi != NULL)
			curl_multi_cleanup(h->multi);
		if (h->timer != NULL)
			event_free(h->timer);
		if (h->deliver_ev != NULL)
			event_free(h->deliver_ev);
		free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	/* The connection cache: generous, so idle keep-alive connections to every host survive. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 256L);
	return h;
}

static void
http_destroy(struct http *h)
{
	struct http_req *r;
	struct http_sock *s;

	/* Remove every handle first (curl closes their connections), then the multi, then our events. */
	while ((r = TAILQ_FIRST(&h->active)) != NULL) {
		TAILQ_REMOVE(&h->active, r, entry);
		curl_multi_remove_handle(h->multi, r->easy);
		req_free(r);
	}
	while ((r = TAILQ_FIRST(&h->pending)) != NULL) {
		TAILQ_REMOVE(&h->pending, r, entry);
		req_free(r);
	}
	while ((r = TAILQ_FIRST(&h->zombies)) != NULL) {
		TAILQ_REMOVE(&h->zombies, r, entry);
		curl_multi_remove_handle(h->multi, r->easy);
		req_free(r);
	}
	while ((r = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, r, entry);
		req_free(r);
	}
	/* Cached connections still have events: stop watching before curl closes the fds. */
	TAILQ_FOREACH(s, &h->socks, entry)
		event_del(&s->ev);
	curl_multi_cleanup(h->multi);
	while ((s = TAILQ_FIRST(&h->socks)) != NULL)
		sock_forget(s);
	event_free(h->timer);
	event_free(h->deliver_ev);
	free(h);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->delivering > 0 || h->in_curl > 0) {
		/* Called from one of our callbacks: tear down once it returns, with no further callbacks. */
		h->dying = true;
		return;
	}
	http_destroy(h);
}

void
http_set_max_host_connections(struct http *h, long n)
{
	if (h == NULL || n < 0)
		return;
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, n);
	/* The cache must hold at least that many per host or reuse suffers. */
	if (n > 64)
		curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, n * 4);
}

static long
to_ms(double secs)
{
	if (secs <= 0)
		return 0;
	if (secs > 1e9)
		return 1000000000L;
	long ms = (long)ceil(secs * 1000.0);
	return ms < 1 ? 1 : ms;
}

struct http_req *
http_start(struct http *h, const struct http_opts *o, http_data_cb *data_cb, http_done_cb *done_cb,
    void *arg)
{
	struct http_req *r;
	CURL *e;

	if (h == NULL || h->dying || o == NULL || o->url == NULL)
		return NULL;
	e = curl_easy_init();
	if (e == NULL)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->h = h;
	r->easy = e;
	r->url = xstrdup(o->url);
	r->data_cb = data_cb;
	r->done_cb = done_cb;
	r->arg = arg;
	r->connect_timeout = o->connect_timeout;
	r->idle_timeout = o->idle_timeout;
	r->total_timeout = o->total_timeout;
	r->max_bytes = o->max_bytes;
	r->retry_after = -1;
	r->started = r->last_byte = now_mono_ns();
	if (o->idle_timeout > 0)
		r->idle_ev = evtimer_new(h->base, idle_event_cb, r);

	for (size_t i = 0; o->headers != NULL && o->headers[i] != NULL; i++)
		r->headers = curl_slist_append(r->headers, o->headers[i]);
	/* No "Expect: 100-continue" round trip (a 1 s stall for bodies over 1 KiB on old curls). */
	r->headers = curl_slist_append(r->headers, "Expect:");

	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(e, CURLOPT_USERAGENT, "yggd/" YGG_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, prereq_cb);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, r);
	if (o->connect_timeout > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, to_ms(o->connect_timeout));
	if (o->total_timeout > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, to_ms(o->total_timeout));

	const char *method = o->method != NULL ? o->method : (o->body != NULL ? "POST" : "GET");
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		r->body = xmalloc(o->body_len + 1);
		if (o->body_len > 0)
			memcpy(r->body, o->body, o->body_len);
		r->body[o->body_len] = '\0';
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}

	h->nactive++;
	if (h->in_curl > 0) {
		r->state = REQ_PENDING_ADD;
		TAILQ_INSERT_TAIL(&h->pending, r, entry);
		return r;
	}
	req_add(r);
	return r;
}

void
http_cancel(struct http_req *r)
{
	struct http *h;

	if (r == NULL)
		return;
	h = r->h;
	switch (r->state) {
	case REQ_PENDING_ADD:
		TAILQ_REMOVE(&h->pending, r, entry);
		h->nactive--;
		req_free(r);
		break;
	case REQ_ACTIVE:
		if (r->idle_ev != NULL)
			evtimer_del(r->idle_ev);
		TAILQ_REMOVE(&h->active, r, entry);
		h->nactive--;
		if (h->in_curl > 0) {
			/* curl forbids remove_handle from its callbacks: the write callback aborts it meanwhile */
			r->state = REQ_ZOMBIE;
			TAILQ_INSERT_TAIL(&h->zombies, r, entry);
			break;
		}
		/* Mid-transfer, so curl closes the connection: the server sees the client go. */
		curl_multi_remove_handle(h->multi, r->easy);
		req_free(r);
		break;
	case REQ_DONE:
		TAILQ_REMOVE(&h->done, r, entry);
		req_free(r);
		break;
	case REQ_CALLING:
	case REQ_ZOMBIE:
		break;
	}
}

size_t
http_in_flight(const struct http *h)
{
	return h != NULL ? h->nactive : 0;
}

long
http_req_status(const struct http_req *r)
{
	long status = 0;

	if (r == NULL || r->easy == NULL)
		return 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	return status;
}
