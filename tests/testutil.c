/*
 * testutil.c - helpers for the Check suites (see testutil.h).
 */
#include <curl/curl.h>
#include <event2/event.h>
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

/* ---------------------------------------------------------------- end-to-end environments */

#include <json-c/json.h>
#include <sys/file.h>
#include <sys/prctl.h>

/* Like tu_spawn, but the child dies with the test process (a failed assertion, a timeout). */
static pid_t
spawn_tied(char *const argv[], const char *log_path)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == -1) {
		perror("fork");
		abort();
	}
	if (pid == 0) {
		int fd = open(log_path != NULL ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
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

void
tu_env_init(struct tu_env *e)
{
	memset(e, 0, sizeof *e);
	e->dir = tu_tmpdir();
	e->beads = xasprintf("%s/.beads", e->dir);
	mkdir(e->beads, 0755);
	e->tracker = xasprintf("%s/issues.jsonl", e->beads);
	e->config = xasprintf("%s/ygg.ini", e->dir);
	e->log = xasprintf("%s/yggd.log", e->dir);
	e->artifacts = xasprintf("%s/artifacts", e->dir);
	e->mocklog = xasprintf("%s/mock.log", e->dir);
}

void
tu_env_free(struct tu_env *e)
{
	for (int i = 0; i < e->nprocs; i++) {
		if (e->procs[i] > 0) {
			kill(e->procs[i], SIGKILL);
			waitpid(e->procs[i], NULL, 0);
		}
	}
	for (int i = 0; i < e->nmock; i++)
		tu_env_mock_stop(e, i);
	if (getenv("YGG_SHOW_LOG") != NULL) {
		char *l = tu_read_file(e->log, NULL);
		fprintf(stderr, "---- %s\n%s", e->log, l != NULL ? l : "");
		free(l);
	}
	/* a test may have made parts read-only or planted links: make it removable */
	chmod(e->beads, 0755);
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->beads);
	free(e->tracker);
	free(e->config);
	free(e->log);
	free(e->artifacts);
	free(e->mocklog);
	memset(e, 0, sizeof *e);
}

int
tu_env_mock(struct tu_env *e, int port, char *const extra[])
{
	char *portfile = xasprintf("%s/mock.port.%d", e->dir, e->nmock);
	char *bin = tu_testbin("mockhost");
	char portarg[16];
	char *argv[64];
	size_t n = 0;
	int i = e->nmock, got = 0;

	if (i >= 4) {
		free(portfile);
		free(bin);
		return -1;
	}
	unlink(portfile);
	snprintf(portarg, sizeof portarg, "%d", port);
	argv[n++] = bin;
	argv[n++] = "--port";
	argv[n++] = portarg;
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	for (size_t k = 0; extra != NULL && extra[k] != NULL && n < 62; k++)
		argv[n++] = extra[k];
	argv[n] = NULL;
	pid_t pid = spawn_tied(argv, getenv("YGG_MOCK_LOG") != NULL ? getenv("YGG_MOCK_LOG") : e->mocklog);
	for (int k = 0; k < 1000 && got == 0; k++) {
		char *s = tu_read_file(portfile, NULL);
		if (s != NULL && strchr(s, '\n') != NULL)
			got = atoi(s);
		free(s);
		if (got == 0) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				pid = -1;
				break;
			}
			tu_sleep(0.01);
		}
	}
	free(portfile);
	free(bin);
	if (got == 0) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	e->mock[i] = pid;
	e->port[i] = got;
	e->nmock++;
	return i;
}

void
tu_env_mock_stop(struct tu_env *e, int i)
{
	if (i >= 0 && i < e->nmock && e->mock[i] > 0) {
		kill(e->mock[i], SIGTERM);
		if (tu_wait(e->mock[i], 5) == -1)
			waitpid(e->mock[i], NULL, WNOHANG);
		e->mock[i] = 0;
	}
}

/* Does the "key = value" text lines set key? */
static bool
keys_set(const char *lines, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = lines; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, kl) == 0 && (p[kl] == ' ' || p[kl] == '=' || p[kl] == '\t'))
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

