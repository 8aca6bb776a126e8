/*
 * check_page.c - the status page (GET /): self-contained (nothing fetched from
 * anywhere else), and, opened in headless Chromium against a running yggd, its
 * script draws the hosts with their slot counts and the task in flight from
 * /status. A screenshot is left in the build folder (status-page.png) for a
 * person to look at.
 *
 * Chromium is /usr/bin/chromium (or $YGG_CHROMIUM). Without it the browser test
 * fails with "install chromium", unless YGG_SKIP_BROWSER=1 says to skip it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

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
	char *log;
	int port;
	pid_t mock, yggd;
};

/* yggd with two hosts (2 and 3 slots) and one task the mock holds for a while. */
static void
env_start(struct env *e)
{
	char *beads, *plugins = tu_build("plugins"), *bin = tu_bin("yggd"), *config;
	int mport;
	long status = 0;

	memset(e, 0, sizeof *e);
	e->dir = tu_tmpdir();
	e->log = xasprintf("%s/yggd.log", e->dir);
	beads = xasprintf("%s/.beads", e->dir);
	config = xasprintf("%s/ygg.ini", e->dir);
	mkdir(beads, 0755);
	e->mock = tu_mock_start(&mport, NULL);
	ck_assert_int_gt(mport, 0);
	e->port = free_port();
	char *tracker = xasprintf("%s/issues.jsonl", beads);
	tu_write_file(tracker, "{\"id\":\"pg-1\",\"title\":\"Held <b>for</b> the page [mock latency=20s]\","
	                       "\"status\":\"open\",\"priority\":1,\"issue_type\":\"task\"}\n");
	tu_write_filef(config,
	    "[yggd]\nstore = jsonl\nbeads_dir = .beads\nplugin_dir = %s\nartifacts_dir = artifacts\n"
	    "control = 127.0.0.1:%d\nshutdown_grace = 1\n\n"
	    "[host.page-host-a]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 2\n\n"
	    "[host.page-host-b]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 3\n\n"
	    "[handler.general]\nhosts = page-host-a, page-host-b\ndefault = yes\n",
	    plugins, e->port, mport, mport);
	char *argv[] = { bin, "-c", config, NULL };
	e->yggd = tu_spawn(argv, e->log);
	/* up, and the task in flight */
	for (int i = 0; i < 1000; i++) {
		char *body = tu_http_get(e->port, "/status", &status);
		bool running = status == 200 && strstr(body, "\"state\":\"running\"") != NULL;
		free(body);
		if (running)
			break;
		tu_sleep(0.01);
	}
	ck_assert_int_eq(status, 200);
	free(tracker);
	free(beads);
	free(config);
	free(plugins);
	free(bin);
}

static void
env_stop(struct env *e)
{
	if (e->yggd > 0) {
		kill(e->yggd, SIGTERM);
		tu_wait(e->yggd, 20);
	}
	tu_mock_stop(e->mock);
	if (getenv("YGG_SHOW_LOG") != NULL) {
		char *l = tu_read_file(e->log, NULL);
		fprintf(stderr, "%s", l != NULL ? l : "");
		free(l);
	}
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->log);
}

/* Does an attribute value (after name=) point somewhere else? */
static bool
external(const char *v)
{
	if (*v == '"' || *v == '\'')
		v++;
	return strncasecmp(v, "http:", 5) == 0 || strncasecmp(v, "https:", 6) == 0 || strncmp(v, "//", 2) == 0;
}

START_TEST(test_self_contained)
{
	static const char *const attrs[] = { "src=", "href=", "action=", "srcset=", "poster=", "data=" };
	static const char *const never[] = { "<link", "@import", "url(http", "url(//", "<iframe", "<object",
		"<embed", "import(" };
	struct env e;
	long status;
	size_t len;
	const char *page = page_html(&len);

	ck_assert_uint_eq(strlen(page), len);
	ck_assert_ptr_nonnull(strstr(page, "<!DOCTYPE html>"));
	ck_assert_ptr_nonnull(strstr(page, "<style>"));
	ck_assert_ptr_nonnull(strstr(page, "<script>"));

	env_start(&e);
	char *body = tu_http_get(e.port, "/", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(body, page);
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
		for (const char *p = strcasestr(body, attrs[i]); p != NULL; p = strcasestr(p + 1, attrs[i]))
			ck_assert_msg(!external(p + strlen(attrs[i])), "the page loads something from elsewhere: %.60s", p);
	}
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		ck_assert_msg(strcasestr(body, never[i]) == NULL, "the page contains %s", never[i]);
	/* and the data it draws comes from this daemon, by a relative path */
	ck_assert_ptr_nonnull(strstr(body, "fetch(\"status\""));
	free(body);
	env_stop(&e);
}
END_TEST

