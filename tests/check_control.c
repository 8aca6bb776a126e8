/*
 * check_control.c - the control API as an operator meets it: the real yggd on a
 * temporary tracker with a mock LLM host, asked over TCP and over its unix
 * socket; yggctl status, monitor, cancel and reload; ygg-plugin list asking the
 * daemon. What is checked is what a person would see: the JSON fields, the HTTP
 * codes and messages, the tracker file, the socket file's mode, exit codes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

#define TOKEN "t0ken-for-tests"

/* ---- helpers */

/* A TCP port nobody listens on now: bind port 0, read it back, let it go. */
static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

struct env {
	char *dir;
	char *beads;
	char *tracker;
	char *config;
	char *log;
	char *token_file;
	char *sock; /* unix socket path, or NULL for TCP */
	int port;   /* control port (TCP) */
	pid_t mock;
	int mock_port;
	pid_t yggd;
};

static const char *issue_fmt =
    "{\"id\":\"%s\",\"title\":\"%s\",\"status\":\"open\",\"priority\":%d,\"issue_type\":\"task\","
    "\"created_at\":\"2026-01-01T10:00:0%dZ\",\"updated_at\":\"2026-01-01T10:00:00Z\"}\n";

static void
env_init(struct env *e, bool with_mock)
{
	memset(e, 0, sizeof *e);
	e->dir = tu_tmpdir();
	e->beads = xasprintf("%s/.beads", e->dir);
	mkdir(e->beads, 0755);
	e->tracker = xasprintf("%s/issues.jsonl", e->beads);
	e->config = xasprintf("%s/ygg.ini", e->dir);
	e->log = xasprintf("%s/yggd.log", e->dir);
	e->token_file = xasprintf("%s/token", e->dir);
	tu_write_file(e->tracker, "");
	if (with_mock) {
		e->mock = tu_mock_start(&e->mock_port, NULL);
		ck_assert_msg(e->mock_port > 0, "mockhost did not start");
	} else {
		e->mock_port = 9; /* discard: nothing is sent there in these tests */
	}
}

/* The issues: id, title, priority triples, NULL-terminated. */
static void
env_issues(struct env *e, const char *const *v)
{
	FILE *f = fopen(e->tracker, "w");

	ck_assert_ptr_nonnull(f);
	for (int i = 0; v[i] != NULL; i += 3)
		fprintf(f, issue_fmt, v[i], v[i + 1], atoi(v[i + 2]), i / 3 % 10);
	fclose(f);
}

static void
env_token(struct env *e, mode_t mode)
{
	tu_write_file(e->token_file, TOKEN "\nthe second line is not part of the token\n");
	chmod(e->token_file, mode);
}

/* control: "tcp" (a free port, with the token file when token), or "unix". */
static void
env_config(struct env *e, const char *control, bool token, int slots_a, const char *extra)
{
	char *plugins = tu_build("plugins");
	char *ctl;

	if (strcmp(control, "unix") == 0) {
		free(e->sock);
		e->sock = xasprintf("%s/control.sock", e->dir);
		ctl = xasprintf("unix:%s", e->sock);
	} else {
		if (e->port == 0)
			e->port = free_port();
		ctl = xasprintf("127.0.0.1:%d", e->port);
	}
	tu_write_filef(e->config,
	    "[yggd]\nstore = jsonl\nbeads_dir = .beads\nplugin_dir = %s\nartifacts_dir = artifacts\n"
	    "control = %s\n%s%s\npoll_interval = 1\nmax_attempts = 2\nbackoff_base = 0.05\nbackoff_max = 0.2\n"
	    "shutdown_grace = 30\n%s\n"
	    "[host.gpu-a]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m1\nslots = %d\n\n"
	    "[host.gpu-b]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m2\nslots = 3\n\n"
	    "[handler.general]\nhosts = gpu-a, gpu-b\ndefault = yes\n",
	    plugins, ctl, token ? "control_token_file = " : "", token ? e->token_file : "", extra != NULL ? extra : "",
	    e->mock_port, slots_a, e->mock_port);
	free(ctl);
	free(plugins);
}

static void
show_log(struct env *e)
{
	char *l = tu_read_file(e->log, NULL);

	fprintf(stderr, "---- yggd log (%s)\n%s----\n", e->log, l != NULL ? l : "(none)");
	free(l);
}

/* GET or POST over the unix socket (the test's own client, not yggctl's). */
static char *
uds_request(const char *sock, const char *method, const char *path, long *status)
{
	CURL *c = curl_easy_init();
	char *url = xasprintf("http://localhost%s", path);
	FILE *mem;
	char *body = NULL;
	size_t len = 0;

	mem = open_memstream(&body, &len);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	*status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	fclose(mem);
	curl_easy_cleanup(c);
	free(url);
	return body;
}

