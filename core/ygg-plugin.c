/*
 * ygg-plugin.c - list, inspect and check handler plugins.
 *
 *   ygg-plugin [-c FILE] [--json] [-v] list
 *   ygg-plugin [-c FILE] [--json] [-v] info NAME
 *   ygg-plugin [--json] [-v] check FILE.so
 *
 * list asks the running daemon first (GET /plugins on its control address from
 * the configuration) and then also shows tasks in flight per plugin; when no
 * daemon answers it says so on stderr and, like info, reads the configuration
 * (-c, default YGG_DEFAULT_CONFIG) and loads its plugin_dir itself ("static
 * mode"): every plugin with
 * its version, file, task types and the hosts of the handler sections that use
 * it, and every refused file with the reason. check loads one file through the
 * same checks as the daemon (init included) and unloads it.
 *
 * Exit status: 0 done (list also when some files were refused: they are
 * listed); 1 check refused the file, info found no such plugin, or plugin_dir
 * cannot be used; 2 bad usage or a bad configuration (its message is printed).
 *
 * The listing is built as JSON objects first and printed from those, so a
 * listing that comes from a running daemon can go through the same printers.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

static void
usage(FILE *f)
{
	fprintf(f, "usage: ygg-plugin [-c FILE] [--json] [-v] list\n"
	           "       ygg-plugin [-c FILE] [--json] [-v] info NAME\n"
	           "       ygg-plugin [--json] [-v] check FILE.so\n"
	           "  -c FILE   configuration (default %s)\n"
	           "  --json    print JSON instead of text\n"
	           "  -v        show the loader's log lines\n"
	           "exit: 0 ok, 1 refused / unknown plugin / unusable plugin_dir, 2 bad usage or configuration\n",
	    YGG_DEFAULT_CONFIG);
}

static struct json_object *
json_strings(const char *const *v)
{
	struct json_object *a = json_object_new_array();

	for (; v != NULL && *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static bool
json_array_has(struct json_object *a, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	return false;
}

/* One loaded plugin as the listing shows it. */
static struct json_object *
plugin_json(const struct ygg_config *cfg, struct plugin_set *ps, struct plugin *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *hosts = json_object_new_array();
	struct json_object *handlers = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "version", json_object_new_string(p->version));
	json_object_object_add(o, "file", json_object_new_string(p->path));
	json_object_object_add(o, "description",
	    p->desc->description != NULL ? json_object_new_string(p->desc->description) : NULL);
	json_object_object_add(o, "types", json_strings(p->desc->types));
	for (size_t i = 0; cfg != NULL && i < cfg->nhandlers; i++) {
		const struct handler_conf *h = &cfg->handlers[i];
		if (plugin_for_handler(ps, h) != p)
			continue;
		json_object_array_add(handlers, json_object_new_string(h->type));
		for (size_t j = 0; j < h->nhosts; j++)
			if (!json_array_has(hosts, h->hosts[j]))
				json_object_array_add(hosts, json_object_new_string(h->hosts[j]));
	}
	json_object_object_add(o, "handlers", handlers);
	json_object_object_add(o, "hosts", hosts);
	json_object_object_add(o, "status", json_object_new_string("loaded"));
	return o;
}

static struct json_object *
refusal_json(const struct plugin_error *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(e->path));
	json_object_object_add(o, "status", json_object_new_string("refused"));
	json_object_object_add(o, "error", json_object_new_string(e->reason));
	return o;
}

/* The static-mode listing: loaded plugins in load order, then refusals. */
static struct json_object *
listing_static(const struct ygg_config *cfg, struct plugin_set *ps)
{
	struct json_object *a = json_object_new_array();
	struct plugin *p;
	struct plugin_error *e;

	TAILQ_FOREACH(p, &ps->loaded, entry)
		json_object_array_add(a, plugin_json(cfg, ps, p));
	TAILQ_FOREACH(e, &ps->errors, entry)
		json_object_array_add(a, refusal_json(e));
	return a;
}

static const char *
field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}

/* A JSON array of strings joined with sep, or "-" when empty. */
static char *
joined(struct json_object *o, const char *key, const char *sep)
{
	struct json_object *a;
	struct buf b;

	buf_init(&b);
	if (json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			if (i > 0)
				buf_adds(&b, sep);
			buf_adds(&b, json_object_get_string(json_object_array_get_idx(a, i)));
		}
	if (b.len == 0)
		buf_adds(&b, "-");
	return buf_steal(&b);
}

static bool
is_loaded(struct json_object *o)
{
	return strcmp(field(o, "status"), "loaded") == 0;
}

