/*
 * nonsense.c - a test plugin that misbehaves in the ways a buggy handler can,
 * one per task type (the faults and badinput suites route tasks to it):
 *   nonsense-empty   handle_reply "succeeds" with no text at all
 *   nonsense-fail    handle_reply returns -1 without saying why
 *   nonsense-build   build_request fails
 *   nonsense-binary  the result text holds a NUL, invalid UTF-8 and controls
 */
#include <string.h>

#include "ygg/plugin.h"

static const struct ygg_host_api *api;

static int
n_init(const struct ygg_host_api *a, void **state)
{
	(void)state;
	api = a;
	return 0;
}

static int
is_type(const ygg_task *task, const char *type)
{
	const char *t = api->task_get(task, "type");

	return t != NULL && strcmp(t, type) == 0;
}

static int
n_build(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	if (is_type(task, "nonsense-build")) {
		api->log(task, YGG_LOG_WARN, "refusing to build a request, on purpose");
		return -1;
	}
	return api->request_standard(task, req, "You are a test.");
}

static int
n_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	static const char binary[] = "bytes:\0NUL \xff\xfe bad \x01\x02 controls \xe2\x80\xa8 sep \x1b[31m end";

	(void)state, (void)reply;
	if (is_type(task, "nonsense-fail"))
		return -1;
	if (is_type(task, "nonsense-binary"))
		return api->result_set_text(res, binary, sizeof binary - 1);
	return 0; /* nonsense-empty: success, and nothing in it */
}

static const char *const n_types[] = { "nonsense-empty", "nonsense-fail", "nonsense-build", "nonsense-binary",
	NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "nonsense",
	.version = "1.0.0",
	.description = "test plugin that returns nonsense",
	.types = n_types,
	.init = n_init,
	.build_request = n_build,
	.handle_reply = n_reply,
};
