/*
 * text-processing.c - writing, rewriting, translating, proofreading and
 * documenting: an editor's prompt that asks for the finished text only.
 *
 * Keys it reads from [handler.text-processing]: system_prompt.
 * <think> sections are kept out of the result and dropped.
 */
#include "ygg/plugin.h"

#define TEXT_SYSTEM                                                                                  \
	"You are a skilled editor and technical writer. Carry out the text task exactly as asked: "  \
	"writing, rewriting, translating, proofreading, summarising or documenting. Keep the "        \
	"author's meaning and any facts, names and numbers unchanged unless the task says otherwise. " \
	"Reply with the finished text only, in Markdown, without a preamble or remarks about what "  \
	"you changed."

static const struct ygg_host_api *api;

static int
text_init(const struct ygg_host_api *a, void **state)
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
text_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	return api->request_standard(task, req, TEXT_SYSTEM);
}

static int
text_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
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

static const char *const text_types[] = { "text-processing", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "text-processing",
	.version = "1.0.0",
	.description = "writing, rewriting, translating and proofreading",
	.types = text_types,
	.init = text_init,
	.fini = NULL,
	.build_request = text_build_request,
	.handle_reply = text_handle_reply,
};
