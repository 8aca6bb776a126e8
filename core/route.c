/*
 * route.c - which handler takes an issue (DESIGN "Routing and scheduling").
 *
 * In order, the first rule that names a configured handler wins:
 *   1. a label "ygg:<type>", then a label equal to a type name, in the issue's
 *      label order ("ygg:" is the explicit form, so it beats a bare type label);
 *   2. a label listed in a handler's labels =, in the issue's label order;
 *   3. a word of the title listed in a handler's keywords =: the keyword that
 *      appears earliest in the title wins (the config refuses a keyword or label
 *      listed by two handlers, so a word never means two handlers);
 *   4. the handler marked default = yes.
 * Labels and title words compare case-insensitively (ASCII only). Title words
 * are runs of letters and digits; a non-ASCII character counts as a letter
 * unless it is punctuation, a symbol or a space (an em dash, curly quotes, an
 * emoji), so "Résumé—why" is the words "Résumé" and "why". Bytes that are not
 * UTF-8 separate words.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "ygg.h"

static const struct handler_conf *
by_type(const struct ygg_config *cfg, const char *type, size_t len)
{
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		const char *t = cfg->handlers[i].type;
		if (strlen(t) == len && strncasecmp(t, type, len) == 0)
			return &cfg->handlers[i];
	}
	return NULL;
}

static const struct handler_conf *
by_label(const struct ygg_config *cfg, const char *label)
{
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		char **l = cfg->handlers[i].labels;
		for (size_t j = 0; l != NULL && l[j] != NULL; j++)
			if (strcasecmp(l[j], label) == 0)
				return &cfg->handlers[i];
	}
	return NULL;
}

static const struct handler_conf *
by_keyword(const struct ygg_config *cfg, const char *word, size_t len)
{
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		char **k = cfg->handlers[i].keywords;
		for (size_t j = 0; k != NULL && k[j] != NULL; j++)
			if (strlen(k[j]) == len && strncasecmp(k[j], word, len) == 0)
				return &cfg->handlers[i];
	}
	return NULL;
}

/* The code point at s (NUL-terminated) and its length; 0 when not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80)
		return *cp = s[0], 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return n;
}

/* Punctuation, symbol and space blocks of Unicode: these separate words. */
static bool
cp_separates(uint32_t c)
{
	static const struct {
		uint32_t lo, hi;
	} seps[] = {
		{ 0x80, 0xa9 }, { 0xab, 0xb4 }, { 0xb6, 0xb9 }, { 0xbb, 0xbf }, { 0xd7, 0xd7 }, { 0xf7, 0xf7 },
		{ 0x2000, 0x2bff },   /* general punctuation, arrows, maths, shapes, dingbats */
		{ 0x2e00, 0x2e7f },   /* supplemental punctuation */
		{ 0x3000, 0x303f },   /* CJK symbols and punctuation */
		{ 0xfe00, 0xfe0f },   /* variation selectors (emoji) */
		{ 0xfe10, 0xfe1f }, { 0xfe30, 0xfe6f },
		{ 0xff01, 0xff0f }, { 0xff1a, 0xff20 }, { 0xff3b, 0xff40 }, { 0xff5b, 0xff65 },
		{ 0xfff0, 0xffff },
		{ 0x1f000, 0x1faff }, /* emoji and pictographs */
		{ 0xe0000, 0xe007f }, /* tags (flag sequences) */
	};

	if (c < 0x80)
		return !isalnum((int)c);
	for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++)
		if (c >= seps[i].lo && c <= seps[i].hi)
			return true;
	return false;
}

/* Length of the character at s and whether it belongs to a word. */
static size_t
char_at(const unsigned char *s, bool *word)
{
	uint32_t c;
	size_t n = utf8_decode(s, &c);

	if (n == 0) {
		*word = false;
		return 1;
	}
	*word = !cp_separates(c);
	return n;
}

size_t
route_next_word(const char **pos, const char **word)
{
	const unsigned char *p = (const unsigned char *)*pos, *start;
	bool in_word;
	size_t n;

	while (*p != '\0') {
		n = char_at(p, &in_word);
		if (in_word)
			break;
		p += n;
	}
	start = p;
	while (*p != '\0') {
		n = char_at(p, &in_word);
		if (!in_word)
			break;
		p += n;
	}
	*word = (const char *)start;
	*pos = (const char *)p;
	return (size_t)(p - start);
}

const struct handler_conf *
route_issue(const struct ygg_config *cfg, const struct issue *is)
{
	const struct handler_conf *h;
	char **labels = is->labels;

	if (cfg == NULL)
		return NULL;
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i++) {
		if (strncasecmp(labels[i], "ygg:", 4) == 0 &&
		    (h = by_type(cfg, labels[i] + 4, strlen(labels[i] + 4))) != NULL)
			return h;
	}
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i++) {
		if ((h = by_type(cfg, labels[i], strlen(labels[i]))) != NULL)
			return h;
	}
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i++) {
		if ((h = by_label(cfg, labels[i])) != NULL)
			return h;
	}
	const char *pos = is->title != NULL ? is->title : "", *w;
	size_t n;
	while ((n = route_next_word(&pos, &w)) > 0)
		if ((h = by_keyword(cfg, w, n)) != NULL)
			return h;
	for (size_t i = 0; i < cfg->nhandlers; i++)
		if (cfg->handlers[i].is_default)
			return &cfg->handlers[i];
	return NULL;
}