static char *
env_get(struct env *e, const char *path, long *status)
{
	return e->sock != NULL ? uds_request(e->sock, "GET", path, status) : tu_http_get(e->port, path, status);
}

/* Start yggd and wait until /status answers. */
static void
env_start(struct env *e)
{
	char *bin = tu_bin("yggd");
	char *argv[] = { bin, "-c", e->config, "-v", NULL };
	long status = 0;

	e->yggd = tu_spawn(argv, e->log);
	free(bin);
	for (int i = 0; i < 1000 && status != 200; i++) {
		tu_sleep(0.01);
		free(env_get(e, "/status", &status));
		if (status != 200 && kill(e->yggd, 0) == -1)
			break;
	}
	if (status != 200)
		show_log(e);
	ck_assert_msg(status == 200, "yggd did not answer GET /status");
}

static int
env_stop(struct env *e)
{
	int rc = 0;

	if (e->yggd > 0) {
		kill(e->yggd, SIGTERM);
		rc = tu_wait(e->yggd, 40);
		e->yggd = 0;
	}
	return rc;
}

static void
env_free(struct env *e)
{
	if (e->yggd > 0) {
		kill(e->yggd, SIGKILL);
		tu_wait(e->yggd, 5);
	}
	if (e->mock > 0)
		tu_mock_stop(e->mock);
	if (getenv("YGG_SHOW_LOG") != NULL)
		show_log(e);
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->beads);
	free(e->tracker);
	free(e->config);
	free(e->log);
	free(e->token_file);
	free(e->sock);
}

static json_object *
get_json(struct env *e, const char *path)
{
	long status;
	char *body = env_get(e, path, &status);
	json_object *o;

	ck_assert_msg(status == 200, "GET %s: HTTP %ld: %s", path, status, body != NULL ? body : "");
	o = json_tokener_parse(body);
	ck_assert_msg(o != NULL, "GET %s is not JSON: %s", path, body);
	free(body);
	return o;
}

static json_object *
member(json_object *o, const char *key)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
	    json_object_to_json_string(o));
	return v;
}

static const char *
str_of(json_object *o, const char *key)
{
	return json_object_get_string(member(o, key));
}

static int64_t
int_of(json_object *o, const char *key)
{
	return json_object_get_int64(member(o, key));
}

/* The element of array whose key equals value, or NULL. */
static json_object *
find_by(json_object *array, const char *key, const char *value)
{
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		json_object *e = json_object_array_get_idx(array, i), *v;
		if (json_object_object_get_ex(e, key, &v) && json_object_get_string(v) != NULL &&
		    strcmp(json_object_get_string(v), value) == 0)
			return e;
	}
	return NULL;
}

/* Wait until /status shows task id in state; returns /status (caller puts). */
static json_object *
wait_task_state(struct env *e, const char *id, const char *state, double timeout)
{
	for (double waited = 0; waited < timeout; waited += 0.02) {
		json_object *s = get_json(e, "/status");
		json_object *t = find_by(member(s, "tasks"), "id", id);
		if (t != NULL && strcmp(str_of(t, "state"), state) == 0)
			return s;
		json_object_put(s);
		tu_sleep(0.02);
	}
	show_log(e);
	ck_abort_msg("task %s never reached state %s", id, state);
	return NULL;
}

/* The "status" of issue id in the tracker file now, or NULL (caller frees). */
static char *
tracker_status(struct env *e, const char *id, char **assignee)
{
	char *data = tu_read_file(e->tracker, NULL), *out = NULL;

	if (assignee != NULL)
		*assignee = NULL;
	for (char *line = data != NULL ? strtok(data, "\n") : NULL; line != NULL; line = strtok(NULL, "\n")) {
		json_object *o = json_tokener_parse(line), *v;
		if (o != NULL && json_object_object_get_ex(o, "id", &v) && strcmp(json_object_get_string(v), id) == 0) {
			free(out);
			out = json_object_object_get_ex(o, "status", &v) ? xstrdup(json_object_get_string(v)) : NULL;
			if (assignee != NULL) {
				free(*assignee);
				*assignee = json_object_object_get_ex(o, "assignee", &v) ? xstrdup(json_object_get_string(v)) : NULL;
			}
		}
		json_object_put(o);
	}
	free(data);
	return out;
}