static const char *
chromium_path(void)
{
	const char *p = getenv("YGG_CHROMIUM");
	return p != NULL && *p != '\0' ? p : "/usr/bin/chromium";
}

/* Run headless Chromium on the page with extra arguments; its output (caller frees). */
static char *
chromium(struct env *e, const char *const *extra, int *rc)
{
	char *profile = xasprintf("%s/chromium-profile", e->dir);
	char *url = xasprintf("http://127.0.0.1:%d/", e->port);
	char *udd = xasprintf("--user-data-dir=%s", profile);
	char *argv[32];
	size_t n = 0;
	char *out = NULL;

	argv[n++] = (char *)chromium_path();
	static const char *const flags[] = { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--virtual-time-budget=3000" };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		argv[n++] = (char *)flags[i];
	argv[n++] = udd;
	for (size_t i = 0; extra[i] != NULL; i++)
		argv[n++] = (char *)extra[i];
	argv[n++] = url;
	argv[n] = NULL;
	*rc = tu_run(argv, 90, &out);
	tu_rmtree(profile);
	free(profile);
	free(url);
	free(udd);
	return out;
}

START_TEST(test_browser_renders)
{
	struct env e;
	int rc;

	if (access(chromium_path(), X_OK) == -1) {
		if (getenv("YGG_SKIP_BROWSER") != NULL && strcmp(getenv("YGG_SKIP_BROWSER"), "1") == 0) {
			fprintf(stderr, "check_page: %s missing; YGG_SKIP_BROWSER=1: browser test skipped\n", chromium_path());
			return;
		}
		ck_abort_msg("%s not found: install chromium (apt-get install chromium), or set YGG_SKIP_BROWSER=1",
		    chromium_path());
	}
	env_start(&e);

	/* the DOM after the script ran: host cards with their slot counts, the task */
	char *dom = chromium(&e, (const char *const[]){ "--dump-dom", NULL }, &rc);
	ck_assert_msg(rc == 0, "chromium --dump-dom exited %d:\n%s", rc, dom);
	static const char *const want[] = {
		"data-host=\"page-host-a\" data-slots=\"2\"",
		"data-host=\"page-host-b\" data-slots=\"3\"",
		">page-host-a<",
		">page-host-b<",
		">1 / 2<", /* pg-1 holds one of page-host-a's two slots */
		">0 / 3<",
		">pg-1<",
		"Held &lt;b&gt;for&lt;/b&gt; the page", /* a title is text, never markup */
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(dom, want[i]) != NULL, "the rendered page lacks %s:\n%s", want[i], dom);
	/* the error banner stays hidden: every fetch of /status worked */
	ck_assert_msg(strstr(dom, "class=\"banner show\"") == NULL, "the page could not reach /status:\n%s",
	    strstr(dom, "class=\"banner show\""));
	free(dom);

	/* a screenshot a person can look at */
	char *png = tu_build("status-page.png");
	char *shot = xasprintf("--screenshot=%s", png);
	unlink(png);
	char *out = chromium(&e, (const char *const[]){ shot, "--window-size=1280,900", NULL }, &rc);
	ck_assert_msg(rc == 0, "chromium --screenshot exited %d:\n%s", rc, out);
	size_t len = 0;
	char *data = tu_read_file(png, &len);
	ck_assert_msg(data != NULL, "no screenshot at %s:\n%s", png, out);
	ck_assert_uint_gt(len, 1000);
	ck_assert_int_eq(memcmp(data, "\x89PNG\r\n\x1a\n", 8), 0);
	free(data);
	free(out);
	free(shot);
	free(png);
	env_stop(&e);
}
END_TEST

Suite *
page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("page");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_self_contained);
	tcase_add_test(tc, test_browser_renders);
	suite_add_tcase(s, tc);
	return s;
}
