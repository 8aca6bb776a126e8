/*
 * summarize.c - summaries of bounded length.
 *
 * Keys it reads from [handler.summarize]:
 *   system_prompt  replaces the prompt below (which states the word limit)
 *   max_words      the length asked for, 10-100000 words (default 200)
 *   max_tokens     generation cap passed to the model (default 2 * max_words +
 *                  256, room for markup and for a reasoning model's <think>
 *                  text; 0 = no cap)
 *   max_chars      the result is cut to this many characters at a paragraph or
 *                  sentence break when one is near (default 2000)
 * A bad value fails the task with a log line naming the key.
 * <think> sections are kept out of the result and dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ygg/plugin.h"

#define SUMMARIZE_SYSTEM                                                                              \
	"You write summaries. Summarise the material in the task in at most %ld words. Lead with the " \
	"main point; keep the facts, names, numbers and decisions that matter; leave out filler and "  \
	"repetition. Do not add anything that is not in the material. Reply with the summary only, "  \
	"in Markdown."

#define DEFAULT_WORDS 200
#define DEFAULT_CHARS 2000

static const struct ygg_host_api *api;

static int
summarize_init(const struct ygg_host_api *a, void **state)
{
	(void)state;
	if (!YGG_HOST_API_HAS(a, reply_answer)) {
		a->log(NULL, YGG_LOG_ERROR, "this yggd's host API is too old for this plugin");
		return -1;
	}
	api = a;
	return 0;
}

/* A whole number from the handler section in [min, max]; def when unset. */
static int
config_long(const ygg_task *task, const char *key, long def, long min, long max, long *out)
{
	const char *s = api->task_config(task, key);
	char *end;
	long v;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		api->log(task, YGG_LOG_ERROR, "[handler.summarize] %s = %s: expected a whole number from %ld to %ld",
		    key, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
summarize_build_request(void *state, const ygg_task *task, ygg_request *req)
{
	long words, tokens, chars;
	char sys[1024], num[32];

	(void)state;
	if (config_long(task, "max_words", DEFAULT_WORDS, 10, 100000, &words) == -1 ||
	    config_long(task, "max_tokens", 2 * words + 256, 0, 10000000, &tokens) == -1 ||
	    config_long(task, "max_chars", DEFAULT_CHARS, 100, 100000000, &chars) == -1)
		return -1;
	snprintf(sys, sizeof sys, SUMMARIZE_SYSTEM, words);
	if (api->request_standard(task, req, sys) == -1)
		return -1;
	if (tokens > 0) {
		snprintf(num, sizeof num, "%ld", tokens);
		if (api->request_set_option(req, "max_tokens", num) == -1)
			return -1;
	}
	return api->request_set_option(req, "temperature", "0.3");
}

/* Bytes taken by the first chars characters of UTF-8 text. */
static size_t
bytes_for_chars(const char *text, size_t len, size_t chars)
{
	size_t i = 0;

	for (size_t n = 0; i < len; i++) {
		/* Each character starts at a byte that is not 10xxxxxx. */
		if (((unsigned char)text[i] & 0xc0) != 0x80 && n++ == chars)
			break;
	}
	return i;
}

static int
summarize_handle_reply(void *state, const ygg_task *task, const ygg_reply *reply, ygg_result *res)
{
	size_t len, cut;
	long chars;
	char *answer;

	(void)state;
	if (config_long(task, "max_chars", DEFAULT_CHARS, 100, 100000000, &chars) == -1) {
		api->result_fail(res, "[handler.summarize] max_chars is not a valid number");
		return -1;
	}
	answer = api->reply_answer(task, reply, res, 0, &len);
	if (answer == NULL)
		return -1;
	cut = api->text_cut(answer, len, bytes_for_chars(answer, len, (size_t)chars));
	if (cut < len)
		api->log(task, YGG_LOG_INFO, "summary cut from %zu to %zu bytes (max_chars = %ld)", len, cut, chars);
	api->result_set_text(res, answer, cut);
	api->free(answer);
	return 0;
}

static const char *const summarize_types[] = { "summarize", NULL };

YGG_EXPORT const struct ygg_plugin ygg_plugin_entry = {
	.abi_version = YGG_PLUGIN_ABI_VERSION,
	.size = sizeof(struct ygg_plugin),
	.name = "summarize",
	.version = "1.0.0",
	.description = "summaries bounded by max_words and max_chars",
	.types = summarize_types,
	.init = summarize_init,
	.fini = NULL,
	.build_request = summarize_build_request,
	.handle_reply = summarize_handle_reply,
};
