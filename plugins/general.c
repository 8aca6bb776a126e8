/*
 * general.c - the catch-all handler (normally the [handler.general] default =
 * yes): a plain assistant prompt, the reply's answer as the result.
 *
 * Keys it reads from [handler.general]: system_prompt.
 * <think> sections (reasoning models) are kept out of the result and dropped.
 */
#include "ygg/plugin.h"

#define GENERAL_SYSTEM                                                                          \
	"You are a capable, careful assistant working through tasks from an issue tracker. "    \
	"Do what the task asks, directly and completely. Answer in Markdown. If something is " \
	"unclear or cannot be done, say so plainly and explain what is missing."

static const struct ygg_host_api *api;

static int
general_init(const struct ygg_host_api *a, void **state)
{
	(void)state;
	if (!YGG_HOST_API_HAS(a, reply_answer)) {
		a->log(NULL, YGG_LOG_ERROR, "this yggd's host API is too old for this plugin");
		return -1;
	}
	api = a;
	return 0;
}

static int
general_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	return api->request_standard(task, req, GENERAL_SYSTEM);
}

static int
general_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	size_t len;
	char *answer = api->reply_answer(task, reply, res, 0, &len);

	(void)state;
	if (answer == NULL)
		return -1;
	api->result_set_text(res, answer, len);
	api->free(answer);
	return 0;
}

static const char *const general_types[] = { "general", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "general",
	.version = "1.0.0",
	.description = "general assistant: the answer becomes the result",
	.types = general_types,
	.init = general_init,
	.fini = NULL,
	.build_request = general_build_request,
	.handle_reply = general_handle_reply,
};