void
tu_env_config(struct tu_env *e, const char *yggd_keys, const char *sections)
{
	char *plugins = tu_build("plugins");
	struct buf b;
	const char *defaults[][2] = {
		{ "store", "jsonl" },
		{ "beads_dir", ".beads" },
		{ "plugin_dir", plugins },
		{ "artifacts_dir", "artifacts" },
		{ "control", "off" },
		{ "poll_interval", "0.5" },
		{ "max_attempts", "3" },
		{ "backoff_base", "0.05" },
		{ "backoff_max", "0.2" },
		{ "shutdown_grace", "5" },
		{ "health_interval", "0.2" },
		{ "fail_threshold", "1000" },
	};

	buf_init(&b);
	buf_adds(&b, "[yggd]\n");
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		if (!keys_set(yggd_keys, defaults[i][0]))
			buf_printf(&b, "%s = %s\n", defaults[i][0], defaults[i][1]);
	}
	if (yggd_keys != NULL) {
		buf_adds(&b, yggd_keys);
		if (b.len > 0 && b.p[b.len - 1] != '\n')
			buf_addc(&b, '\n');
	}
	buf_addc(&b, '\n');
	if (sections != NULL)
		buf_adds(&b, sections);
	tu_write_file(e->config, b.p);
	buf_free(&b);
	free(plugins);
}

pid_t
tu_env_yggd(struct tu_env *e, bool drain)
{
	char *bin = tu_bin("yggd");
	char *argv[] = { bin, "-c", e->config, "-v", drain ? "--drain" : NULL, NULL };
	pid_t pid = spawn_tied(argv, e->log);

	free(bin);
	if (e->nprocs < TU_ENV_MAX_PROCS)
		e->procs[e->nprocs++] = pid;
	return pid;
}

int
tu_env_wait(struct tu_env *e, pid_t pid, double timeout)
{
	int rc = tu_wait(pid, timeout);

	for (int i = 0; i < e->nprocs; i++) {
		if (e->procs[i] == pid)
			e->procs[i] = 0;
	}
	return rc;
}

int
tu_env_drain(struct tu_env *e, double timeout)
{
	pid_t pid = tu_env_yggd(e, true);
	int rc = tu_env_wait(e, pid, timeout);

	if (rc != 0) {
		char *l = tu_read_file(e->log, NULL);
		fprintf(stderr, "yggd exited %d; its log:\n%s\n", rc, l != NULL ? l : "");
		free(l);
	}
	return rc;
}

bool
tu_wait_text(const char *path, const char *needle, int count, double timeout)
{
	int64_t deadline = now_mono_ns() + (int64_t)(timeout * 1e9);

	for (;;) {
		char *s = tu_read_file(path, NULL);
		int n = tu_count(s, needle);
		free(s);
		if (n >= count)
			return true;
		if (now_mono_ns() > deadline)
			return false;
		tu_sleep(0.02);
	}
}

bool
tu_wait_until(bool (*pred)(void *arg), void *arg, double timeout)
{
	int64_t deadline = now_mono_ns() + (int64_t)(timeout * 1e9);

	for (;;) {
		if (pred(arg))
			return true;
		if (now_mono_ns() > deadline)
			return false;
		tu_sleep(0.02);
	}
}

void
tu_issue(FILE *f, const char *id, const char *title, const char *desc, const char *status, int prio,
    const char *labels_json, const char *extra)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "{\"id\":");
	json_append_string(&b, id, strlen(id));
	buf_adds(&b, ",\"title\":");
	json_append_string(&b, title, strlen(title));
	buf_adds(&b, ",\"description\":");
	json_append_string(&b, desc, strlen(desc));
	buf_printf(&b, ",\"status\":\"%s\",\"priority\":%d,\"issue_type\":\"task\",\"labels\":[%s],"
	               "\"created_at\":\"2026-01-01T10:00:00Z\",\"updated_at\":\"2026-01-01T10:00:00Z\"%s}\n",
	    status, prio, labels_json != NULL ? labels_json : "", extra != NULL ? extra : "");
	fwrite(b.p, 1, b.len, f);
	buf_free(&b);
}

struct json_object *
tu_tracker_load(const char *path)
{
	size_t len;
	char *data = tu_read_file(path, &len);
	struct json_object *byid = json_object_new_object();
	char *save = NULL;

	if (data == NULL)
		return byid;
	for (char *line = strtok_r(data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);
		struct json_object *id;
		if (o != NULL && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "id", &id) &&
		    json_object_is_type(id, json_type_string))
			json_object_object_add(byid, json_object_get_string(id), o);
		else
			json_object_put(o);
	}
	free(data);
	return byid;
}

