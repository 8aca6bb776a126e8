/*
 * fuzz_stream.c - libFuzzer target for the reply parsers (core/llm_stream.c).
 *
 * The first input byte picks the API and the content cap, the next two seed the
 * way the rest is cut into pieces. The same bytes are fed whole and in those
 * random pieces; both runs must agree on everything (rc, failure class, error
 * text, content, token counts), and the reply must hold its invariants (content
 * NUL-terminated at len, within the cap; an error exactly when it failed).
 * Seeds: tests/fuzz/corpus/stream/ (the first byte of each is the selector).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

struct run {
	int rc;
	struct ygg_reply r; /* copies */
};

static void
check_reply(const struct ygg_reply *r, int rc, size_t max_bytes)
{
	if (r->content == NULL || r->content[r->len] != '\0')
		abort();
	if (max_bytes > 0 && r->len > max_bytes)
		abort();
	if ((rc == 0) != (r->fail == FAIL_NONE) || (rc == 0) != (r->error == NULL) || (rc == 0) != r->done)
		abort();
	if (r->fail != FAIL_NONE && r->fail != FAIL_TRANSIENT && r->fail != FAIL_PERMANENT)
		abort();
	if (rc == 0 && (r->ttft >= 0) != (r->len > 0))
		abort();
}

static struct run
feed(enum api_kind api, size_t max_bytes, const uint8_t *data, size_t size, uint32_t seed)
{
	struct llm_stream *s = llm_stream_new(api, max_bytes);
	struct run out;
	size_t off = 0;
	int rc = 0;

	while (off < size && rc == 0) {
		size_t n = size - off;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 17;
			if (n > size - off)
				n = size - off;
		}
		rc = llm_stream_feed(s, (const char *)data + off, n);
		off += n;
	}
	if (rc == 0)
		rc = llm_stream_finish(s);
	const struct ygg_reply *r = llm_stream_reply(s);
	check_reply(r, rc, max_bytes);
	out.rc = rc;
	memset(&out.r, 0, sizeof out.r);
	out.r.content = xstrndup(r->content, r->len);
	out.r.len = r->len;
	out.r.error = r->error != NULL ? xstrdup(r->error) : NULL;
	out.r.fail = r->fail;
	out.r.prompt_tokens = r->prompt_tokens;
	out.r.completion_tokens = r->completion_tokens;
	out.r.done = r->done;
	llm_stream_free(s);
	return out;
}

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0, 16, 1000, 65536 };

	if (size < 3)
		return 0;
	enum api_kind api = (data[0] & 1) ? API_OPENAI : API_OLLAMA;
	size_t max_bytes = caps[(data[0] >> 1) & 3];
	uint32_t seed = ((uint32_t)data[1] << 8 | data[2]) + 1;

	struct run whole = feed(api, max_bytes, data + 3, size - 3, 0);
	struct run split = feed(api, max_bytes, data + 3, size - 3, seed);
	if (whole.rc != split.rc || whole.r.fail != split.r.fail || whole.r.done != split.r.done ||
	    whole.r.len != split.r.len || memcmp(whole.r.content, split.r.content, whole.r.len) != 0 ||
	    !same_str(whole.r.error, split.r.error) || whole.r.prompt_tokens != split.r.prompt_tokens ||
	    whole.r.completion_tokens != split.r.completion_tokens)
		abort();
	reply_clear(&whole.r);
	reply_clear(&split.r);
	return 0;
}
