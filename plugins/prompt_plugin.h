/*
 * prompt_plugin.h - the whole of a handler whose logic is its system prompt:
 * the standard request (system prompt, overridable with system_prompt =, and
 * the task's own text), the model's answer as the result. general,
 * text-processing and reasoning are this; a plugin that does more with the
 * reply (code-generation, summarize, artifact) writes its own callbacks.
 *
 * Before including it, define:
 *   PROMPT_PLUGIN_NAME          the plugin's name and the task type it serves
 *   PROMPT_PLUGIN_DESCRIPTION   one line for ygg-plugin list
 *   PROMPT_PLUGIN_SYSTEM        the default system prompt
 *   PROMPT_PLUGIN_ANSWER_FLAGS  flags for api->reply_answer (0, or
 *                               YGG_ANSWER_KEEP_THOUGHTS to keep <think> text
 *                               as the thinking.md artifact)
 * Everything here is static: each plugin is its own shared object.
 */
#ifndef YGG_PROMPT_PLUGIN_H
#define YGG_PROMPT_PLUGIN_H

#include "ygg/plugin.h"

static const struct ygg_host_api *api;

static int
prompt_init(const struct ygg_host_api *a, void **state)
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
prompt_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	return api->request_standard(task, req, PROMPT_PLUGIN_SYSTEM);
}

static int
prompt_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	size_t len;
	char *answer = api->reply_answer(task, reply, res, PROMPT_PLUGIN_ANSWER_FLAGS, &len);

	(void)state;
	if (answer == NULL)
		return -1;
	api->result_set_text(res, answer, len);
	api->free(answer);
	return 0;
}

static const char *const prompt_types[] = { PROMPT_PLUGIN_NAME, NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = PROMPT_PLUGIN_NAME,
	.version = "1.0.0",
	.description = PROMPT_PLUGIN_DESCRIPTION,
	.types = prompt_types,
	.init = prompt_init,
	.fini = NULL,
	.build_request = prompt_build_request,
	.handle_reply = prompt_handle_reply,
};

#endif