const char *
tu_issue_field(struct json_object *byid, const char *id, const char *key)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(byid, id, &o) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
issue_comments(struct json_object *byid, const char *id)
{
	struct json_object *o, *v;

	if (!json_object_object_get_ex(byid, id, &o) || !json_object_object_get_ex(o, "comments", &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

int
tu_issue_ncomments(struct json_object *byid, const char *id)
{
	struct json_object *v = issue_comments(byid, id);

	return v != NULL ? (int)json_object_array_length(v) : 0;
}

const char *
tu_issue_comment(struct json_object *byid, const char *id, int idx)
{
	struct json_object *v = issue_comments(byid, id), *c, *t;
	int n = v != NULL ? (int)json_object_array_length(v) : 0;

	if (idx < 0)
		idx += n;
	if (idx < 0 || idx >= n)
		return NULL;
	c = json_object_array_get_idx(v, (size_t)idx);
	return json_object_object_get_ex(c, "text", &t) ? json_object_get_string(t) : NULL;
}

int
tu_issue_count_comments(struct json_object *byid, const char *id, const char *needle)
{
	int n = tu_issue_ncomments(byid, id), k = 0;

	for (int i = 0; i < n; i++) {
		const char *t = tu_issue_comment(byid, id, i);
		if (t != NULL && strstr(t, needle) != NULL)
			k++;
	}
	return k;
}

/* The id of a raw line, or NULL (a new string). */
static char *
line_id(const char *line, size_t len)
{
	struct json_line jl;
	const struct json_member *m;
	struct buf b;
	char *id = NULL;

	memset(&jl, 0, sizeof jl);
	if (json_line_scan(&jl, line, len) == 0 && (m = json_line_get(&jl, "id")) != NULL) {
		buf_init(&b);
		if (json_string_decode(m->val, m->val_len, &b) == 0)
			id = buf_steal(&b);
		buf_free(&b);
	}
	json_line_free(&jl);
	return id;
}

int
tu_tracker_edit(const char *tracker, const char *id, const char *const *kv)
{
	char *dir = xstrdup(tracker), *slash = strrchr(dir, '/');
	char *lockpath, *tmp, *data;
	size_t len;
	struct buf out;
	int lockfd, rc = -1;

	*slash = '\0';
	lockpath = xasprintf("%s/.jsonl.lock", dir);
	tmp = xasprintf("%s/.issues.jsonl.test-%ld", dir, (long)getpid());
	lockfd = open(lockpath, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd != -1)
		flock(lockfd, LOCK_EX);
	data = tu_read_file(tracker, &len);
	buf_init(&out);
	for (size_t at = 0; data != NULL && at < len;) {
		size_t ll = strcspn(data + at, "\n");
		char *lid = line_id(data + at, ll);
		if (lid != NULL && strcmp(lid, id) == 0) {
			struct json_line jl;
			struct json_edit edits[32];
			size_t ne = 0;
			memset(&jl, 0, sizeof jl);
			json_line_scan(&jl, data + at, ll);
			for (size_t k = 0; kv[k] != NULL && ne < 32; k += 2) {
				edits[ne].key = kv[k];
				edits[ne].raw = kv[k + 1];
				ne++;
			}
			json_line_patch(&jl, edits, ne, &out);
			json_line_free(&jl);
			rc = 0;
		} else {
			buf_add(&out, data + at, ll);
		}
		free(lid);
		at += ll;
		if (at < len) {
			buf_addc(&out, '\n');
			at++;
		}
	}
	if (rc == 0) {
		FILE *f = fopen(tmp, "w");
		if (f == NULL || fwrite(out.p, 1, out.len, f) != out.len || fclose(f) != 0 || rename(tmp, tracker) != 0)
			rc = -1;
	}
	if (lockfd != -1)
		close(lockfd);
	buf_free(&out);
	free(data);
	free(tmp);
	free(lockpath);
	free(dir);
	return rc;
}

char *
tu_lines_lost(const char *before, const char *after, const char *const *skip_ids)
{
	for (const char *p = before; p != NULL && *p != '\0';) {
		size_t ll = strcspn(p, "\n");
		char *line = xstrndup(p, ll);
		char *id = line_id(p, ll);
		bool skip = false;
		for (size_t i = 0; id != NULL && skip_ids != NULL && skip_ids[i] != NULL; i++)
			skip |= strcmp(skip_ids[i], id) == 0;
		free(id);
		if (!skip && ll > 0 && (after == NULL || strstr(after, line) == NULL))
			return line;
		free(line);
		p += ll;
		if (*p == '\n')
			p++;
	}
	return NULL;
}

int
tu_tracker_in_progress(const char *tracker, char **ids)
{
	struct json_object *t = tu_tracker_load(tracker);
	struct buf b;
	int n = 0;

	buf_init(&b);
	buf_add(&b, "", 0);
	json_object_object_foreach(t, k, v) {
		struct json_object *st;
		if (json_object_object_get_ex(v, "status", &st) && strcmp(json_object_get_string(st), "in_progress") == 0) {
			buf_printf(&b, "%s%s", n > 0 ? "," : "", k);
			n++;
		}
	}
	json_object_put(t);
	if (ids != NULL)
		*ids = buf_steal(&b);
	else
		buf_free(&b);
	return n;
}

struct json_object *
tu_mock_stats(int port)
{
	long status;
	char *body = tu_http_get(port, "/_mock/stats", &status);
	struct json_object *o = status == 200 ? json_tokener_parse(body) : NULL;

	free(body);
	return o;
}

int
tu_stat_int(struct json_object *stats, const char *key)
{
	struct json_object *v;

	return stats != NULL && json_object_object_get_ex(stats, key, &v) ? json_object_get_int(v) : -1;
}

/* The nth log entry for task with outcome (NULL: any), or NULL; *count gets how many match. */
static struct json_object *
mock_entry(struct json_object *stats, const char *task, const char *outcome, int nth, int *count)
{
	struct json_object *log, *e, *v, *found = NULL;
	int k = 0;

	if (stats == NULL || !json_object_object_get_ex(stats, "log", &log))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(log); i++) {
		e = json_object_array_get_idx(log, i);
		if (task != NULL && (!json_object_object_get_ex(e, "task", &v) || json_object_get_string(v) == NULL ||
		                        strcmp(json_object_get_string(v), task) != 0))
			continue;
		if (outcome != NULL && (!json_object_object_get_ex(e, "outcome", &v) ||
		                           strcmp(json_object_get_string(v), outcome) != 0))
			continue;
		if (k == nth)
			found = e;
		k++;
	}
	if (count != NULL)
		*count = k;
	return found;
}

int
tu_mock_count(struct json_object *stats, const char *task, const char *outcome)
{
	int n = 0;

	mock_entry(stats, task, outcome, -1, &n);
	return n;
}

static long long
entry_ms(struct json_object *stats, const char *task, int nth, const char *key)
{
	struct json_object *e = mock_entry(stats, task, NULL, nth, NULL), *v;

	if (e == NULL || !json_object_object_get_ex(e, key, &v) || json_object_is_type(v, json_type_null))
		return -1;
	return (long long)json_object_get_int64(v);
}

long long
tu_mock_start_ms(struct json_object *stats, const char *task, int nth)
{
	return entry_ms(stats, task, nth, "start_ms");
}

long long
tu_mock_end_ms(struct json_object *stats, const char *task, int nth)
{
	return entry_ms(stats, task, nth, "end_ms");
}

char *
tu_base64(const char *s, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf b;
	const unsigned char *u = (const unsigned char *)s;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)u[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)u[i + 1] << 8;
		if (i + 2 < len)
			v |= u[i + 2];
		buf_addc(&b, tab[(v >> 18) & 63]);
		buf_addc(&b, tab[(v >> 12) & 63]);
		buf_addc(&b, i + 1 < len ? tab[(v >> 6) & 63] : '=');
		buf_addc(&b, i + 2 < len ? tab[v & 63] : '=');
	}
	return buf_steal(&b);
}

static void
loop_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

bool
tu_loop_until(struct event_base *base, const int *counter, int target, double timeout)
{
	int64_t deadline = now_mono_ns() + (int64_t)(timeout * 1e9);
	struct event *tick = evtimer_new(base, loop_wake, NULL);
	bool ok;

	while (!(ok = *counter >= target) && now_mono_ns() < deadline) {
		struct timeval tv = { 0, 10000 };
		evtimer_add(tick, &tv);
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(tick);
	return ok;
}
