/*
 * testutil.c - helpers for the Check suites (see testutil.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? v : fallback;
}

char *
tu_tmpdir(void)
{
	char *tmpl = xasprintf("%s/yggtest.XXXXXX", env_or("TMPDIR", "/tmp"));

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return tmpl;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

void
tu_rmtree(const char *path)
{
	if (path != NULL && getenv("YGG_KEEP_TMP") == NULL)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
tu_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
}

void
tu_write_filef(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;

	if (f == NULL) {
		perror(path);
		abort();
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

char *
tu_read_file(const char *path, size_t *len)
{
	char *data;
	size_t n;

	if (read_file(path, &data, &n) == -1)
		return NULL;
	if (len != NULL)
		*len = n;
	return data;
}

char *
tu_bin(const char *name)
{
	return xasprintf("%s/bin/%s", env_or("YGG_BINARY_DIR", YGG_BINARY_DIR), name);
}

char *
tu_testbin(const char *name)
{
	return xasprintf("%s/tests/%s", env_or("YGG_BINARY_DIR", YGG_BINARY_DIR), name);
}

char *
tu_src(const char *rel)
{
	return xasprintf("%s/%s", env_or("YGG_SOURCE_DIR", YGG_SOURCE_DIR), rel);
}

char *
tu_build(const char *rel)
{
	return xasprintf("%s/%s", env_or("YGG_BINARY_DIR", YGG_BINARY_DIR), rel);
}

pid_t
tu_spawn(char *const argv[], const char *log_path)
{
	pid_t pid = fork();

	if (pid == -1) {
		perror("fork");
		abort();
	}
	if (pid == 0) {
		int fd = open(log_path != NULL ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		setpgid(0, 0);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

int
tu_wait(pid_t pid, double timeout)
{
	int64_t deadline = now_mono_ns() + (int64_t)(timeout * 1e9);
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return -1;
		if (now_mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		tu_sleep(0.005);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int
tu_run(char *const argv[], double timeout, char **out)
{
	char *dir = tu_tmpdir();
	char *log = xasprintf("%s/out", dir);
	pid_t pid = tu_spawn(argv, log);
	int rc = tu_wait(pid, timeout);

	if (out != NULL) {
		*out = tu_read_file(log, NULL);
		if (*out == NULL)
			*out = xstrdup("");
	}
	tu_rmtree(dir);
	free(log);
	free(dir);
	return rc;
}

pid_t
tu_mock_start(int *port, char *const extra_args[])
{
	char *dir = tu_tmpdir();
	char *portfile = xasprintf("%s/port", dir);
	char *bin = tu_testbin("mockhost");
	char *argv[64];
	size_t n = 0;

	argv[n++] = bin;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && n < 62; i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;
	pid_t pid = tu_spawn(argv, getenv("YGG_MOCK_LOG"));
	*port = 0;
	for (int i = 0; i < 1000 && *port == 0; i++) {
		char *s = tu_read_file(portfile, NULL);
		if (s != NULL && strchr(s, '\n') != NULL)
			*port = atoi(s);
		free(s);
		if (*port == 0)
			tu_sleep(0.01);
	}
	tu_rmtree(dir);
	free(portfile);
	free(bin);
	free(dir);
	return pid;
}

void
tu_mock_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		tu_wait(pid, 5);
	}
}

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	buf_add(arg, ptr, size * nmemb);
	return size * nmemb;
}

static char *
http_do(int port, const char *path, const char *body, const char *token, long *status)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct buf b;
	char *url = xasprintf("http://127.0.0.1:%d%s", port, path);

	buf_init(&b);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (token != NULL) {
		char *h = xasprintf("Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, h);
		free(h);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	}
	*status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(url);
	return buf_steal(&b);
}

char *
tu_http_get(int port, const char *path, long *status)
{
	return http_do(port, path, NULL, NULL, status);
}

char *
tu_http_post(int port, const char *path, const char *body, const char *token, long *status)
{
	return http_do(port, path, body != NULL ? body : "", token, status);
}

int
tu_count(const char *hay, const char *needle)
{
	int n = 0;
	size_t nl = strlen(needle);

	if (hay == NULL || nl == 0)
		return 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + nl, needle))
		n++;
	return n;
}

void
tu_sleep(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
