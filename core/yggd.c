/*
 * yggd - dispatch ready Beads issues to LLM hosts through handler plugins.
 *
 *   yggd [-c FILE] [-f] [-t] [-v] [--drain]
 *
 * Runs in the foreground (systemd does the daemonizing; -f is accepted for
 * habit's sake). -t checks the configuration and the plugins and exits: 0 fine,
 * 2 a configuration error (FILE:LINE: key: what is wrong), 1 a plugin problem.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: yggd [-c FILE] [-f] [-t] [-v] [--drain]\n"
	           "  -c FILE   configuration (default %s)\n"
	           "  -f        stay in the foreground (always the case; for systemd)\n"
	           "  -t        check the configuration and plugins, then exit\n"
	           "  -v        debug logging\n"
	           "  --drain   process until nothing is ready or in flight, then exit 0\n",
	    YGG_DEFAULT_CONFIG);
}

/* -t: the whole configuration, then every plugin and every handler's binding. */
static int
check_only(struct ygg_config *cfg)
{
	struct plugin_set ps;
	struct plugin_error *pe;
	char *cause = NULL;
	int rc = 0, n;

	plugin_set_init(&ps);
	n = plugin_load_dir(&ps, cfg->plugin_dir, &cause);
	if (n < 0) {
		fprintf(stderr, "yggd: %s\n", cause);
		free(cause);
		plugin_set_clear(&ps);
		return 1;
	}
	TAILQ_FOREACH(pe, &ps.errors, entry) {
		fprintf(stderr, "yggd: plugin %s refused: %s\n", pe->path, pe->reason);
		rc = 1;
	}
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		const struct handler_conf *h = &cfg->handlers[i];
		if (plugin_for_handler(&ps, h) == NULL) {
			fprintf(stderr, "yggd: %s:%d: [handler.%s]: no plugin in %s serves it\n", cfg->path, h->line,
			    h->type, cfg->plugin_dir);
			rc = 1;
		}
	}
	if (rc == 0)
		printf("%s: ok: %zu hosts, %zu handlers, %d plugins from %s\n", cfg->path, cfg->nhosts,
		    cfg->nhandlers, n, cfg->plugin_dir);
	plugin_set_clear(&ps);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "drain", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = YGG_DEFAULT_CONFIG;
	bool test = false, drain = false;
	int verbose = 0, ch;
	struct ygg_config *cfg;
	struct daemon *d;
	char *cause = NULL;

	while ((ch = getopt_long(argc, argv, "c:fthvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			break;
		case 't':
			test = true;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'D':
			drain = true;
			break;
		case 'V':
			printf("yggd %s\n", YGG_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("yggd", verbose);
	if (config_load(path, &cfg, &cause) == -1) {
		fprintf(stderr, "yggd: %s\n", cause);
		free(cause);
		return 2;
	}
	if (test) {
		int rc = check_only(cfg);
		config_free(cfg);
		return rc;
	}
	d = daemon_new(cfg, drain, &cause);
	if (d == NULL) {
		fprintf(stderr, "yggd: %s\n", cause != NULL ? cause : "cannot start");
		free(cause);
		return 1;
	}
	int rc = daemon_run(d);
	daemon_free(d);
	return rc;
}