static char *
run_prog(const char *prog, char *const args[], int *rc)
{
	char *bin = tu_bin(prog);
	char *argv[16];
	char *out = NULL;
	size_t n = 0;

	argv[n++] = bin;
	for (size_t i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	*rc = tu_run(argv, 30, &out);
	free(bin);
	return out;
}

/* ---- addresses and tokens */

START_TEST(test_addr_parse)
{
	static const struct {
		const char *in;
		int kind; /* -1: refused */
		const char *host_or_path;
		int port;
		const char *why; /* part of the refusal */
	} cases[] = {
		{ "127.0.0.1:7411", CONTROL_TCP, "127.0.0.1", 7411, NULL },
		{ "[::1]:7411", CONTROL_TCP, "::1", 7411, NULL },
		{ "localhost:8080", CONTROL_TCP, "127.0.0.1", 8080, NULL },
		{ "0.0.0.0:0", CONTROL_TCP, "0.0.0.0", 0, NULL },
		{ "unix:/run/ygg/control.sock", CONTROL_UNIX, "/run/ygg/control.sock", 0, NULL },
		{ "off", CONTROL_OFF, NULL, 0, NULL },
		{ "7411", -1, NULL, 0, "expected IP:PORT" },
		{ "127.0.0.1", -1, NULL, 0, "expected IP:PORT" },
		{ "127.0.0.1:65536", -1, NULL, 0, "port" },
		{ "127.0.0.1:-1", -1, NULL, 0, "port" },
		{ "127.0.0.1:80x", -1, NULL, 0, "port" },
		{ "skadi:7411", -1, NULL, 0, "not an IP address" },
		{ "[::1]7411", -1, NULL, 0, "[ADDR]:PORT" },
		{ "[nope]:7411", -1, NULL, 0, "not an IPv6 address" },
		{ "unix:", -1, NULL, 0, "socket path is missing" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct control_addr a;
		char *cause = NULL;
		int rc = control_addr_parse(cases[i].in, &a, &cause);
		if (cases[i].kind == -1) {
			ck_assert_msg(rc == -1, "%s was accepted", cases[i].in);
			ck_assert_msg(strstr(cause, cases[i].why) != NULL && strstr(cause, "control = ") == cause,
			    "%s: %s", cases[i].in, cause);
			free(cause);
			continue;
		}
		ck_assert_msg(rc == 0, "%s refused: %s", cases[i].in, cause);
		ck_assert_int_eq(a.kind, cases[i].kind);
		if (a.kind == CONTROL_TCP) {
			ck_assert_str_eq(a.host, cases[i].host_or_path);
			ck_assert_int_eq(a.port, cases[i].port);
		} else if (a.kind == CONTROL_UNIX) {
			ck_assert_str_eq(a.path, cases[i].host_or_path);
		}
		control_addr_clear(&a);
	}
	/* a path longer than sun_path */
	char long_path[200];
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	memcpy(long_path, "unix:/", 6);
	struct control_addr a;
	char *cause = NULL;
	ck_assert_int_eq(control_addr_parse(long_path, &a, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "longer than"));
	free(cause);
}
END_TEST

START_TEST(test_token_read)
{
	static const struct {
		const char *text; /* NULL: no file */
		mode_t mode;
		const char *token; /* NULL: refused */
		const char *why;
	} cases[] = {
		{ "abc\n", 0600, "abc", NULL },
		{ "  spaced token \r\nsecond line\n", 0400, "spaced token", NULL },
		{ "no-newline", 0600, "no-newline", NULL },
		{ "abc\n", 0640, NULL, "has mode 0640" },
		{ "abc\n", 0604, NULL, "chmod 600" },
		{ "\nabc\n", 0600, NULL, "first line is empty" },
		{ "", 0600, NULL, "first line is empty" },
		{ NULL, 0600, NULL, "No such file" },
	};
	char *dir = tu_tmpdir();
	char *path = xasprintf("%s/token", dir);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *tok = NULL, *cause = NULL;
		unlink(path);
		if (cases[i].text != NULL) {
			tu_write_file(path, cases[i].text);
			chmod(path, cases[i].mode);
		}
		int rc = control_token_read(path, &tok, &cause);
		if (cases[i].token != NULL) {
			ck_assert_msg(rc == 0, "case %zu refused: %s", i, cause);
			ck_assert_str_eq(tok, cases[i].token);
			free(tok);
		} else {
			ck_assert_msg(rc == -1, "case %zu accepted", i);
			ck_assert_msg(strstr(cause, cases[i].why) != NULL && strstr(cause, path) != NULL, "case %zu: %s", i,
			    cause);
			free(cause);
		}
	}
	tu_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

/* ---- the endpoints over TCP, with a task held in flight by the mock */

START_TEST(test_status_and_endpoints)
{
	struct env e;
	json_object *s, *h, *t, *p;
	long status;
	char *body;

	env_init(&e, true);
	env_token(&e, 0600);
	env_config(&e, "tcp", true, 2, NULL);
	env_issues(&e, (const char *const[]){ "hold-1", "Hold this one [mock latency=4s]", "0", NULL });
	env_start(&e);

	/* a task in flight, seen while the mock holds it */
	s = wait_task_state(&e, "hold-1", "running", 10);
	ck_assert_str_eq(str_of(s, "version"), YGG_VERSION);
	ck_assert_str_eq(str_of(s, "store"), "jsonl");
	ck_assert_int_ge(int_of(s, "uptime_s"), 0);
	ck_assert_int_eq(int_of(s, "in_flight"), 1);
	ck_assert_int_eq(int_of(s, "slots"), 5);
	ck_assert_int_eq(json_object_array_length(member(s, "hosts")), 2);
	h = find_by(member(s, "hosts"), "name", "gpu-a");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(int_of(h, "slots"), 2);
	ck_assert_int_eq(int_of(h, "in_flight"), 1);
	ck_assert_str_eq(str_of(h, "api"), "ollama");
	ck_assert_str_eq(str_of(h, "model"), "m1");
	ck_assert(json_object_get_boolean(member(h, "healthy")));
	h = find_by(member(s, "hosts"), "name", "gpu-b");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(int_of(h, "slots"), 3);
	ck_assert_int_eq(int_of(h, "in_flight"), 0);
	ck_assert_str_eq(str_of(h, "api"), "openai");
	t = find_by(member(s, "tasks"), "id", "hold-1");
	ck_assert_str_eq(str_of(t, "host"), "gpu-a");
	ck_assert_str_eq(str_of(t, "handler"), "general");
	ck_assert_str_eq(str_of(t, "title"), "Hold this one [mock latency=4s]");
	ck_assert_int_eq(int_of(t, "attempt"), 1);
	p = find_by(member(s, "handlers"), "type", "general");
	ck_assert_str_eq(str_of(p, "plugin"), "general");
	ck_assert_str_eq(json_object_to_json_string(member(p, "hosts")), "[ \"gpu-a\", \"gpu-b\" ]");
	p = find_by(member(s, "plugins"), "name", "general");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(int_of(p, "in_flight"), 1);
	ck_assert_int_eq(json_object_array_length(member(s, "plugin_errors")), 0);
	json_object_put(s);

	/* /plugins: the same plugin, with its task in flight and the hosts it sends to */
	s = get_json(&e, "/plugins");
	p = find_by(member(s, "plugins"), "name", "general");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(int_of(p, "in_flight"), 1);
	ck_assert_str_eq(json_object_to_json_string(member(p, "hosts")), "[ \"gpu-a\", \"gpu-b\" ]");
	ck_assert_int_eq(json_object_array_length(member(s, "refused")), 0);
	json_object_put(s);

	/* /metrics and / answer with their types */
	body = tu_http_get(e.port, "/metrics", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(strstr(body, "ygg_host_slots{host=\"gpu-b\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(body, "ygg_host_in_flight{host=\"gpu-a\"} 1\n"));
	free(body);
	body = tu_http_get(e.port, "/", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(strstr(body, "<!DOCTYPE html>"));
	free(body);

	/* unknown paths and wrong methods */
	body = tu_http_get(e.port, "/nothing-here", &status);
	ck_assert_int_eq(status, 404);
	ck_assert_ptr_nonnull(strstr(body, "no such endpoint: /nothing-here"));
	free(body);
	body = tu_http_post(e.port, "/status", NULL, TOKEN, &status);
	ck_assert_int_eq(status, 405);
	free(body);
	body = tu_http_get(e.port, "/reload", &status);
	ck_assert_int_eq(status, 405);
	ck_assert_ptr_nonnull(strstr(body, "use POST"));
	free(body);

	/* cancel: refused without the token or with a wrong one, then done */
	body = tu_http_post(e.port, "/tasks/hold-1/cancel", NULL, NULL, &status);
	ck_assert_int_eq(status, 401);
	ck_assert_ptr_nonnull(strstr(body, "Authorization: Bearer"));
	free(body);
	body = tu_http_post(e.port, "/tasks/hold-1/cancel", NULL, "wrong-token", &status);
	ck_assert_int_eq(status, 401);
	ck_assert_ptr_nonnull(strstr(body, "wrong token"));
	free(body);
	body = tu_http_post(e.port, "/tasks/no-such-task/cancel", NULL, TOKEN, &status);
	ck_assert_int_eq(status, 404);
	ck_assert_ptr_nonnull(strstr(body, "no-such-task is not in flight"));
	free(body);
	body = tu_http_post(e.port, "/tasks/hold-1/cancel", NULL, TOKEN, &status);
	ck_assert_msg(status == 200, "cancel: %ld %s", status, body);
	ck_assert_ptr_nonnull(strstr(body, "\"cancelled\":true"));
	free(body);
	/* the request to the host was aborted, and the daemon says the task was reopened */
	bool aborted = false, reopened = false;
	for (int i = 0; i < 250 && !(aborted && reopened); i++) {
		char *ms = tu_http_get(e.mock_port, "/_mock/stats", &status);
		json_object *m = json_tokener_parse(ms), *first = find_by(member(m, "log"), "task", "hold-1");
		aborted = first != NULL && strcmp(str_of(first, "outcome"), "aborted") == 0;
		json_object_put(m);
		free(ms);
		s = get_json(&e, "/status");
		json_object *r = find_by(member(s, "recent"), "id", "hold-1");
		reopened = r != NULL && strcmp(str_of(r, "outcome"), "reopened") == 0;
		json_object_put(s);
		tu_sleep(0.02);
	}
	ck_assert_msg(aborted, "the mock did not see hold-1's request aborted");
	ck_assert_msg(reopened, "/status recent[] does not show hold-1 reopened");

	/* a broken configuration: 400 with the loader's words, and the daemon goes on */
	char *good = tu_read_file(e.config, NULL);
	char *at = strstr(good, "poll_interval");
	ck_assert_ptr_nonnull(at);
	tu_write_filef(e.config, "%.*sno_such_key = 1\n%s", (int)(at - good), good, at);
	body = tu_http_post(e.port, "/reload", NULL, TOKEN, &status);
	ck_assert_msg(status == 400, "reload of a broken config: %ld %s", status, body);
	ck_assert_msg(strstr(body, "no_such_key") != NULL && strstr(body, "ygg.ini") != NULL, "%s", body);
	free(body);
	ck_assert_int_eq(kill(e.yggd, 0), 0);
	s = get_json(&e, "/status");
	ck_assert_int_eq(int_of(find_by(member(s, "hosts"), "name", "gpu-a"), "slots"), 2);
	json_object_put(s);

	/* a good one: 200, and the new slot count shows */
	env_config(&e, "tcp", true, 4, NULL);
	body = tu_http_post(e.port, "/reload", NULL, TOKEN, &status);
	ck_assert_msg(status == 200, "reload: %ld %s", status, body);
	ck_assert_ptr_nonnull(strstr(body, "\"reloaded\":true"));
	free(body);
	s = get_json(&e, "/status");
	ck_assert_int_eq(int_of(find_by(member(s, "hosts"), "name", "gpu-a"), "slots"), 4);
	json_object_put(s);
	free(good);

	ck_assert_int_eq(env_stop(&e), 0);
	env_free(&e);
}
END_TEST

/*
 * Cancel while the daemon is stopping (SIGTERM: no new claims), so nothing can
 * claim the issue again: the tracker must say open, with no assignee, long
 * before the 4 s request would have ended, and the daemon exits at once.
 */
START_TEST(test_cancel_reopens_in_tracker)
{
	struct env e;
	long status;
	char *body, *st, *who = NULL;
	int64_t t0;

	env_init(&e, true);
	env_token(&e, 0600);
	env_config(&e, "tcp", true, 2, NULL);
	env_issues(&e, (const char *const[]){ "c-1", "Cancel me [mock latency=4s]", "1", NULL });
	env_start(&e);
	json_object_put(wait_task_state(&e, "c-1", "running", 10));
	/* the claim is answered before its rewrite lands: give the file a moment */
	for (int i = 0; i < 500; i++) {
		st = tracker_status(&e, "c-1", &who);
		if (st != NULL && strcmp(st, "in_progress") == 0)
			break;
		free(st);
		free(who);
		st = who = NULL;
		tu_sleep(0.01);
	}
	ck_assert_ptr_nonnull(st);
	ck_assert_str_eq(st, "in_progress");
	ck_assert_str_eq(who, "yggd");
	free(st);
	free(who);

	kill(e.yggd, SIGTERM);
	tu_sleep(0.2);
	t0 = now_mono_ns();
	body = tu_http_post(e.port, "/tasks/c-1/cancel", NULL, TOKEN, &status);
	ck_assert_msg(status == 200, "cancel: %ld %s", status, body);
	free(body);
	ck_assert_int_eq(tu_wait(e.yggd, 10), 0);
	e.yggd = 0;
	ck_assert_msg(now_mono_ns() - t0 < INT64_C(3000000000), "yggd waited for the cancelled request");
	st = tracker_status(&e, "c-1", &who);
	ck_assert_str_eq(st, "open");
	ck_assert_ptr_null(who);
	free(st);
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "task=c-1 cancelled by the operator"));
	free(log);
	env_free(&e);
}
END_TEST

/* Without control_token_file, POST over TCP is refused (403) and GET still works. */
START_TEST(test_no_token_file)
{
	struct env e;
	long status;
	char *body;

	env_init(&e, true);
	env_config(&e, "tcp", false, 2, NULL);
	env_start(&e);
	static const char *const paths[] = { "/reload", "/tasks/x-1/cancel" };
	for (size_t i = 0; i < 2; i++) {
		body = tu_http_post(e.port, paths[i], NULL, TOKEN, &status);
		ck_assert_int_eq(status, 403);
		ck_assert_ptr_nonnull(strstr(body, "set control_token_file to allow this over TCP"));
		free(body);
	}
	body = tu_http_get(e.port, "/status", &status);
	ck_assert_int_eq(status, 200);
	free(body);
	ck_assert_int_eq(env_stop(&e), 0);
	env_free(&e);
}
END_TEST

/* Start-up errors: a token file others can read, a port that is taken. */
START_TEST(test_startup_refusals)
{
	struct env e;
	int rc;
	char *bin = tu_bin("yggd"), *out;

	env_init(&e, false);
	env_token(&e, 0644);
	env_config(&e, "tcp", true, 2, NULL);
	char *argv[] = { bin, "-c", e.config, NULL };
	rc = tu_run(argv, 10, &out);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(out, e.token_file) != NULL && strstr(out, "chmod 600") != NULL, "%s", out);
	free(out);

	/* a port somebody else listens on */
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)e.port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	env_token(&e, 0600);
	rc = tu_run(argv, 10, &out);
	ck_assert_int_ne(rc, 0);
	char *want = xasprintf("control = 127.0.0.1:%d: cannot listen there", e.port);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(want);
	free(out);
	close(fd);
	free(bin);
	env_free(&e);
}
END_TEST

/* The unix socket: 0600, stale file replaced, no token needed, removed at exit. */
START_TEST(test_unix_socket)
{
	struct env e;
	struct stat st;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long status;
	char *body;

	env_init(&e, true);
	env_config(&e, "unix", false, 2, NULL);
	/* a stale socket: bound, then its owner went away */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sun.sun_path, e.sock, strlen(e.sock));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
	ck_assert_int_eq(lstat(e.sock, &st), 0);

	env_start(&e);
	ck_assert_int_eq(lstat(e.sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	json_object *s = get_json(&e, "/status");
	ck_assert_ptr_nonnull(find_by(member(s, "hosts"), "name", "gpu-a"));
	json_object_put(s);
	body = uds_request(e.sock, "POST", "/reload", &status);
	ck_assert_msg(status == 200, "reload over the socket: %ld %s", status, body);
	free(body);
	body = uds_request(e.sock, "POST", "/tasks/nope/cancel", &status);
	ck_assert_int_eq(status, 404);
	free(body);

	/* yggctl reaches it too, and changes need no token there */
	char *ctl = xasprintf("unix:%s", e.sock), *cout;
	int crc;
	cout = run_prog("yggctl", (char *const[]){ "status", "--control", ctl, NULL }, &crc);
	ck_assert_msg(crc == 0 && strstr(cout, "gpu-a") != NULL && strstr(cout, "[---] 0/3") != NULL, "%d %s", crc, cout);
	free(cout);
	cout = run_prog("yggctl", (char *const[]){ "reload", "--control", ctl, NULL }, &crc);
	ck_assert_msg(crc == 0 && strstr(cout, "reloaded") != NULL, "%d %s", crc, cout);
	free(cout);
	free(ctl);

	/* a second daemon on the same socket is refused, and does not remove it */
	char *bin = tu_bin("yggd"), *out;
	char *cfg2 = xasprintf("%s/second.ini", e.dir);
	char *text = tu_read_file(e.config, NULL);
	char *at = strstr(text, "store = jsonl\n");
	ck_assert_ptr_nonnull(at);
	/* another assignee: the instance lock lets it through to the socket */
	tu_write_filef(cfg2, "%.*sassignee = second\n%s", (int)(at - text), text, at);
	free(text);
	char *argv[] = { bin, "-c", cfg2, NULL };
	int rc = tu_run(argv, 10, &out);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(out, "another process (another yggd?) answers on") != NULL, "%s", out);
	free(out);
	free(cfg2);
	free(bin);
	ck_assert_int_eq(lstat(e.sock, &st), 0);

	ck_assert_int_eq(env_stop(&e), 0);
	ck_assert_int_eq(lstat(e.sock, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	env_free(&e);
}
END_TEST

/* ---- yggctl and ygg-plugin against a running daemon */

START_TEST(test_yggctl)
{
	struct env e;
	char *out;
	int rc;

	env_init(&e, true);
	env_token(&e, 0600);
	env_config(&e, "tcp", true, 2, NULL);
	env_issues(&e, (const char *const[]){ "y-1", "Held for yggctl [mock latency=5s]", "0", "y-2",
	    "Quick one", "1", NULL });
	env_start(&e);
	json_object_put(wait_task_state(&e, "y-1", "running", 10));
	/* wait for y-2 to finish so RECENT has a line */
	for (int i = 0; i < 250; i++) {
		json_object *s = get_json(&e, "/status");
		bool done = find_by(member(s, "recent"), "id", "y-2") != NULL;
		json_object_put(s);
		if (done)
			break;
		tu_sleep(0.02);
	}

	out = run_prog("yggctl", (char *const[]){ "status", "-c", e.config, NULL }, &rc);
	ck_assert_msg(rc == 0, "yggctl status: %d %s", rc, out);
	static const char *const want[] = { "HOST", "gpu-a", "gpu-b", "[#-] 1/2", "[---] 0/3", "IN FLIGHT (1)", "y-1",
		"Held for yggctl", "running", "RECENT", "y-2", "closed", "general" };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(out, want[i]) != NULL, "yggctl status lacks \"%s\":\n%s", want[i], out);
	free(out);

	out = run_prog("yggctl", (char *const[]){ "monitor", "--once", "-c", e.config, NULL }, &rc);
	ck_assert_msg(rc == 0, "yggctl monitor: %d %s", rc, out);
	ck_assert_msg(strstr(out, "gpu-a") != NULL && strstr(out, "1/2") != NULL && strstr(out, "y-2") != NULL &&
	        strstr(out, "\033[") == NULL,
	    "monitor --once:\n%s", out);
	free(out);

	/* --control without a token: reading works, changing is refused with a hint */
	char *addr = xasprintf("127.0.0.1:%d", e.port);
	out = run_prog("yggctl", (char *const[]){ "reload", "--control", addr, NULL }, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "refused") != NULL && strstr(out, "token") != NULL, "%s", out);
	free(out);
	out = run_prog("yggctl", (char *const[]){ "reload", "--control", addr, "--token-file", e.token_file, NULL }, &rc);
	ck_assert_msg(rc == 0 && strstr(out, "reloaded") != NULL, "%d %s", rc, out);
	free(out);

	out = run_prog("yggctl", (char *const[]){ "cancel", "-c", e.config, "no-such", NULL }, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "no-such is not in flight") != NULL, "%s", out);
	free(out);
	out = run_prog("yggctl", (char *const[]){ "cancel", "-c", e.config, "y-1", NULL }, &rc);
	ck_assert_msg(rc == 0 && strstr(out, "y-1 cancelled") != NULL, "%d %s", rc, out);
	free(out);

	/* ygg-plugin list asks the daemon: tasks in flight per plugin */
	out = run_prog("ygg-plugin", (char *const[]){ "-c", e.config, "list", NULL }, &rc);
	ck_assert_msg(rc == 0, "ygg-plugin list: %d %s", rc, out);
	ck_assert_msg(strstr(out, "from the running yggd") != NULL && strstr(out, "IN FLIGHT") != NULL &&
	        strstr(out, "general") != NULL && strstr(out, "did not answer") == NULL,
	    "%s", out);
	free(out);

	ck_assert_int_eq(env_stop(&e), 0);

	/* nobody answers now */
	out = run_prog("yggctl", (char *const[]){ "status", "-c", e.config, NULL }, &rc);
	ck_assert_int_eq(rc, 1);
	char *msg = xasprintf("yggctl: no yggd answers at %s (is it running? control = %s in %s)", addr, addr, e.config);
	ck_assert_msg(strstr(out, msg) != NULL, "%s", out);
	free(msg);
	free(out);
	out = run_prog("yggctl", (char *const[]){ "monitor", "--once", "-c", e.config, NULL }, &rc);
	ck_assert_int_eq(rc, 1);
	ck_assert_ptr_nonnull(strstr(out, "no yggd answers at"));
	free(out);
	out = run_prog("ygg-plugin", (char *const[]){ "-c", e.config, "list", NULL }, &rc);
	ck_assert_int_eq(rc, 0);
	char *plugdir = tu_build("plugins");
	msg = xasprintf("ygg-plugin: the daemon did not answer at %s; loading plugin_dir %s directly", addr, plugdir);
	ck_assert_msg(strstr(out, msg) != NULL && strstr(out, "general") != NULL, "%s", out);
	free(msg);
	free(plugdir);
	free(out);
	free(addr);
	env_free(&e);
}
END_TEST

