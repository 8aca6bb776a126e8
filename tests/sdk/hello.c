/*
 * hello.c - an example yggd handler plugin, built outside the yggd tree against
 * the installed SDK (include/ygg/plugin.h and ygg-plugin.pc):
 *
 *   cc -shared -fPIC -Wall -Wextra $(pkg-config --cflags ygg-plugin) -o hello.so hello.c
 *
 * Dropped into plugin_dir (mode 0755 or stricter, not writable by others), it is
 * loaded without a restart. It serves the task type "hello": a tracker issue
 * labelled ygg:hello goes to the [handler.hello] section that names it:
 *
 *   [handler.hello]
 *   plugin = hello
 *   hosts = some-host
 *
 * The request is the standard one (the task's id, title and description as the
 * user message) under a system prompt of its own; the result is the model's
 * answer, <think> sections removed, under a heading that names the plugin.
 *
 * tests/check_sdk.c builds this file exactly that way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ygg/plugin.h>

static const struct ygg_host_api *api;

static int
hello_init(const struct ygg_host_api *host_api, void **state)
{
	/* reply_answer and request_standard came after the first functions: check for them */
	if (!YGG_HOST_API_HAS(host_api, reply_answer) || !YGG_HOST_API_HAS(host_api, request_standard)) {
		host_api->log(NULL, YGG_LOG_ERROR, "this yggd is too old for the hello plugin");
		return -1;
	}
	api = host_api;
	*state = NULL;
	api->log(NULL, YGG_LOG_INFO, "hello plugin ready");
	return 0;
}

static int
hello_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state;
	if (api->request_standard(task, req, "You greet people. Answer the task in one friendly sentence.") != 0)
		return -1;
	/* a short answer is all this asks for */
	api->request_set_option(req, "temperature", "0.2");
	return 0;
}

static int
hello_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	const char *id = api->task_get(task, "id");
	size_t len, n;
	char *answer, *text;

	(void)state;
	answer = api->reply_answer(task, reply, res, 0, &len);
	if (answer == NULL)
		return -1; /* res is already failed with the reason */
	n = len + 128 + strlen(id != NULL ? id : "");
	text = malloc(n);
	if (text == NULL) {
		api->free(answer);
		api->result_fail(res, "out of memory");
		return -1;
	}
	n = (size_t)snprintf(text, n, "Hello from the hello plugin (task %s):\n\n%s", id != NULL ? id : "?", answer);
	api->result_set_text(res, text, n);
	free(text);
	api->free(answer);
	return 0;
}

static const char *const hello_types[] = { "hello", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "hello",
	.version = "1.0.0",
	.description = "an example plugin built out of tree with the ygg-plugin SDK",
	.types = hello_types,
	.init = hello_init,
	.fini = NULL,
	.build_request = hello_build_request,
	.handle_reply = hello_handle_reply,
};
