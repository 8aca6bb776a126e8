/*
 * valgrind_e2e.c - one end-to-end drain with yggd under valgrind (ctest
 * valgrind_e2e, when valgrind is found and the build is not sanitized):
 *
 *   valgrind_e2e VALGRIND
 *
 * A mock host per API, tasks of several types that succeed, write artifacts,
 * fail once and are retried, are refused, time out, and move to the next host
 * for a missing model. yggd must finish the drain with exit 0, valgrind must
 * report no memory error and no definite leak (--error-exitcode=99), and the
 * tracker must show each task where it belongs. Exit 0 when all holds.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

static int failures;

static void
expect(bool ok, const char *what, const char *id, const char *got)
{
	if (!ok) {
		fprintf(stderr, "valgrind_e2e: %s: %s (got %s)\n", id, what, got != NULL ? got : "nothing");
		failures++;
	}
}

int
main(int argc, char **argv)
{
	struct tu_env e;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: valgrind_e2e VALGRIND\n");
		return 2;
	}
	tu_env_init(&e);
	int io = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--latency", "50", "--quiet", NULL });
	int ia = tu_env_mock(&e, 0, (char *const[]){ "--model", "m", "--latency", "50", "--quiet", NULL });
	int in = tu_env_mock(&e, 0, (char *const[]){ "--model", "other", "--quiet", NULL });
	if (io < 0 || ia < 0 || in < 0) {
		fprintf(stderr, "valgrind_e2e: mockhost did not start\n");
		tu_env_free(&e);
		return 1;
	}
	char *sections = xasprintf(
	    "[host.olla]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 3\nidle_timeout = 3\n\n"
	    "[host.oai]\nurl = http://127.0.0.1:%d\napi = openai\nmodel = m\nslots = 3\nidle_timeout = 3\n\n"
	    "[host.nomodel]\nurl = http://127.0.0.1:%d\napi = ollama\nmodel = m\nslots = 1\n\n"
	    "[handler.general]\nhosts = oai\ndefault = yes\n\n"
	    "[handler.code-generation]\nhosts = nomodel, olla\n\n"
	    "[handler.reasoning]\nhosts = olla\n\n[handler.summarize]\nhosts = oai\n\n"
	    "[handler.artifact]\nhosts = olla\n\n[handler.text-processing]\nhosts = oai, olla\n",
	    e.port[io], e.port[ia], e.port[in]);
	tu_env_config(&e, "max_attempts = 2\nmax_response_bytes = 64k\n", sections);
	free(sections);

	static const struct {
		const char *id, *labels, *desc, *status;
	} tasks[] = {
		{ "v-general", "", "Plain work.", "closed" },
		{ "v-code", "\"ygg:code-generation\"", "Write a function.", "closed" }, /* nomodel -> olla */
		{ "v-think", "\"ygg:reasoning\"", "Think it over.", "closed" },
		{ "v-sum", "\"ygg:summarize\"", "Summarize this.", "closed" },
		{ "v-files", "\"ygg:artifact\"",
		    "[mock reply=YGBgdHh0IGZpbGU9ZG9jcy9hLnR4dAphCmBgYAoKYGBgdHh0IGZpbGU9Li4vZXNjYXBlLnR4dApubwpgYGAKRG9uZS4K]",
		    "closed" },
		{ "v-text", "\"ygg:text-processing\"", "Fix the text.", "closed" },
		{ "v-retry", "", "[mock fault=500 times=1]", "closed" },
		{ "v-reset", "", "[mock fault=reset times=1]", "closed" },
		{ "v-refused", "", "[mock fault=400]", "blocked" },
		{ "v-garbage", "", "[mock fault=garbage]", "blocked" },
		{ "v-huge", "", "[mock fault=huge]", "blocked" },
		{ "v-hang", "\"ygg:reasoning\"", "[mock fault=hang times=1]", "closed" },
	};
	size_t ntasks = sizeof tasks / sizeof tasks[0];
	f = fopen(e.tracker, "w");
	for (size_t i = 0; i < ntasks; i++)
		tu_issue(f, tasks[i].id, "Valgrind work", tasks[i].desc, "open", 1, tasks[i].labels, "");
	fputs("not a json line, kept\n", f);
	fclose(f);

	char *vlog = path_join(e.dir, "valgrind.log");
	char *logopt = xasprintf("--log-file=%s", vlog);
	char *yggd = tu_bin("yggd");
	char *args[] = { argv[1], "--leak-check=full", "--errors-for-leak-kinds=definite", "--error-exitcode=99",
		"--track-fds=no", logopt, yggd, "-c", e.config, "--drain", NULL };
	pid_t pid = tu_spawn(args, e.log);
	e.procs[e.nprocs++] = pid;
	int rc = tu_env_wait(&e, pid, 500);
	if (rc != 0) {
		char *l = tu_read_file(vlog, NULL), *y = tu_read_file(e.log, NULL);
		fprintf(stderr, "valgrind_e2e: yggd under valgrind exited %d (99: valgrind found errors)\n"
		                "---- valgrind\n%s\n---- yggd\n%s\n",
		    rc, l != NULL ? l : "", y != NULL ? y : "");
		free(l);
		free(y);
		failures++;
	}

	struct json_object *t = tu_tracker_load(e.tracker);
	for (size_t i = 0; i < ntasks; i++) {
		const char *st = tu_issue_field(t, tasks[i].id, "status");
		expect(st != NULL && strcmp(st, tasks[i].status) == 0, tasks[i].status, tasks[i].id, st);
	}
	json_object_put(t);
	char *art = path_join(e.artifacts, "v-files/docs/a.txt");
	expect(access(art, R_OK) == 0, "artifact docs/a.txt written", "v-files", NULL);
	free(art);
	char *data = tu_read_file(e.tracker, NULL);
	expect(data != NULL && strstr(data, "not a json line, kept\n") != NULL, "bad line kept", "tracker", NULL);
	free(data);

	if (failures == 0)
		printf("valgrind_e2e: ok: %zu tasks, no memory errors, no definite leaks\n", ntasks);
	free(yggd);
	free(logopt);
	free(vlog);
	tu_env_free(&e);
	return failures == 0 ? 0 : 1;
}