/* Refused plugins show in /status, /plugins, yggctl status and ygg-plugin list. */
START_TEST(test_refused_plugins)
{
	struct env e;
	char *out;
	int rc;

	env_init(&e, true);
	char *pdir = xasprintf("%s/plugins", e.dir);
	mkdir(pdir, 0755);
	chmod(pdir, 0755);
	static const char *const files[][2] = { { "plugins", "general.so" }, { "tests/plugins", "bad_abi.so" } };
	for (size_t i = 0; i < 2; i++) {
		char *rel = xasprintf("%s/%s", files[i][0], files[i][1]), *from = tu_build(rel);
		char *to = xasprintf("%s/%s", pdir, files[i][1]);
		size_t len;
		char *data = tu_read_file(from, &len);
		ck_assert_msg(data != NULL, "%s missing", from);
		FILE *f = fopen(to, "w");
		fwrite(data, 1, len, f);
		fclose(f);
		chmod(to, 0644);
		free(data);
		free(rel);
		free(from);
		free(to);
	}
	char *extra = xasprintf("plugin_dir = %s\n", pdir);
	env_config(&e, "tcp", false, 2, NULL);
	/* plugin_dir given twice would be refused: point the one line at the new folder */
	char *text = tu_read_file(e.config, NULL), *at = strstr(text, "plugin_dir = "), *eol = strchr(at, '\n');
	tu_write_filef(e.config, "%.*s%s%s", (int)(at - text), text, extra, eol + 1);
	free(text);
	free(extra);
	env_start(&e);

	json_object *s = get_json(&e, "/status"), *pe;
	ck_assert_int_eq(json_object_array_length(member(s, "plugin_errors")), 1);
	pe = json_object_array_get_idx(member(s, "plugin_errors"), 0);
	ck_assert_ptr_nonnull(strstr(str_of(pe, "file"), "bad_abi.so"));
	ck_assert_msg(strstr(str_of(pe, "reason"), "ABI") != NULL || strstr(str_of(pe, "reason"), "abi") != NULL,
	    "reason: %s", str_of(pe, "reason"));
	ck_assert_ptr_nonnull(find_by(member(s, "plugins"), "name", "general"));
	json_object_put(s);
	s = get_json(&e, "/plugins");
	ck_assert_int_eq(json_object_array_length(member(s, "refused")), 1);
	json_object_put(s);

	out = run_prog("ygg-plugin", (char *const[]){ "-c", e.config, "list", NULL }, &rc);
	ck_assert_int_eq(rc, 0);
	char *want = xasprintf("refused %s/bad_abi.so: ", pdir);
	ck_assert_msg(strstr(out, "from the running yggd") != NULL && strstr(out, want) != NULL, "%s", out);
	free(out);
	out = run_prog("yggctl", (char *const[]){ "status", "-c", e.config, NULL }, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);
	free(want);
	ck_assert_int_eq(env_stop(&e), 0);
	free(pdir);
	env_free(&e);
}
END_TEST