static void
print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void
print_table(struct json_object *list, const char *dir)
{
	static const char *const heads[] = { "NAME", "VERSION", "TYPES", "HOSTS", "FILE" };
	size_t n = json_object_array_length(list), w[5], rows = 0;
	char *cells[5];

	for (size_t c = 0; c < 5; c++)
		w[c] = strlen(heads[c]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && rows > 0)
			printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], heads[0], (int)w[1], heads[1], (int)w[2],
			    heads[2], (int)w[3], heads[3], heads[4]);
		for (size_t i = 0; i < n; i++) {
			struct json_object *o = json_object_array_get_idx(list, i);
			if (!is_loaded(o))
				continue;
			cells[0] = xstrdup(field(o, "name"));
			cells[1] = xstrdup(field(o, "version"));
			cells[2] = joined(o, "types", ",");
			cells[3] = joined(o, "hosts", ",");
			cells[4] = xstrdup(field(o, "file"));
			for (size_t c = 0; c < 5; c++) {
				if (pass == 0 && strlen(cells[c]) > w[c])
					w[c] = strlen(cells[c]);
			}
			if (pass == 0)
				rows++;
			else
				printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], cells[0], (int)w[1], cells[1],
				    (int)w[2], cells[2], (int)w[3], cells[3], cells[4]);
			for (size_t c = 0; c < 5; c++)
				free(cells[c]);
		}
	}
	if (rows == 0)
		printf("no plugins loaded from %s\n", dir);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		if (!is_loaded(o))
			printf("refused %s: %s\n", field(o, "file"), field(o, "error"));
	}
}

static void
print_info(struct json_object *o)
{
	char *types = joined(o, "types", ", ");
	char *handlers = joined(o, "handlers", ", ");
	char *hosts = joined(o, "hosts", ", ");

	printf("name:        %s\n", field(o, "name"));
	printf("version:     %s\n", field(o, "version"));
	printf("file:        %s\n", field(o, "file"));
	printf("description: %s\n", *field(o, "description") != '\0' ? field(o, "description") : "-");
	printf("types:       %s\n", types);
	printf("handlers:    %s\n", handlers);
	printf("hosts:       %s\n", hosts);
	free(types);
	free(handlers);
	free(hosts);
}

/*
 * Read the configuration and load its plugin_dir; exit status or -1 when all went
 * well. announce: say on stderr that this is static mode (list has said it already).
 */
static int
load_static(const char *config, struct ygg_config **cfg, struct plugin_set *ps, bool announce)
{
	char *cause = NULL;

	if (config_load(config, cfg, &cause) == -1) {
		fprintf(stderr, "ygg-plugin: %s\n", cause);
		free(cause);
		return EXIT_USAGE;
	}
	if (announce)
		fprintf(stderr, "ygg-plugin: loaded plugin_dir %s directly (static mode)\n", (*cfg)->plugin_dir);
	plugin_set_init(ps);
	if (plugin_load_dir(ps, (*cfg)->plugin_dir, &cause) == -1) {
		fprintf(stderr, "ygg-plugin: %s\n", cause);
		free(cause);
		return EXIT_REFUSED;
	}
	return -1;
}

/*
 * list asks the running daemon first (GET /plugins): it knows what is loaded now,
 * the tasks in flight on each plugin and the refusals. 0 when it answered and the
 * listing is printed; -1 when it did not (the line saying so is printed);
 * EXIT_USAGE for a bad configuration.
 */
static int
list_from_daemon(const char *config, bool json)
{
	struct ygg_config *cfg = NULL;
	struct ctl_target t;
	char *cause = NULL, *body = NULL;
	long status = 0;
	int rc = -1;

	if (config_load(config, &cfg, &cause) == -1) {
		fprintf(stderr, "ygg-plugin: %s\n", cause);
		free(cause);
		return EXIT_USAGE;
	}
	ctl_target_from_config(&t, cfg);
	if (ctl_request(&t, "GET", "/plugins", &body, &status, &cause) == 0 && status == 200) {
		struct json_object *o = json_tokener_parse(body), *loaded, *refused;
		if (json && o != NULL && json_object_object_get_ex(o, "plugins", &loaded) &&
		    json_object_object_get_ex(o, "refused", &refused)) {
			/* the same array of entries as static mode, with in_flight added */
			struct json_object *list = json_object_new_array();
			for (size_t i = 0; i < json_object_array_length(loaded); i++)
				json_object_array_add(list, json_object_get(json_object_array_get_idx(loaded, i)));
			for (size_t i = 0; i < json_object_array_length(refused); i++)
				json_object_array_add(list, json_object_get(json_object_array_get_idx(refused, i)));
			print_json(list);
			json_object_put(list);
			rc = 0;
		} else if (!json) {
			struct buf out;
			buf_init(&out);
			if (ctl_plugins_text(body, &out) == 0) {
				fwrite(out.p, 1, out.len, stdout);
				rc = 0;
			}
			buf_free(&out);
		}
		json_object_put(o);
	}
	if (rc == -1 && strcmp(t.addr, "off") == 0)
		fprintf(stderr, "ygg-plugin: control = off in %s; loading plugin_dir %s directly\n", cfg->path,
		    cfg->plugin_dir);
	else if (rc == -1)
		fprintf(stderr, "ygg-plugin: the daemon did not answer at %s; loading plugin_dir %s directly\n", t.addr,
		    cfg->plugin_dir);
	free(cause);
	free(body);
	ctl_target_clear(&t);
	config_free(cfg);
	return rc;
}

