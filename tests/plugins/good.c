/*
 * good.c - a well-formed test plugin: serves "test-echo", echoes the prompt.
 * init logs through the host API with no task (the loader must name it), fini
 * appends "fini NAME VERSION" to $YGG_TEST_FINI_FILE when that is set, so the
 * loader tests can see when a version is unloaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ygg/plugin.h"

#ifndef GOOD_VERSION
#define GOOD_VERSION "1.0.0"
#endif

static const struct ygg_host_api *api;

static int
good_init(const struct ygg_host_api *a, void **state)
{
	api = a;
	*state = NULL;
	api->log(NULL, YGG_LOG_INFO, "hello from good %s", GOOD_VERSION);
	return 0;
}

static void
good_fini(void *state)
{
	const char *path = getenv("YGG_TEST_FINI_FILE");
	FILE *f;

	(void)state;
	if (path != NULL && (f = fopen(path, "a")) != NULL) {
		fprintf(f, "fini good %s\n", GOOD_VERSION);
		fclose(f);
	}
}

static int
good_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	return api->request_standard(task, req, "echo system " GOOD_VERSION);
}

static int
good_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	size_t len;
	const char *text = api->reply_text(reply, &len);

	(void)state, (void)task;
	return api->result_set_text(res, text, len);
}

static const char *const good_types[] = { "test-echo", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "good",
	.version = GOOD_VERSION,
	.description = "test plugin that echoes the prompt",
	.types = good_types,
	.init = good_init,
	.fini = good_fini,
	.build_request = good_build_request,
	.handle_reply = good_handle_reply,
};