#ifdef YGG_HAVE_SYSTEMD
/*
 * systemd's side, without systemd: a datagram socket as NOTIFY_SOCKET and
 * WATCHDOG_USEC set the way the service manager sets them. yggd must say
 * READY=1, then WATCHDOG=1 at half the interval, and STOPPING=1 on SIGTERM.
 */
START_TEST(test_watchdog)
{
	struct env e;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *path;
	int fd, ready = 0, pings = 0, stopping = 0;

	env_init(&e, true);
	env_config(&e, "tcp", false, 2, NULL);
	path = xasprintf("%s/notify.sock", e.dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memcpy(sun.sun_path, path, strlen(path));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "400000", 1); /* 0.4 s: a ping every 0.2 s */
	unsetenv("WATCHDOG_PID");
	env_start(&e);
	int64_t end = now_mono_ns() + INT64_C(1500000000);
	while (now_mono_ns() < end) {
		char msg[4096];
		struct timeval tv = { 0, 100000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		ssize_t n = recv(fd, msg, sizeof msg - 1, 0);
		if (n <= 0)
			continue;
		msg[n] = '\0';
		ready += strstr(msg, "READY=1") != NULL;
		pings += strstr(msg, "WATCHDOG=1") != NULL;
	}
	ck_assert_int_ge(ready, 1);
	/* 1.5 s at one ping per 0.2 s: at least 5 even on a slow machine */
	ck_assert_msg(pings >= 5, "only %d WATCHDOG=1 in 1.5 s", pings);
	kill(e.yggd, SIGTERM);
	for (int i = 0; i < 50 && stopping == 0; i++) {
		char msg[4096];
		struct timeval tv = { 0, 100000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		ssize_t n = recv(fd, msg, sizeof msg - 1, 0);
		if (n > 0) {
			msg[n] = '\0';
			stopping += strstr(msg, "STOPPING=1") != NULL;
		}
	}
	ck_assert_int_eq(stopping, 1);
	ck_assert_int_eq(tu_wait(e.yggd, 20), 0);
	e.yggd = 0;
	char *log = tu_read_file(e.log, NULL);
	ck_assert_ptr_nonnull(strstr(log, "systemd watchdog: keep-alive every 0.2 s"));
	free(log);
	close(fd);
	free(path);
	env_free(&e);
}
END_TEST
#endif

Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("unit");

	tcase_add_test(tc, test_addr_parse);
	tcase_add_test(tc, test_token_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("daemon");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_status_and_endpoints);
	tcase_add_test(tc, test_cancel_reopens_in_tracker);
	tcase_add_test(tc, test_no_token_file);
	tcase_add_test(tc, test_startup_refusals);
	tcase_add_test(tc, test_unix_socket);
	tcase_add_test(tc, test_yggctl);
	tcase_add_test(tc, test_refused_plugins);
#ifdef YGG_HAVE_SYSTEMD
	tcase_add_test(tc, test_watchdog);
#endif
	suite_add_tcase(s, tc);
	return s;
}