static int
cmd_list(const char *config, bool json)
{
	struct ygg_config *cfg = NULL;
	struct plugin_set ps;
	int rc = list_from_daemon(config, json);

	if (rc != -1)
		return rc;
	rc = load_static(config, &cfg, &ps, false);

	if (rc == -1) {
		struct json_object *list = listing_static(cfg, &ps);
		if (json)
			print_json(list);
		else
			print_table(list, cfg->plugin_dir);
		json_object_put(list);
		rc = 0;
	}
	if (cfg != NULL)
		plugin_set_clear(&ps);
	config_free(cfg);
	return rc;
}

static int
cmd_info(const char *config, const char *name, bool json)
{
	struct ygg_config *cfg = NULL;
	struct plugin_set ps;
	int rc = load_static(config, &cfg, &ps, true);

	if (rc == -1) {
		struct plugin *p = plugin_find(&ps, name);
		if (p == NULL) {
			fprintf(stderr, "ygg-plugin: no plugin named %s is loaded from %s (see ygg-plugin list)\n", name,
			    cfg->plugin_dir);
			rc = EXIT_REFUSED;
		} else {
			struct json_object *o = plugin_json(cfg, &ps, p);
			if (json)
				print_json(o);
			else
				print_info(o);
			json_object_put(o);
			rc = 0;
		}
	}
	if (cfg != NULL)
		plugin_set_clear(&ps);
	config_free(cfg);
	return rc;
}

static int
cmd_check(const char *path, bool json)
{
	struct plugin_set ps;
	char *cause = NULL;
	int rc;

	plugin_set_init(&ps);
	if (plugin_load_file(&ps, path, &cause) == -1) {
		if (json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "file", json_object_new_string(path));
			json_object_object_add(o, "status", json_object_new_string("refused"));
			json_object_object_add(o, "error", json_object_new_string(cause));
			print_json(o);
			json_object_put(o);
		}
		fprintf(stderr, "ygg-plugin: %s: refused: %s\n", path, cause);
		free(cause);
		rc = EXIT_REFUSED;
	} else {
		struct plugin *p = TAILQ_FIRST(&ps.loaded);
		if (json) {
			struct json_object *o = plugin_json(NULL, &ps, p);
			json_object_object_del(o, "handlers");
			json_object_object_del(o, "hosts");
			json_object_object_add(o, "status", json_object_new_string("ok"));
			print_json(o);
			json_object_put(o);
		} else {
			printf("ok %s %s", p->name, p->version);
			for (const char *const *t = p->desc->types; *t != NULL; t++)
				printf(" %s", *t);
			printf("\n");
		}
		rc = 0;
	}
	plugin_set_clear(&ps);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = YGG_DEFAULT_CONFIG;
	bool json = false, verbose = false;
	int ch;

	log_init("ygg-plugin", 0);
	while ((ch = getopt_long(argc, argv, "c:jvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	/* Refusals are part of the output; the loader's own lines only with -v. */
	log_set_level(verbose ? LOG_LVL_DEBUG : LOG_LVL_ERROR);
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list(config, json);
	if (argc == 2 && strcmp(argv[0], "info") == 0)
		return cmd_info(config, argv[1], json);
	if (argc == 2 && strcmp(argv[0], "check") == 0)
		return cmd_check(argv[1], json);
	if (argc == 0)
		fprintf(stderr, "ygg-plugin: no command given\n");
	else
		fprintf(stderr, "ygg-plugin: bad command: %s%s\n", argv[0],
		    (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "info") == 0 || strcmp(argv[0], "check") == 0)
		        ? " (wrong number of arguments)"
		        : "");
	usage(stderr);
	return EXIT_USAGE;
}
