/*
 * check_config.c - the INI loader: what an operator sees for a bad file (the
 * exact "FILE:LINE: key: what is wrong"), and what a good file turns into.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ygg.h"

#define HOST_A "[host.a]\nurl = http://a:11434\napi = ollama\nmodel = m\nslots = 1\n"
#define HOST_B "[host.b]\nurl = http://b:11434\napi = openai\nmodel = m\nslots = 1\n"

static struct ygg_config *
parse_ok(const char *text)
{
	struct ygg_config *cfg = NULL;
	char *cause = NULL;

	if (config_parse(text, "t.ini", "/cfg", &cfg, &cause) == -1)
		ck_abort_msg("refused: %s\n--- text:\n%s", cause, text);
	ck_assert_ptr_null(cause);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/* ---------------------------------------------------------------- rejections */

static const struct {
	const char *text;
	const char *cause; /* exact */
} bad[] = {
	/* sections */
	{ "[yggd]\n[foo]\n", "t.ini:2: [foo]: unknown section (expected [yggd], [host.NAME] or [handler.TYPE])" },
	{ "[yggd]\nsort = oldest\n\n[yggd]\n", "t.ini:4: [yggd]: given twice (first at line 1)" },
	{ "[host.a b]\n", "t.ini:1: [host.a b]: a host name is 1 to 64 of [A-Za-z0-9_.-]" },
	{ "[host.]\n", "t.ini:1: [host.]: a host name is 1 to 64 of [A-Za-z0-9_.-]" },
	{ HOST_A "\n" HOST_B "\n[host.a]\nurl = http://x\n", "t.ini:13: [host.a]: host a is already defined at line 1" },
	{ HOST_A "[handler.general]\nhosts = a\n[handler.general]\nhosts = a\n",
	    "t.ini:8: [handler.general]: a handler for general is already defined at line 6" },
	{ HOST_A "[handler.translate]\nhosts = a\n",
	    "t.ini:6: [handler.translate]: translate is not a task type (code-generation, text-processing, reasoning, "
	    "summarize, general, artifact); a handler for a type of your own needs plugin = NAME" },
	{ "[handler.Code_Gen]\nplugin = x\nhosts = a\n", "t.ini:1: [handler.Code_Gen]: a task type is [a-z0-9-]+" },
	/* syntax */
	{ "store = jsonl\n", "t.ini:1: store: set before any [section] (global settings go under [yggd])" },
	{ "[yggd]\nthis is not a pair\n", "t.ini:2: expected [section] or key = value, not \"this is not a pair\"" },
	{ "[yggd]\n[host.a\n", "t.ini:2: [host.a: no closing ] for the section name" },
	{ "\xef\xbb\xbf[yggd\n", "t.ini:1: [yggd: no closing ] for the section name" },
	{ "[yggd]\n = nokey\n", "t.ini:2: expected [section] or key = value, not \"= nokey\"" },
	{ "[yggd]\nsort = oldest\nsort = hybrid\n", "t.ini:3: sort: set twice in [yggd] (first at line 2)" },
	{ "[host.a]\nmodel = m\n  slots = 2\n",
	    "t.ini:3: model: the value continues on an indented line; only system_prompt, options and plugin keys "
	    "may span lines (unindent the line if it is a key of its own)" },
	/* unknown keys */
	{ "[yggd]\nstroe = jsonl\n", "t.ini:2: stroe: unknown key in [yggd] (did you mean store?)" },
	{ "[yggd]\nfrobnicate = 1\n", "t.ini:2: frobnicate: unknown key in [yggd]" },
	{ "[yggd]\nslots = 2\n", "t.ini:2: slots: unknown key in [yggd]" },
	{ "[host.a]\nurl = http://a\nmodle = m\n", "t.ini:3: modle: unknown key in [host.a] (did you mean model?)" },
	{ "[host.a]\nhosts = a\n", "t.ini:2: hosts: unknown key in [host.a]" },
	{ HOST_A "[handler.general]\nhosts = a\nkeyword = x\n",
	    "t.ini:8: keyword: unknown key in [handler.general] (did you mean keywords?)" },
	{ HOST_A "[handler.general]\nhosts = a\ntimeouts = 5\n",
	    "t.ini:8: timeouts: unknown key in [handler.general] (did you mean timeout?)" },
	{ HOST_A "[handler.general]\nhosts = a\nmodel = x\n",
	    "t.ini:8: model: belongs in a [host.NAME] section; a handler picks hosts with hosts =" },
	{ HOST_A "[handler.general]\nhosts = a\nsort = oldest\n", "t.ini:8: sort: belongs in the [yggd] section" },
	{ HOST_A "[handler.general]\nhosts = a\nMax-Words = 3\n",
	    "t.ini:8: Max-Words: unknown key in [handler.general] (a plugin's own keys are [a-z][a-z0-9_]*)" },
	/* required keys */
	{ "[host.a]\nurl = http://a\n", "t.ini:1: [host.a]: missing required keys api, model, slots" },
	{ "[yggd]\n\n[host.a]\nurl = http://a\napi = ollama\nmodel = m\n",
	    "t.ini:3: [host.a]: missing required key slots" },
	{ HOST_A "[handler.general]\nlabels = x\n", "t.ini:6: [handler.general]: missing required key hosts" },
	{ HOST_A "[handler.mine]\nplugin = mine\n", "t.ini:6: [handler.mine]: missing required key hosts" },
	/* hosts of a handler */
	{ "[handler.general]\nhosts = a, nope\n" HOST_A, "t.ini:2: hosts: no [host.nope] section defines host nope" },
	{ HOST_A "[handler.general]\nhosts = , ,\n", "t.ini:7: hosts: must name at least one [host.NAME]" },
	{ HOST_A "[handler.general]\nhosts =\n", "t.ini:7: hosts: must name at least one [host.NAME]" },
	{ HOST_A "[handler.general]\nhosts = a, a\n", "t.ini:7: hosts: a is listed twice" },
	/* slots */
	{ "[host.a]\nslots = 0\n", "t.ini:2: slots: must be between 1 and 1024, not 0" },
	{ "[host.a]\nslots = -2\n", "t.ini:2: slots: must be between 1 and 1024, not -2" },
	{ "[host.a]\nslots = zero\n", "t.ini:2: slots: not a number: \"zero\"" },
	{ "[host.a]\nslots = 1025\n", "t.ini:2: slots: must be between 1 and 1024, not 1025" },
	{ "[host.a]\nslots = 99999999999999999999999\n",
	    "t.ini:2: slots: must be between 1 and 1024, not 99999999999999999999999" },
	{ "[host.a]\nslots = 2.5\n", "t.ini:2: slots: not a number: \"2.5\"" },
	{ "[host.a]\nslots = 0x10\n", "t.ini:2: slots: not a number: \"0x10\"" },
	/* url */
	{ "[host.a]\nurl = ftp://a\n", "t.ini:2: url: must start with http:// or https://, not \"ftp://a\"" },
	{ "[host.a]\nurl = skadi:11434\n", "t.ini:2: url: must start with http:// or https://, not \"skadi:11434\"" },
	{ "[host.a]\nurl = http://\n", "t.ini:2: url: no host name in \"http://\"" },
	{ "[host.a]\nurl = http:///api\n", "t.ini:2: url: no host name in \"http:///api\"" },
	{ "[host.a]\nurl = http://:8080\n", "t.ini:2: url: no host name in \"http://:8080\"" },
	{ "[host.a]\nurl = http://a b:1\n", "t.ini:2: url: must not contain spaces or control characters" },
	{ "[host.a]\nurl = http://a:99999\n",
	    "t.ini:2: url: the port must be a number from 1 to 65535 in \"http://a:99999\"" },
	{ "[host.a]\nurl = http://a:\n", "t.ini:2: url: the port must be a number from 1 to 65535 in \"http://a:\"" },
	{ "[host.a]\nurl = http://a/x?k=1\n",
	    "t.ini:2: url: must not have a query or fragment (yggd appends the API path): \"http://a/x?k=1\"" },
	{ "[host.a]\nurl = http://[::1\n", "t.ini:2: url: no closing ] after the IPv6 address in \"http://[::1\"" },
	{ "[host.a]\nurl = http://a!b\n", "t.ini:2: url: bad character in the host name in \"http://a!b\"" },
	/* api, model, options, keys */
	{ "[host.a]\napi = vllm\n", "t.ini:2: api: expected ollama or openai, not \"vllm\"" },
	{ "[host.a]\nmodel =\n", "t.ini:2: model: must not be empty" },
	{ "[host.a]\noptions = {num_ctx: 1}\n",
	    "t.ini:2: options: not valid JSON: quoted object property name expected at character 2" },
	{ "[host.a]\noptions = [1, 2]\n", "t.ini:2: options: must be a JSON object like {\"num_ctx\": 8192}, not \"[1, 2]\"" },
	{ "[host.a]\noptions = 8192\n", "t.ini:2: options: must be a JSON object like {\"num_ctx\": 8192}, not \"8192\"" },
	{ "[host.a]\noptions = {\"a\": 1} x\n", "t.ini:2: options: not valid JSON: unexpected text after the object: \"x\"" },
	{ "[host.a]\noptions = {\"a\":\n", "t.ini:2: options: not valid JSON: the object is not closed" },
	{ "[host.a]\napi_key_env = K\napi_key_file = /k\n",
	    "t.ini:3: api_key_file: api_key_env is set too (line 2): use one or the other" },
	{ "[host.a]\napi_key_file = k\napi_key_env = K\n",
	    "t.ini:3: api_key_env: api_key_file is set too (line 2): use one or the other" },
	{ "[host.a]\napi_key_env = 1KEY\n", "t.ini:2: api_key_env: not an environment variable name: \"1KEY\"" },
	{ "[host.a]\napi_key_env = MY-KEY\n", "t.ini:2: api_key_env: not an environment variable name: \"MY-KEY\"" },
	/* timeouts and numbers */
	{ "[host.a]\ntimeout = 0\n", "t.ini:2: timeout: must be more than 0 seconds, not 0" },
	{ "[host.a]\nconnect_timeout = -1\n", "t.ini:2: connect_timeout: must be more than 0 seconds, not -1" },
	{ "[host.a]\nidle_timeout = soon\n", "t.ini:2: idle_timeout: not a number of seconds: \"soon\"" },
	{ "[host.a]\nidle_timeout = 5 parsecs\n", "t.ini:2: idle_timeout: unknown unit \"parsecs\" (seconds, or ms, s, m, h)" },
	{ "[host.a]\ntimeout = 1e3\n", "t.ini:2: timeout: unknown unit \"e3\" (seconds, or ms, s, m, h)" },
	{ "[host.a]\ntimeout = 400d\n", "t.ini:2: timeout: unknown unit \"d\" (seconds, or ms, s, m, h)" },
	{ "[host.a]\ntimeout = 9999h\n", "t.ini:2: timeout: must be at most 31536000 seconds, not 9999h" },
	{ "[host.a]\nhealth_interval = 0\n", "t.ini:2: health_interval: must be more than 0 seconds, not 0" },
	{ "[host.a]\nfail_threshold = 0\n", "t.ini:2: fail_threshold: must be between 1 and 1000, not 0" },
	{ "[yggd]\nmax_attempts = 0\n", "t.ini:2: max_attempts: must be between 1 and 100, not 0" },
	{ "[yggd]\nmax_attempts = 101\n", "t.ini:2: max_attempts: must be between 1 and 100, not 101" },
	{ HOST_A "[handler.general]\nhosts = a\nmax_attempts = 0\n",
	    "t.ini:8: max_attempts: must be between 1 and 100, not 0" },
	{ HOST_A "[handler.general]\nhosts = a\ntimeout = 0\n", "t.ini:8: timeout: must be more than 0 seconds, not 0" },
	{ "[yggd]\npoll_interval = 0\n", "t.ini:2: poll_interval: must be more than 0 seconds, not 0" },
	{ "[yggd]\nbd_timeout = -5\n", "t.ini:2: bd_timeout: must be more than 0 seconds, not -5" },
	{ "[yggd]\nshutdown_grace = -1\n", "t.ini:2: shutdown_grace: must be between 0 and 31536000 seconds, not -1" },
	{ "[yggd]\nbackoff_base = 10\nbackoff_max = 5\n",
	    "t.ini:3: backoff_max: backoff_max (5) must not be less than backoff_base (10)" },
	{ "[yggd]\nbackoff_base = 400\n",
	    "t.ini:2: backoff_base: backoff_max (300) must not be less than backoff_base (400)" },
	{ "[yggd]\nmax_response_bytes = 0\n",
	    "t.ini:2: max_response_bytes: must be between 1 and 1073741824 bytes, not 0" },
	{ "[yggd]\nmax_response_bytes = 8 MB\n",
	    "t.ini:2: max_response_bytes: unknown unit \"MB\" (bytes, or K, M, G)" },
	{ "[yggd]\nmax_comment_bytes = 1.5\n", "t.ini:2: max_comment_bytes: not a whole number of bytes: \"1.5\"" },
	{ "[yggd]\nmax_comment_bytes = lots\n", "t.ini:2: max_comment_bytes: not a number of bytes: \"lots\"" },
	{ "[yggd]\nfail_threshold = none\n", "t.ini:2: fail_threshold: not a number: \"none\"" },
	/* enums and strings */
	{ "[yggd]\nstore = sqlite\n", "t.ini:2: store: expected auto, jsonl or bd, not \"sqlite\"" },
	{ "[yggd]\nsort = newest\n", "t.ini:2: sort: expected priority, oldest or hybrid, not \"newest\"" },
	{ "[yggd]\nassignee =\n", "t.ini:2: assignee: must not be empty" },
	{ "[yggd]\nbeads_dir =\n", "t.ini:2: beads_dir: must not be empty" },
	{ "[yggd]\nbd =\n", "t.ini:2: bd: must not be empty" },
	{ "[yggd]\ncontrol =\n", "t.ini:2: control: must not be empty (off turns the control API off)" },
	/* handler lists and flags */
	{ HOST_A "[handler.general]\nhosts = a\ndefault = maybe\n",
	    "t.ini:8: default: expected yes or no (true/false, on/off, 1/0), not \"maybe\"" },
	{ HOST_A "[handler.general]\nhosts = a\ndefault = yes\n\n[handler.reasoning]\nhosts = a\ndefault = on\n",
	    "t.ini:12: default: [handler.general] is already the default (line 8)" },
	{ HOST_A "[handler.general]\nhosts = a\nkeywords = fix, to-do\n",
	    "t.ini:8: keywords: \"to-do\" is not one word: titles are split at anything but letters and digits" },
	{ HOST_A "[handler.general]\nhosts = a\nkeywords = fix\xe2\x80\x94it\n",
	    "t.ini:8: keywords: \"fix\xe2\x80\x94it\" is not one word: titles are split at anything but letters and digits" },
	{ HOST_A "[handler.general]\nhosts = a\nkeywords = Fix\n[handler.reasoning]\nhosts = a\nkeywords = why, fix\n",
	    "t.ini:11: keywords: \"fix\" is already listed by [handler.general] (line 8)" },
	{ HOST_A "[handler.general]\nhosts = a\nlabels = x, Code\n[handler.reasoning]\nhosts = a\nlabels = code\n",
	    "t.ini:11: labels: \"code\" is already listed by [handler.general] (line 8)" },
	{ HOST_A "[handler.general]\nhosts = a\nlabels = a b\n", "t.ini:8: labels: \"a b\": a label has no spaces" },
	{ HOST_A "[handler.general]\nhosts = a\nplugin = My Plugin\n",
	    "t.ini:8: plugin: a plugin name is [a-z0-9_-]+, not \"My Plugin\"" },
	/* the first problem in the file is the one reported */
	{ "[yggd]\nsort = newest\n[foo]\n", "t.ini:2: sort: expected priority, oldest or hybrid, not \"newest\"" },
	{ "[yggd]\nsort = newest\nnot a pair\n", "t.ini:3: expected [section] or key = value, not \"not a pair\"" },
};

