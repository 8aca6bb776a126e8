/* init_fails.c - passes every check, then init returns -1 */
#include "ygg/plugin.h"

static int
t_init(const struct ygg_host_api *api, void **state)
{
	(void)api, (void)state;
	return -1;
}

static int
t_build(void *state, const ygg_task *task, ygg_request *req)
{
	(void)state, (void)task, (void)req;
	return 0;
}

static int
t_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	(void)state, (void)task, (void)reply, (void)res;
	return 0;
}

static const char *const t_types[] = { "init-fails", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "init-fails",
	.version = "1.0.0",
	.description = "test plugin",
	.types = t_types,
	.init = t_init,
	.build_request = t_build,
	.handle_reply = t_reply,
};
