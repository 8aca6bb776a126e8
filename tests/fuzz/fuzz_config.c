/*
 * fuzz_config.c - libFuzzer target for the INI loader: any bytes must give a
 * config or one "fuzz.ini:..." message, without crashing or leaking. A loaded
 * config is also routed against an issue made from the same bytes, and its
 * invariants are checked (every host a handler names exists, one default).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

static void
check_config(const struct ygg_config *cfg, const char *text)
{
	size_t defaults = 0;
	struct issue is;
	char *labels[3] = { NULL, NULL, NULL };
	const char *nl;

	for (size_t i = 0; i < cfg->nhandlers; i++) {
		const struct handler_conf *h = &cfg->handlers[i];
		if (h->nhosts == 0 || config_handler(cfg, h->type) != h)
			abort();
		for (size_t j = 0; j < h->nhosts; j++)
			if (config_host(cfg, h->hosts[j]) == NULL)
				abort();
		defaults += h->is_default;
	}
	for (size_t i = 0; i < cfg->nhosts; i++)
		if (cfg->hosts[i].slots < 1 || cfg->hosts[i].slots > 1024 || cfg->hosts[i].url == NULL)
			abort();
	if (defaults > 1)
		abort();

	/* the first line as a label, the whole text as the title */
	memset(&is, 0, sizeof is);
	nl = strchr(text, '\n');
	labels[0] = xstrndup(text, nl != NULL ? (size_t)(nl - text) : strlen(text));
	labels[1] = xasprintf("ygg:%s", labels[0]);
	is.id = (char *)"fuzz-1";
	is.title = (char *)text;
	is.labels = labels;
	is.nlabels = 2;
	const struct handler_conf *h = route_issue(cfg, &is);
	if (h != NULL && config_handler(cfg, h->type) != h)
		abort();
	free(labels[0]);
	free(labels[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct ygg_config *cfg = NULL;
	char *cause = NULL;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_parse(text, "fuzz.ini", "/etc/ygg", &cfg, &cause) == 0) {
		if (cfg == NULL || cause != NULL)
			abort();
		check_config(cfg, text);
		config_free(cfg);
	} else {
		if (cfg != NULL || cause == NULL || strncmp(cause, "fuzz.ini:", 9) != 0)
			abort();
		free(cause);
	}
	free(text);
	return 0;
}