START_TEST(rejects)
{
	struct ygg_config *cfg = (struct ygg_config *)1;
	char *cause = NULL;

	ck_assert_msg(config_parse(bad[_i].text, "t.ini", "/cfg", &cfg, &cause) == -1, "accepted:\n%s", bad[_i].text);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, bad[_i].cause);
	free(cause);
}
END_TEST

/*
 * control = is checked with control.c's own parser, so the wording after the
 * key is that module's; what matters here is file, line, key and the value.
 */
static const char *const bad_control[] = {
	"7411", "localhost", ":7411", "[::1]", "::1:7411", "127.0.0.1:65536", "[zz]:7411", "gpu-box:7411",
	"unix:", "127.0.0.1:port",
};

START_TEST(rejects_control)
{
	char *text = xasprintf("[yggd]\n\ncontrol = %s\n", bad_control[_i]);
	char *want = xasprintf("\"%s\")", bad_control[_i]);
	struct ygg_config *cfg;
	char *cause = NULL;

	ck_assert_msg(config_parse(text, "t.ini", "/cfg", &cfg, &cause) == -1, "accepted %s", bad_control[_i]);
	ck_assert_msg(strncmp(cause, "t.ini:3: control: ", 18) == 0, "%s", cause);
	ck_assert_msg(strstr(cause, "control =") == NULL, "key twice: %s", cause);
	ck_assert_msg(strlen(cause) > 18 + strlen(want), "%s", cause);
	ck_assert_str_eq(cause + strlen(cause) - strlen(want), want);
	free(cause);
	free(want);
	free(text);
}
END_TEST

