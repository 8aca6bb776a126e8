/*
 * check_route.c - which handler an issue goes to, for the sample config and
 * for configs with a third-party type and without a default handler.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "ygg.h"

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOLABELS NULL

static const struct {
	const char *title;
	const char *const *labels;
	const char *want; /* handler type, NULL: no handler */
} sample_cases[] = {
	/* 1. ygg:<type> and type-name labels */
	{ "Implement the parser", L("ygg:reasoning"), "reasoning" },
	{ "Implement the parser", L("summarize"), "summarize" },
	{ "Summarize it", L("code", "ygg:artifact"), "artifact" },
	{ "x", L("YGG:Artifact"), "artifact" },
	{ "x", L("Text-Processing"), "text-processing" },
	{ "x", L("summarize", "ygg:reasoning"), "reasoning" }, /* the explicit form first */
	{ "x", L("reasoning", "summarize"), "reasoning" },     /* then label order */
	{ "fix it", L("general"), "general" },
	{ "fix the bug", L("ygg:translate"), "code-generation" }, /* no such handler: next rules */
	{ "fix the bug", L("ygg:"), "code-generation" },
	{ "x", L("code-generation-extra"), "general" },
	/* 2. handler labels, in the issue's label order */
	{ "Summarize the doc", L("code"), "code-generation" },
	{ "x", L("docs", "code"), "text-processing" },
	{ "x", L("unrelated", "ANALYSIS"), "reasoning" },
	{ "x", L("files"), "artifact" },
	/* 3. title words: the keyword earliest in the title */
	{ "Implement a summary of the design", NOLABELS, "code-generation" },
	{ "Write: a function", NOLABELS, "text-processing" },
	{ "Summary—why we refactor", NOLABELS, "summarize" },
	{ "TL;DR of the tldr", NOLABELS, "summarize" },
	{ "FIX", NOLABELS, "code-generation" },
	{ "scaffold_new-service", NOLABELS, "artifact" },
	{ "Résumé: analyse the café", NOLABELS, "reasoning" },
	{ "please (evaluate) options", L("unrelated"), "reasoning" },
	/* Unicode punctuation, symbols and stray bytes separate words; other letters do not */
	{ "\xe2\x80\x9c" "Fix" "\xe2\x80\x9d the parser", NOLABELS, "code-generation" },
	{ "\xf0\x9f\x9a\x80" "implement rockets", NOLABELS, "code-generation" },
	{ "analyse\xe2\x80\xa6", NOLABELS, "reasoning" },
	{ "\xff\xfe" "fix", NOLABELS, "code-generation" },
	{ "na\xc3\xafve summary", NOLABELS, "summarize" },
	{ "un" "\xc3\xa9" "fix", NOLABELS, "general" },
	/* 4. the default */
	{ "refactoring the fixer", NOLABELS, "general" },
	{ "implement2", NOLABELS, "general" },
	{ "", NOLABELS, "general" },
	{ NULL, NOLABELS, "general" },
	{ "nothing to see", L("bug", "p1"), "general" },
};

static struct ygg_config *
load_sample(void)
{
	char *path = tu_src("etc/ygg.ini");
	struct ygg_config *cfg;
	char *cause = NULL;

	ck_assert_msg(config_load(path, &cfg, &cause) == 0, "%s", cause);
	free(path);
	return cfg;
}

static void
issue_set(struct issue *is, const char *title, const char *const *labels)
{
	memset(is, 0, sizeof *is);
	is->id = (char *)"bd-1";
	is->title = (char *)title;
	is->labels = (char **)labels;
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i++)
		is->nlabels++;
}

static void
check_route(const struct ygg_config *cfg, const char *title, const char *const *labels, const char *want)
{
	struct issue is;
	const struct handler_conf *h;

	issue_set(&is, title, labels);
	h = route_issue(cfg, &is);
	if (want == NULL)
		ck_assert_msg(h == NULL, "\"%s\" went to %s", title, h->type);
	else {
		ck_assert_msg(h != NULL, "\"%s\" went nowhere", title);
		ck_assert_msg(strcmp(h->type, want) == 0, "\"%s\" went to %s, not %s", title, h->type, want);
	}
}

START_TEST(sample_table)
{
	struct ygg_config *cfg = load_sample();

	check_route(cfg, sample_cases[_i].title, sample_cases[_i].labels, sample_cases[_i].want);
	config_free(cfg);
}
END_TEST

#define HOST_A "[host.a]\nurl = http://a\napi = ollama\nmodel = m\nslots = 1\n"

static const struct {
	const char *title;
	const char *const *labels;
	const char *want;
} custom_cases[] = {
	{ "translate this", NOLABELS, "translate" },
	{ "x", L("ygg:translate"), "translate" },
	{ "x", L("translate"), "translate" },
	{ "x", L("i18n"), "translate" },
	{ "Résumé of the week", NOLABELS, "summarize" },
	{ "RÉSUMÉ of the week", NOLABELS, NULL }, /* only ASCII letters fold */
	{ "x", L("ygg:general"), NULL },          /* no handler for general here */
	{ "x", L("reasoning"), NULL },            /* nor for reasoning */
	{ "unmatched title", NOLABELS, NULL },     /* and no default */
};

START_TEST(custom_table)
{
	struct ygg_config *cfg;
	char *cause = NULL;

	ck_assert_msg(config_parse(HOST_A "[handler.translate]\nplugin = translator\nhosts = a\nlabels = i18n\n"
	    "keywords = translate\n[handler.summarize]\nhosts = a\nkeywords = résumé\n",
	    "t.ini", "/cfg", &cfg, &cause) == 0, "%s", cause);
	check_route(cfg, custom_cases[_i].title, custom_cases[_i].labels, custom_cases[_i].want);
	config_free(cfg);
}
END_TEST

START_TEST(no_config)
{
	struct ygg_config *cfg;
	char *cause = NULL;
	struct issue is;

	issue_set(&is, "fix", L("ygg:general"));
	ck_assert_ptr_null(route_issue(NULL, &is));
	ck_assert_int_eq(config_parse("", "t.ini", "/cfg", &cfg, &cause), 0);
	ck_assert_ptr_null(route_issue(cfg, &is));
	config_free(cfg);
}
END_TEST

Suite *
route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");

	tcase_add_loop_test(tc, sample_table, 0, sizeof sample_cases / sizeof sample_cases[0]);
	tcase_add_loop_test(tc, custom_table, 0, sizeof custom_cases / sizeof custom_cases[0]);
	tcase_add_test(tc, no_config);
	suite_add_tcase(s, tc);
	return s;
}
