/*
 * reasoning.c - analysis, planning and comparisons. Asks the model to reason
 * before it answers; <think> sections (deepseek-r1, qwq, qwen3...) are kept out
 * of the result text and stored as the artifact thinking.md.
 *
 * Keys it reads from [handler.reasoning]: system_prompt.
 */
#include "ygg/plugin.h"

#define REASONING_SYSTEM                                                                             \
	"You are a careful analyst. Think the problem through step by step before you answer: "      \
	"state your assumptions, weigh the alternatives and check your reasoning. Then give a clear " \
	"conclusion, followed by the reasoning that supports it, in Markdown."

static const struct ygg_host_api *api;

static int
reasoning_init(const struct ygg_host_api *a, void **state)
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
reasoning_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	return api->request_standard(task, req, REASONING_SYSTEM);
}

static int
reasoning_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	size_t len;
	char *answer = api->reply_answer(task, reply, res, YGG_ANSWER_KEEP_THOUGHTS, &len);

	(void)state;
	if (answer == NULL)
		return -1;
	api->result_set_text(res, answer, len);
	api->free(answer);
	return 0;
}

static const char *const reasoning_types[] = { "reasoning", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "reasoning",
	.version = "1.0.0",
	.description = "analysis and planning; <think> text goes to thinking.md",
	.types = reasoning_types,
	.init = reasoning_init,
	.fini = NULL,
	.build_request = reasoning_build_request,
	.handle_reply = reasoning_handle_reply,
};