START_TEST(rejects_long_line)
{
	struct buf b;
	struct ygg_config *cfg;
	char *cause = NULL;

	buf_init(&b);
	buf_adds(&b, HOST_A "[handler.general]\nhosts = a\nsystem_prompt = ");
	for (int i = 0; i < 100000; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\n");
	ck_assert_int_eq(config_parse(b.p, "t.ini", "/cfg", &cfg, &cause), -1);
	ck_assert_msg(strncmp(cause, "t.ini:8: line is longer than ", 29) == 0, "%s", cause);
	ck_assert_ptr_nonnull(strstr(cause, "(continue a long value on indented lines)"));
	free(cause);
	buf_free(&b);
}
END_TEST

START_TEST(rejects_files)
{
	char *dir = tu_tmpdir();
	char *path = path_join(dir, "ygg.ini");
	char *missing = path_join(dir, "nope.ini");
	struct ygg_config *cfg;
	char *cause = NULL, *want;
	FILE *f;

	ck_assert_int_eq(config_load(missing, &cfg, &cause), -1);
	want = xasprintf("%s: cannot read: No such file or directory", missing);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	ck_assert_int_eq(config_load(dir, &cfg, &cause), -1);
	want = xasprintf("%s: cannot read: Is a directory", dir);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	f = fopen(path, "w");
	fwrite("[yggd]\nsort = oldest\n\0\n", 1, 23, f);
	fclose(f);
	ck_assert_int_eq(config_load(path, &cfg, &cause), -1);
	want = xasprintf("%s:3: contains a NUL byte: not a text file", path);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* the name in messages is the path as given */
	tu_write_file(path, "[yggd]\nstore = nope\n");
	ck_assert_int_eq(config_load(path, &cfg, &cause), -1);
	want = xasprintf("%s:2: store: expected auto, jsonl or bd, not \"nope\"", path);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	free(missing);
	free(path);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* ---------------------------------------------------------------- good files */

START_TEST(defaults)
{
	struct ygg_config *cfg = parse_ok("");

	ck_assert_str_eq(cfg->path, "t.ini");
	ck_assert_str_eq(cfg->dir, "/cfg");
	ck_assert_int_eq(cfg->store, STORE_AUTO);
	ck_assert_str_eq(cfg->beads_dir, "/cfg/.beads");
	ck_assert_str_eq(cfg->plugin_dir, "/cfg/plugins");
	ck_assert_str_eq(cfg->artifacts_dir, "/cfg/artifacts");
	ck_assert_str_eq(cfg->control, "127.0.0.1:7411");
	ck_assert_ptr_null(cfg->control_token_file);
	ck_assert_int_eq(cfg->sort, SORT_PRIORITY);
	ck_assert_double_eq(cfg->poll_interval, 2);
	ck_assert_str_eq(cfg->assignee, "yggd");
	ck_assert_int_eq(cfg->max_attempts, 3);
	ck_assert_double_eq(cfg->shutdown_grace, 30);
	ck_assert_uint_eq(cfg->max_response_bytes, 8 * 1024 * 1024);
	ck_assert_uint_eq(cfg->max_comment_bytes, 16 * 1024);
	ck_assert_int_eq(cfg->fail_threshold, 3);
	ck_assert_double_eq(cfg->health_interval, 10);
	ck_assert_double_eq(cfg->backoff_base, 2);
	ck_assert_double_eq(cfg->backoff_max, 300);
	ck_assert_str_eq(cfg->bd_path, "bd");
	ck_assert_double_eq(cfg->bd_timeout, 30);
	ck_assert_uint_eq(cfg->nhosts, 0);
	ck_assert_uint_eq(cfg->nhandlers, 0);
	config_free(cfg);
	config_free(NULL);
}
END_TEST

START_TEST(host_defaults)
{
	struct ygg_config *cfg = parse_ok(HOST_A HOST_B "fail_threshold = 7\nhealth_interval = 1.5\n"
	    "[yggd]\nfail_threshold = 5\nhealth_interval = 30\n");
	const struct host_conf *a = config_host(cfg, "a"), *b = config_host(cfg, "b");

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(a->url, "http://a:11434");
	ck_assert_int_eq(a->api, API_OLLAMA);
	ck_assert_int_eq(b->api, API_OPENAI);
	ck_assert_str_eq(a->model, "m");
	ck_assert_int_eq(a->slots, 1);
	ck_assert_double_eq(a->timeout, 600);
	ck_assert_double_eq(a->connect_timeout, 10);
	ck_assert_double_eq(a->idle_timeout, 120);
	ck_assert_ptr_null(a->api_key_env);
	ck_assert_ptr_null(a->api_key_file);
	ck_assert_ptr_null(a->options);
	/* [yggd] comes last in the file and still sets the hosts' defaults */
	ck_assert_int_eq(a->fail_threshold, 5);
	ck_assert_double_eq(a->health_interval, 30);
	ck_assert_int_eq(b->fail_threshold, 7);
	ck_assert_double_eq(b->health_interval, 1.5);
	ck_assert_int_eq(a->line, 1);
	ck_assert_int_eq(b->line, 6);
	ck_assert_ptr_null(config_host(cfg, "c"));
	ck_assert_ptr_null(config_host(cfg, NULL));
	config_free(cfg);
}
END_TEST

static const struct {
	const char *line;
	const char *key;  /* field checked */
	const char *want; /* its value printed */
} values[] = {
	/* inline comments: "; " after a space starts one, a bare ";" is text */
	{ "model = qwen2.5-coder:7b   ; the code model", "model", "qwen2.5-coder:7b" },
	{ "model = a;b", "model", "a;b" },
	{ "model = a\t; tab comment", "model", "a" },
	{ "model = a # not a comment", "model", "a # not a comment" },
	{ "slots = 3 ; comment", "slots", "3" },
	{ "slots: 4", "slots", "4" },
	{ "url = http://a:11434/", "url", "http://a:11434" },
	{ "url = https://gw.example.net/ollama//", "url", "https://gw.example.net/ollama" },
	{ "url = http://[::1]:8080", "url", "http://[::1]:8080" },
	{ "url = http://user:pw@gpu-1.lan:11434", "url", "http://user:pw@gpu-1.lan:11434" },
	{ "url = HTTP://a", "error", "t.ini:3: url: must start with http:// or https://, not \"HTTP://a\"" },
	{ "timeout = 500ms", "timeout", "0.5" },
	{ "timeout = 1.5", "timeout", "1.5" },
	{ "timeout = 2m", "timeout", "120" },
	{ "timeout = 1h", "timeout", "3600" },
	{ "timeout = 30 s", "timeout", "30" },
	{ "options = {\"num_ctx\": 8192, \"temperature\": 0.2}", "options", "{\"num_ctx\": 8192, \"temperature\": 0.2}" },
	{ "options = {}", "options", "{}" },
	{ "api_key_env = SURTR_KEY", "api_key_env", "SURTR_KEY" },
	{ "api_key_file = keys/surtr.key", "api_key_file", "/cfg/keys/surtr.key" },
	{ "api_key_file = /etc/ygg/surtr.key", "api_key_file", "/etc/ygg/surtr.key" },
	{ "slots = 1024", "slots", "1024" },
	{ "slots = +2", "slots", "2" },
};

static void
host_field(const struct host_conf *h, const char *key, char *out, size_t len)
{
	if (strcmp(key, "model") == 0)
		snprintf(out, len, "%s", h->model);
	else if (strcmp(key, "slots") == 0)
		snprintf(out, len, "%d", h->slots);
	else if (strcmp(key, "url") == 0)
		snprintf(out, len, "%s", h->url);
	else if (strcmp(key, "timeout") == 0)
		snprintf(out, len, "%g", h->timeout);
	else if (strcmp(key, "options") == 0)
		snprintf(out, len, "%s", h->options);
	else if (strcmp(key, "api_key_env") == 0)
		snprintf(out, len, "%s", h->api_key_env);
	else if (strcmp(key, "api_key_file") == 0)
		snprintf(out, len, "%s", h->api_key_file);
	else
		ck_abort_msg("no field %s", key);
}

START_TEST(host_values)
{
	char *text, *cause = NULL, got[256];
	struct ygg_config *cfg = NULL;
	int rc;

	/* the line under test comes last, so it wins over the defaults above it */
	text = xasprintf("[host.x]\napi = ollama\n%s\n%s%s%s%s", values[_i].line,
	    strncmp(values[_i].line, "url", 3) == 0 ? "" : "url = http://x\n",
	    strncmp(values[_i].line, "model", 5) == 0 ? "" : "model = m\n",
	    strncmp(values[_i].line, "slots", 5) == 0 ? "" : "slots = 1\n", "");
	rc = config_parse(text, "t.ini", "/cfg", &cfg, &cause);
	if (strcmp(values[_i].key, "error") == 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(cause, values[_i].want);
		free(cause);
	} else {
		ck_assert_msg(rc == 0, "%s: %s", values[_i].line, cause);
		host_field(&cfg->hosts[0], values[_i].key, got, sizeof got);
		ck_assert_str_eq(got, values[_i].want);
		config_free(cfg);
	}
	free(text);
}
END_TEST

START_TEST(booleans)
{
	static const struct {
		const char *v;
		bool want;
	} tab[] = {
		{ "yes", true }, { "no", false }, { "true", true }, { "false", false }, { "1", true }, { "0", false },
		{ "on", true }, { "off", false }, { "YES", true }, { "Off", false },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		char *text = xasprintf(HOST_A "[handler.general]\nhosts = a\ndefault = %s\n", tab[i].v);
		struct ygg_config *cfg = parse_ok(text);
		ck_assert_msg(cfg->handlers[0].is_default == tab[i].want, "default = %s", tab[i].v);
		config_free(cfg);
		free(text);
	}
}
END_TEST

START_TEST(yggd_values)
{
	struct ygg_config *cfg = parse_ok("[yggd]\nstore = jsonl\nsort = hybrid\npoll_interval = 250ms\n"
	    "assignee = ygg-bot\nmax_attempts = 100\nshutdown_grace = 0\nmax_response_bytes = 8M\n"
	    "max_comment_bytes = 1.5K\nbackoff_base = 0\nbackoff_max = 0\nbd = ./tools/bd\nbd_timeout = 1m\n"
	    "control = off\ncontrol_token_file = secret/token\n");

	ck_assert_int_eq(cfg->store, STORE_JSONL);
	ck_assert_int_eq(cfg->sort, SORT_HYBRID);
	ck_assert_double_eq(cfg->poll_interval, 0.25);
	ck_assert_str_eq(cfg->assignee, "ygg-bot");
	ck_assert_int_eq(cfg->max_attempts, 100);
	ck_assert_double_eq(cfg->shutdown_grace, 0);
	ck_assert_uint_eq(cfg->max_response_bytes, 8388608);
	ck_assert_uint_eq(cfg->max_comment_bytes, 1536);
	ck_assert_double_eq(cfg->backoff_base, 0);
	ck_assert_str_eq(cfg->bd_path, "/cfg/tools/bd");
	ck_assert_double_eq(cfg->bd_timeout, 60);
	ck_assert_str_eq(cfg->control, "off");
	ck_assert_str_eq(cfg->control_token_file, "/cfg/secret/token");
	config_free(cfg);

	cfg = parse_ok("[yggd]\nstore = bd\nsort = oldest\nbd = bd-1.2\ncontrol = [::1]:7411\n");
	ck_assert_int_eq(cfg->store, STORE_BD);
	ck_assert_int_eq(cfg->sort, SORT_OLDEST);
	ck_assert_str_eq(cfg->bd_path, "bd-1.2"); /* a bare name is looked up on PATH */
	ck_assert_str_eq(cfg->control, "[::1]:7411");
	config_free(cfg);

	cfg = parse_ok("[yggd]\ncontrol = unix:run/yggd.sock\n");
	ck_assert_str_eq(cfg->control, "unix:/cfg/run/yggd.sock");
	config_free(cfg);
	cfg = parse_ok("[yggd]\ncontrol = unix:/run/yggd.sock\n");
	ck_assert_str_eq(cfg->control, "unix:/run/yggd.sock");
	config_free(cfg);
	cfg = parse_ok("[yggd]\ncontrol = localhost:80\n");
	ck_assert_str_eq(cfg->control, "localhost:80");
	config_free(cfg);
	cfg = parse_ok("[yggd]\ncontrol = 127.0.0.1:0\n"); /* any free port: tests */
	ck_assert_str_eq(cfg->control, "127.0.0.1:0");
	config_free(cfg);
}
END_TEST

START_TEST(handler_values)
{
	struct ygg_config *cfg = parse_ok(HOST_A HOST_B
	    "[handler.summarize]\n"
	    "hosts = b, a   ; b first\n"
	    "labels = Summary, tl-dr\n"
	    "keywords = Summarize, TLDR, résumé\n"
	    "max_attempts = 5\n"
	    "timeout = 90\n"
	    "max_words = 200\n"
	    "system_prompt = You summarise.\n"
	    "  Keep it short; no lists.\n"
	    "\n"
	    "  Plain words ; this part is a comment\n"
	    "[handler.translate]\n"
	    "plugin = my-translator\n"
	    "hosts = a\n"
	    "target_language = Norwegian\n"
	    "\tand Icelandic\n");
	const struct handler_conf *h = config_handler(cfg, "summarize");
	const struct handler_conf *t = config_handler(cfg, "translate");

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_null(config_handler(cfg, "general"));
	ck_assert_uint_eq(cfg->nhandlers, 2);
	ck_assert_uint_eq(h->nhosts, 2);
	ck_assert_str_eq(h->hosts[0], "b");
	ck_assert_str_eq(h->hosts[1], "a");
	ck_assert_ptr_null(h->hosts[2]);
	ck_assert_str_eq(h->labels[0], "Summary");
	ck_assert_str_eq(h->labels[1], "tl-dr");
	ck_assert_ptr_null(h->labels[2]);
	ck_assert_str_eq(h->keywords[0], "summarize");
	ck_assert_str_eq(h->keywords[1], "tldr");
	ck_assert_str_eq(h->keywords[2], "résumé");
	ck_assert_ptr_null(h->keywords[3]);
	ck_assert_int_eq(h->max_attempts, 5);
	ck_assert_double_eq(h->timeout, 90);
	ck_assert(!h->is_default);
	ck_assert_ptr_null(h->plugin);
	ck_assert_str_eq(h->system_prompt, "You summarise.\nKeep it short; no lists.\nPlain words");
	ck_assert_int_eq(h->line, 11);
	/* every key=value in order, for the plugin's task_config */
	static const char *const kv[] = {
		"hosts", "b, a", "labels", "Summary, tl-dr", "keywords", "Summarize, TLDR, résumé", "max_attempts", "5",
		"timeout", "90", "max_words", "200", "system_prompt",
		"You summarise.\nKeep it short; no lists.\nPlain words", NULL,
	};
	for (size_t i = 0; kv[i] != NULL; i++) {
		ck_assert_ptr_nonnull(h->kv[i]);
		ck_assert_str_eq(h->kv[i], kv[i]);
	}
	ck_assert_ptr_null(h->kv[14]);

	ck_assert_str_eq(t->plugin, "my-translator");
	ck_assert_int_eq(t->max_attempts, 0); /* 0: the global one */
	ck_assert_double_eq(t->timeout, 0);   /* 0: the host's */
	ck_assert_ptr_null(t->system_prompt);
	ck_assert_ptr_null(t->labels[0]);
	ck_assert_ptr_null(t->keywords[0]);
	ck_assert_str_eq(t->kv[4], "target_language");
	ck_assert_str_eq(t->kv[5], "Norwegian\nand Icelandic");
	ck_assert_ptr_null(t->kv[6]);
	config_free(cfg);
}
END_TEST

/* CRLF line ends, a UTF-8 byte order mark, "#" comments and odd spacing all read as expected. */
START_TEST(file_shapes)
{
	struct ygg_config *cfg = parse_ok("\xef\xbb\xbf[yggd]\r\n# a comment\r\n; another\r\nsort=oldest\r\n"
	    "[ host.a ]\r\n  url   =   http://a:1/  \r\napi=openai\r\nmodel = m\r\nslots = 2\r\n");

	ck_assert_int_eq(cfg->sort, SORT_OLDEST);
	ck_assert_uint_eq(cfg->nhosts, 1);
	ck_assert_str_eq(cfg->hosts[0].name, "a");
	ck_assert_str_eq(cfg->hosts[0].url, "http://a:1");
	ck_assert_int_eq(cfg->hosts[0].line, 5);
	ck_assert_int_eq(cfg->hosts[0].slots, 2);
	config_free(cfg);

	/* line numbers survive CRLF and the BOM */
	struct ygg_config *bad = NULL;
	char *cause = NULL;
	ck_assert_int_eq(config_parse("\xef\xbb\xbf[yggd]\r\n\r\nsort = x\r\n", "t.ini", "/cfg", &bad, &cause), -1);
	ck_assert_str_eq(cause, "t.ini:3: sort: expected priority, oldest or hybrid, not \"x\"");
	free(cause);
}
END_TEST

/* Long names that inih would cut at 49 bytes keep their full length. */
START_TEST(long_names)
{
	char name[80], *text;
	struct ygg_config *cfg;
	char *cause = NULL;

	memset(name, 'h', 60);
	name[60] = '\0';
	text = xasprintf("[host.%s]\nurl = http://a\napi = ollama\nmodel = m\nslots = 1\n", name);
	cfg = parse_ok(text);
	ck_assert_str_eq(cfg->hosts[0].name, name);
	config_free(cfg);
	free(text);

	text = xasprintf("[yggd]\n%s = 1\n", name);
	ck_assert_int_eq(config_parse(text, "t.ini", "/cfg", &cfg, &cause), -1);
	char *want = xasprintf("t.ini:2: %s: unknown key in [yggd]", name);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(text);
}
END_TEST

/* Relative paths resolve against the config file's folder, wherever yggd runs from. */
START_TEST(relative_paths)
{
	char *dir = tu_tmpdir();
	char *sub = path_join(dir, "proj");
	char *etc = path_join(sub, "etc");
	char *ini = path_join(etc, "ygg.ini");
	struct ygg_config *cfg;
	char *cause = NULL, *want;
	char cwd[4096];

	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	tu_write_file(ini, "[yggd]\nbeads_dir = ../.beads\nplugin_dir = ./plugins/./x//\n"
	    "artifacts_dir = /var/lib/ygg/artifacts\ncontrol = unix:./run/ygg.sock\n"
	    "control_token_file = token\n");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(chdir(sub), 0);
	ck_assert_msg(config_load("etc//ygg.ini", &cfg, &cause) == 0, "%s", cause);
	ck_assert_int_eq(chdir(cwd), 0);

	ck_assert_str_eq(cfg->path, ini);
	ck_assert_str_eq(cfg->dir, etc);
	want = xasprintf("%s/../.beads", etc);
	ck_assert_str_eq(cfg->beads_dir, want);
	free(want);
	want = xasprintf("%s/plugins/x", etc);
	ck_assert_str_eq(cfg->plugin_dir, want);
	free(want);
	ck_assert_str_eq(cfg->artifacts_dir, "/var/lib/ygg/artifacts");
	want = xasprintf("unix:%s/run/ygg.sock", etc);
	ck_assert_str_eq(cfg->control, want);
	free(want);
	want = xasprintf("%s/token", etc);
	ck_assert_str_eq(cfg->control_token_file, want);
	free(want);
	config_free(cfg);

	/* config_parse: a relative dir is taken from the working directory */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(config_parse("[yggd]\nbeads_dir = b\n", "x.ini", "proj/./etc/", &cfg, &cause), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_str_eq(cfg->dir, etc);
	want = xasprintf("%s/b", etc);
	ck_assert_str_eq(cfg->beads_dir, want);
	free(want);
	config_free(cfg);

	free(ini);
	free(etc);
	free(sub);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* The documented sample: the seed's three hosts and the six handlers. */
START_TEST(sample_loads)
{
	char *path = tu_src("etc/ygg.ini");
	char *etc = tu_src("etc");
	struct ygg_config *cfg;
	char *cause = NULL, *want;
	static const struct {
		const char *name, *model;
		int slots;
	} hosts[] = {
		{ "surtr-reasoning", "deepseek-r1:8b", 2 },
		{ "fenrir-chat", "llama3.2:3b", 3 },
		{ "skadi-code", "qwen2.5-coder:7b", 2 },
	};

	ck_assert_msg(config_load(path, &cfg, &cause) == 0, "%s", cause);
	ck_assert_uint_eq(cfg->nhosts, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(cfg->hosts[i].name, hosts[i].name);
		ck_assert_str_eq(cfg->hosts[i].model, hosts[i].model);
		ck_assert_int_eq(cfg->hosts[i].slots, hosts[i].slots);
		ck_assert_int_eq(cfg->hosts[i].api, API_OLLAMA);
		ck_assert_double_eq(cfg->hosts[i].timeout, 600);
		ck_assert_int_eq(cfg->hosts[i].fail_threshold, 3);
	}
	ck_assert_str_eq(cfg->hosts[2].url, "http://skadi:11434");
	ck_assert_uint_eq(cfg->nhandlers, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(cfg->handlers[i].type, ygg_task_types[i]);
	ck_assert_ptr_null(ygg_task_types[6]);
	const struct handler_conf *cg = config_handler(cfg, "code-generation");
	ck_assert_uint_eq(cg->nhosts, 2);
	ck_assert_str_eq(cg->hosts[0], "skadi-code");
	ck_assert_str_eq(cg->hosts[1], "fenrir-chat");
	ck_assert(config_handler(cfg, "general")->is_default);
	ck_assert_uint_eq(config_handler(cfg, "general")->nhosts, 3);
	ck_assert(!cg->is_default);
	want = xasprintf("%s/../.beads", etc);
	ck_assert_str_eq(cfg->beads_dir, want);
	free(want);
	want = xasprintf("%s/../build/plugins", etc);
	ck_assert_str_eq(cfg->plugin_dir, want);
	free(want);
	want = xasprintf("%s/../artifacts", etc);
	ck_assert_str_eq(cfg->artifacts_dir, want);
	free(want);
	ck_assert_str_eq(cfg->control, "127.0.0.1:7411");
	ck_assert_int_eq(cfg->store, STORE_AUTO);
	ck_assert_int_eq(cfg->sort, SORT_PRIORITY);
	config_free(cfg);
	free(etc);
	free(path);
}
END_TEST

/*
 * The sample lists every key, most commented out with their defaults: with
 * each one uncommented it still loads, to the same values (api_key_file stays
 * commented: it is the alternative to api_key_env).
 */
START_TEST(sample_every_key)
{
	char *path = tu_src("etc/ygg.ini");
	char *etc = tu_src("etc");
	char *text = tu_read_file(path, NULL);
	struct ygg_config *cfg, *plain;
	char *cause = NULL;
	struct buf b;
	int uncommented = 0;

	ck_assert_ptr_nonnull(text);
	buf_init(&b);
	for (char *line = text; *line != '\0';) {
		size_t len = strcspn(line, "\n");
		size_t k = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");
		bool key = line[0] == ';' && k > 0 && (line[1 + k] == ' ' || line[1 + k] == '=') &&
		    strncmp(line + 1, "api_key_file", 12) != 0;
		bool cont = line[0] == ';' && line[1] == ' ' && line[2] == ' ' && line[5] != ' ';
		if (key || cont) {
			buf_add(&b, line + 1, len - 1);
			uncommented++;
		} else
			buf_add(&b, line, len);
		buf_addc(&b, '\n');
		line += len + (line[len] == '\n');
	}
	ck_assert_int_ge(uncommented, 22);
	ck_assert_msg(config_parse(b.p, "ygg.ini", etc, &cfg, &cause) == 0, "%s\n%s", cause, b.p);
	ck_assert_int_eq(config_load(path, &plain, &cause), 0);

	ck_assert_uint_eq(cfg->max_response_bytes, plain->max_response_bytes);
	ck_assert_uint_eq(cfg->max_comment_bytes, plain->max_comment_bytes);
	ck_assert_int_eq(cfg->fail_threshold, plain->fail_threshold);
	ck_assert_double_eq(cfg->health_interval, plain->health_interval);
	ck_assert_double_eq(cfg->backoff_base, plain->backoff_base);
	ck_assert_double_eq(cfg->backoff_max, plain->backoff_max);
	ck_assert_str_eq(cfg->bd_path, plain->bd_path);
	ck_assert_double_eq(cfg->bd_timeout, plain->bd_timeout);
	ck_assert_str_eq(cfg->control_token_file, "/etc/ygg/token");
	const struct host_conf *h = config_host(cfg, "surtr-reasoning"), *ph = config_host(plain, "surtr-reasoning");
	ck_assert_double_eq(h->timeout, ph->timeout);
	ck_assert_double_eq(h->connect_timeout, ph->connect_timeout);
	ck_assert_double_eq(h->idle_timeout, ph->idle_timeout);
	ck_assert_int_eq(h->fail_threshold, ph->fail_threshold);
	ck_assert_double_eq(h->health_interval, ph->health_interval);
	ck_assert_str_eq(h->api_key_env, "SURTR_KEY");
	ck_assert_str_eq(h->options, "{\"num_ctx\": 8192}");
	const struct handler_conf *cg = config_handler(cfg, "code-generation");
	ck_assert_str_eq(cg->plugin, "code-generation");
	ck_assert_str_eq(cg->system_prompt, "You are a careful senior engineer.\nIndented lines continue the prompt.");
	ck_assert_int_eq(cg->max_attempts, plain->max_attempts);
	ck_assert_double_eq(cg->timeout, ph->timeout);
	ck_assert(!cg->is_default);
	config_free(plain);
	config_free(cfg);
	buf_free(&b);
	free(text);
	free(etc);
	free(path);
}
END_TEST

/* What the build installs as /etc/ygg.ini (etc/ygg.ini.install.in configured) loads too. */
START_TEST(installed_sample_loads)
{
	char *path = tu_build("ygg.ini.install");
	struct ygg_config *cfg;
	char *cause = NULL;

	ck_assert_msg(config_load(path, &cfg, &cause) == 0, "%s", cause);
	ck_assert_uint_eq(cfg->nhosts, 3);
	ck_assert_uint_eq(cfg->nhandlers, 6);
	ck_assert_str_eq(cfg->beads_dir, "/var/lib/ygg/.beads");
	ck_assert_str_eq(cfg->artifacts_dir, "/var/lib/ygg/artifacts");
	config_free(cfg);
	free(path);
}
END_TEST

START_TEST(names)
{
	enum sort_kind s;

	ck_assert_str_eq(api_kind_name(API_OLLAMA), "ollama");
	ck_assert_str_eq(api_kind_name(API_OPENAI), "openai");
	for (int i = SORT_PRIORITY; i <= SORT_HYBRID; i++) {
		ck_assert_int_eq(sort_kind_parse(sort_kind_name((enum sort_kind)i), &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_str_eq(sort_kind_name(SORT_OLDEST), "oldest");
	ck_assert_int_eq(sort_kind_parse("Priority", &s), -1);
	ck_assert_int_eq(sort_kind_parse("", &s), -1);
	ck_assert_int_eq(sort_kind_parse(NULL, &s), -1);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("reject");

	tcase_add_loop_test(tc, rejects, 0, sizeof bad / sizeof bad[0]);
	tcase_add_loop_test(tc, rejects_control, 0, sizeof bad_control / sizeof bad_control[0]);
	tcase_add_test(tc, rejects_long_line);
	tcase_add_test(tc, rejects_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, host_defaults);
	tcase_add_loop_test(tc, host_values, 0, sizeof values / sizeof values[0]);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, yggd_values);
	tcase_add_test(tc, handler_values);
	tcase_add_test(tc, file_shapes);
	tcase_add_test(tc, long_names);
	tcase_add_test(tc, relative_paths);
	tcase_add_test(tc, sample_loads);
	tcase_add_test(tc, sample_every_key);
	tcase_add_test(tc, installed_sample_loads);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
