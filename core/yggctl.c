/*
 * yggctl - the operator's tool: one table of subcommands. `ready` and `create`
 * work on the tracker directly (no daemon needed); status, monitor, cancel and
 * reload talk to a running yggd (ctl.c).
 *
 *	yggctl [-c FILE] ready [--beads-dir DIR] [--json] [--sort S] [--now TIME]
 *	yggctl [-c FILE] create N [--beads-dir DIR] [--seed S] [--priority P] [--latency-scale X]
 *
 * A -c given before the subcommand is handed to it as if given after it.
 * Exit status: 0 done, 1 the tracker (or the daemon) could not be used,
 * 2 bad usage or a bad configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ygg.h"

#define JSONL_FILE "issues.jsonl"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *summary;
};

static int cmd_ready(int argc, char **argv);
static int cmd_create(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "status", ctl_status, "[--json] [--control ADDR]",
	    "the daemon's hosts (slots, queue, counters), tasks in flight, recent results, plugins" },
	{ "monitor", ctl_monitor, "[--once] [--control ADDR]",
	    "a live view of the daemon, redrawn every second until ^C (--once: one frame)" },
	{ "ready", cmd_ready, "[--beads-dir DIR] [--json] [--sort S] [--now TIME]",
	    "the dispatch order of the ready issues (reads the tracker, changes nothing)" },
	{ "cancel", ctl_cancel, "ID [--control ADDR] [--token-file F]",
	    "abort a task in flight; its issue is open again" },
	{ "create", cmd_create, "N [--beads-dir DIR] [--seed S] [--priority P] [--latency-scale X]",
	    "append N demo issues (a mixed workload) to the tracker" },
	{ "reload", ctl_reload, "[--control ADDR] [--token-file F]",
	    "make the daemon re-read its configuration (as SIGHUP does)" },
};
#define NSUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void
usage(FILE *f)
{
	fprintf(f, "usage: yggctl [-c FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n           %s\n", subcommands[i].name, subcommands[i].args, subcommands[i].summary);
	fprintf(f, "\n  -c FILE  the configuration (yggd's ygg.ini): status, monitor, cancel and reload\n"
		   "           find the daemon through its control and control_token_file\n"
		   "  --control ADDR, --token-file F  name the daemon's control address and token instead\n"
		   "run 'yggctl COMMAND --help' for a command's options\n");
}

/* ------------------------------------------------------------ shared */

/* Where the tracker is: --beads-dir, else the configuration's beads_dir, else ./.beads. */
static const char *
beads_dir_of(const char *opt, const struct ygg_config *cfg)
{
	if (opt != NULL)
		return opt;
	if (cfg != NULL && cfg->beads_dir != NULL)
		return cfg->beads_dir;
	return ".beads";
}

/* Load -c FILE when given; 0, or -1 after saying why (exit 2). */
static int
load_config(const char *path, struct ygg_config **cfg)
{
	char *cause = NULL;

	*cfg = NULL;
	if (path == NULL)
		return 0;
	if (config_load(path, cfg, &cause) == -1) {
		fprintf(stderr, "yggctl: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* Read and load the tracker; 0, or -1 after saying why (exit 1). */
static int
load_tracker(const char *dir, struct tracker *t, char **pathp)
{
	char *path = path_join(dir, JSONL_FILE), *data;
	size_t len;

	if (read_file(path, &data, &len) == -1) {
		fprintf(stderr, "yggctl: cannot read %s: %s\n", path, strerror(errno));
		free(path);
		return -1;
	}
	tracker_load(t, data, len, path);
	free(data);
	*pathp = path;
	return 0;
}

/* ------------------------------------------------------------ ready */

/*
 * Without a configuration there are no handlers: the type is what the labels
 * name outright ("ygg:<type>", or a label that is a type name), as route.c
 * reads them first, and nothing else.
 */
static const char *
type_from_labels(const struct issue *is)
{
	for (size_t i = 0; i < is->nlabels; i++) {
		const char *l = is->labels[i];
		if (strncasecmp(l, "ygg:", 4) == 0)
			for (const char *const *t = ygg_task_types; *t != NULL; t++)
				if (strcasecmp(l + 4, *t) == 0)
					return *t;
	}
	for (size_t i = 0; i < is->nlabels; i++)
		for (const char *const *t = ygg_task_types; *t != NULL; t++)
			if (strcasecmp(is->labels[i], *t) == 0)
				return *t;
	return NULL;
}

struct ready_row {
	const char *id;
	int priority;
	const char *created; /* NULL: none */
	const char *type, *handler, *host; /* NULL: "-" */
};

static void
ready_print_json(const struct ready_row *rows, size_t n)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		const char *fields[] = { rows[i].created, rows[i].type, rows[i].handler, rows[i].host };
		const char *names[] = { "created_at", "type", "handler", "host" };
		buf_adds(&b, i ? ",\n{\"id\":" : "\n{\"id\":");
		json_append_string(&b, rows[i].id, strlen(rows[i].id));
		buf_printf(&b, ",\"priority\":%d", rows[i].priority);
		for (size_t k = 0; k < 4; k++) {
			buf_printf(&b, ",\"%s\":", names[k]);
			if (fields[k] == NULL)
				buf_adds(&b, "null");
			else
				json_append_string(&b, fields[k], strlen(fields[k]));
		}
		buf_addc(&b, '}');
	}
	buf_adds(&b, n ? "\n]\n" : "]\n");
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
}

static const char *
dash(const char *s)
{
	return s != NULL ? s : "-";
}

static void
ready_print_text(const struct ready_row *rows, size_t n)
{
	int w[4] = { 2, 7, 4, 7 }; /* ID CREATED TYPE HANDLER */

	for (size_t i = 0; i < n; i++) {
		int l[4] = { (int)strlen(rows[i].id), (int)strlen(dash(rows[i].created)), (int)strlen(dash(rows[i].type)),
			(int)strlen(dash(rows[i].handler)) };
		for (int k = 0; k < 4; k++)
			if (l[k] > w[k])
				w[k] = l[k];
	}
	printf("%-*s  %3s  %-*s  %-*s  %-*s  %s\n", w[0], "ID", "PRI", w[1], "CREATED", w[2], "TYPE", w[3], "HANDLER",
	    "HOST");
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %3d  %-*s  %-*s  %-*s  %s\n", w[0], rows[i].id, rows[i].priority, w[1], dash(rows[i].created),
		    w[2], dash(rows[i].type), w[3], dash(rows[i].handler), dash(rows[i].host));
}

static void
ready_usage(FILE *f)
{
	fprintf(f, "usage: yggctl [-c FILE] ready [--beads-dir DIR] [--json] [--sort S] [--now TIME]\n"
		   "  the ready issues in the order yggd would dispatch them; nothing is written\n"
		   "  -c FILE          take beads_dir, sort and the routing from the configuration\n"
		   "  --beads-dir DIR  the tracker's folder (default: the configuration's, else .beads)\n"
		   "  --json           an array of {id, priority, created_at, type, handler, host}\n"
		   "  --sort S         priority, oldest or hybrid (default: the configuration's, else priority)\n"
		   "  --now TIME       judge defer_until and hybrid's 48 hours at this RFC 3339 time\n");
}

static int
cmd_ready(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "beads-dir", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *beads_opt = NULL, *sort_opt = NULL, *now_opt = NULL;
	bool json = false;
	struct ygg_config *cfg = NULL;
	struct tracker *t = NULL;
	const struct issue **all, **ready = NULL;
	struct ready_row *rows = NULL;
	enum sort_kind sort = SORT_PRIORITY;
	int64_t now = now_wall_ns();
	char *path = NULL;
	int ch, rc = 2;
	size_t n, nready;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'b':
			beads_opt = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 's':
			sort_opt = optarg;
			break;
		case 'n':
			now_opt = optarg;
			break;
		case 'h':
			ready_usage(stdout);
			return 0;
		default:
			ready_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "yggctl: ready: unexpected argument '%s'\n", argv[optind]);
		ready_usage(stderr);
		return 2;
	}
	if (sort_opt != NULL && sort_kind_parse(sort_opt, &sort) == -1) {
		fprintf(stderr, "yggctl: ready: --sort %s: expected priority, oldest or hybrid\n", sort_opt);
		return 2;
	}
	if (now_opt != NULL && time_parse(now_opt, strlen(now_opt), &now) == -1) {
		fprintf(stderr, "yggctl: ready: --now %s: not an RFC 3339 time (like 2026-01-02T15:04:05Z)\n", now_opt);
		return 2;
	}
	if (load_config(config, &cfg) == -1)
		return 2;
	if (cfg != NULL && sort_opt == NULL)
		sort = cfg->sort;

	t = tracker_new();
	rc = 1;
	if (load_tracker(beads_dir_of(beads_opt, cfg), t, &path) == -1)
		goto out;
	n = tracker_issues(t, &all);
	nready = ready_compute(all, n, now, sort, &ready);
	rows = xcalloc(nready ? nready : 1, sizeof *rows);
	for (size_t i = 0; i < nready; i++) {
		const struct issue *is = ready[i];
		rows[i].id = is->id;
		rows[i].priority = is->priority;
		rows[i].created = is->created_at;
		if (cfg != NULL) {
			const struct handler_conf *h = route_issue(cfg, is);
			if (h != NULL) {
				rows[i].type = h->type;
				rows[i].handler = h->plugin != NULL ? h->plugin : h->type;
				rows[i].host = h->nhosts > 0 ? h->hosts[0] : NULL;
			}
		} else
			rows[i].type = type_from_labels(is);
	}
	if (json)
		ready_print_json(rows, nready);
	else
		ready_print_text(rows, nready);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	free(rows);
	free(ready);
	free(path);
	tracker_free(t);
	config_free(cfg);
	return rc;
}

/* ------------------------------------------------------------ create */

/* The seed's mixed workload: three task types, each with its typical run time. */
static const struct workload {
	const char *type;
	int latency_units; /* the seed's average seconds per task of this type */
	const char *titles[6];
} workloads[] = {
	{ "code-generation", 30,
	    { "Implement a function to parse ISO 8601 durations", "Implement a function to merge overlapping intervals",
		"Implement a function to validate IPv6 addresses", "Implement a function to compute a rolling checksum",
		"Implement a function to deduplicate log lines", "Implement a function to retry with exponential backoff" } },
	{ "text-processing", 20,
	    { "Write documentation for the backup rotation script", "Write documentation for the GPU host inventory",
		"Write documentation for the model cache layout", "Rewrite the onboarding guide in plain language",
		"Proofread the incident report for the storage outage", "Write release notes for the scheduler rework" } },
	{ "reasoning", 40,
	    { "Analyze why the nightly build is slower on ARM hosts", "Analyze why request latency doubles under load",
		"Analyze why the cache hit rate dropped after the upgrade", "Analyze why two replicas disagree after failover",
		"Analyze why the queue drains unevenly across hosts", "Analyze why memory grows on long-running workers" } },
};
#define NWORKLOADS (sizeof workloads / sizeof workloads[0])

/* splitmix64: small, seedable, and the same sequence everywhere. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * New ids continue the file's own: the most common prefix ("bd" of "bd-12"),
 * after its highest numeric suffix. A file with none gets "ygg-1", "ygg-2", ...
 */
static char *
id_scheme(struct tracker *t, unsigned long long *next)
{
	const struct issue **all;
	size_t n = tracker_issues(t, &all), np = 0, best = 0;
	struct idmap *seen = idmap_new(16);
	char **pfx = xcalloc(n ? n : 1, sizeof *pfx), *prefix;
	size_t *cnt = xcalloc(n ? n : 1, sizeof *cnt);

	for (size_t i = 0; i < n; i++) {
		const char *dash = strrchr(all[i]->id, '-');
		size_t k;
		if (dash == NULL || dash == all[i]->id)
			continue;
		char *p = xstrndup(all[i]->id, (size_t)(dash - all[i]->id));
		if (idmap_get(seen, p, &k) == 0) {
			cnt[k]++;
			free(p);
		} else {
			pfx[np] = p;
			cnt[np] = 1;
			idmap_put(seen, pfx[np], np);
			np++;
		}
	}
	for (size_t k = 1; k < np; k++)
		if (cnt[k] > cnt[best])
			best = k;
	prefix = xstrdup(np > 0 ? pfx[best] : "ygg");
	for (size_t k = 0; k < np; k++)
		free(pfx[k]);
	free(pfx);
	free(cnt);
	idmap_free(seen);

	*next = 1;
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < n; i++) {
		const char *id = all[i]->id, *s = id + plen + 1;
		char *end;
		if (strncmp(id, prefix, plen) != 0 || id[plen] != '-' || *s < '0' || *s > '9')
			continue;
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= *next)
			*next = v + 1;
	}
	return prefix;
}

static void
create_usage(FILE *f)
{
	fprintf(f, "usage: yggctl [-c FILE] create N [--beads-dir DIR] [--seed S] [--priority P] [--latency-scale X]\n"
		   "  append N open issues to DIR/issues.jsonl: code-generation, text-processing and\n"
		   "  reasoning tasks in turn, priorities 0-3, labelled ygg:<type>\n"
		   "  --beads-dir DIR     the tracker's folder (default: the configuration's, else .beads)\n"
		   "  --seed S            the same S gives the same titles and priorities\n"
		   "  --priority P        every issue at priority P (0-4) instead of a spread\n"
		   "  --latency-scale X   put \"[mock latency=<ms>ms]\" in each description for tests/mockhost:\n"
		   "                      X ms per unit, 30 units for code, 20 for text, 40 for reasoning\n");
}

static int
cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "beads-dir", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "latency-scale", required_argument, NULL, 'l' },
		{ "priority", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *beads_opt = NULL, *dir;
	struct ygg_config *cfg = NULL;
	struct tracker *t = NULL;
	uint64_t seed = (uint64_t)now_wall_ns() ^ ((uint64_t)getpid() << 32);
	double scale = -1;
	int fixed_priority = -1;
	unsigned long long count, next;
	char **lines = NULL, *prefix = NULL, *path = NULL, *end, *cause = NULL;
	int ch, rc = 2;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'b':
			beads_opt = optarg;
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno != 0 || *end != '\0' || *optarg == '\0' || *optarg == '-') {
				fprintf(stderr, "yggctl: create: --seed %s: expected a non-negative integer\n", optarg);
				return 2;
			}
			break;
		case 'p':
			errno = 0;
			fixed_priority = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || *optarg == '\0' || fixed_priority < 0 || fixed_priority > 4) {
				fprintf(stderr, "yggctl: create: --priority %s: expected 0 to 4\n", optarg);
				return 2;
			}
			break;
		case 'l':
			errno = 0;
			scale = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || *optarg == '\0' || !isfinite(scale) || scale < 0 || scale > 1e6) {
				fprintf(stderr, "yggctl: create: --latency-scale %s: expected a number of ms per unit (0-1000000)\n",
				    optarg);
				return 2;
			}
			break;
		case 'h':
			create_usage(stdout);
			return 0;
		default:
			create_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "yggctl: create: %s\n", argc == optind ? "how many issues? (create N)" : "one count only");
		create_usage(stderr);
		return 2;
	}
	errno = 0;
	count = strtoull(argv[optind], &end, 10);
	if (errno != 0 || *end != '\0' || argv[optind][0] == '-' || count == 0 || count > 1000000) {
		fprintf(stderr, "yggctl: create: %s: expected a count from 1 to 1000000\n", argv[optind]);
		return 2;
	}
	if (load_config(config, &cfg) == -1)
		return 2;
	dir = beads_dir_of(beads_opt, cfg);

	/* the existing ids decide the new ones; a missing file is an empty tracker */
	rc = 1;
	t = tracker_new();
	path = path_join(dir, JSONL_FILE);
	char *data;
	size_t len;
	if (read_file(path, &data, &len) == 0) {
		tracker_load(t, data, len, path);
		free(data);
	} else if (errno != ENOENT) {
		fprintf(stderr, "yggctl: cannot read %s: %s\n", path, strerror(errno));
		goto out;
	}
	prefix = id_scheme(t, &next);

	/* "now" to the microsecond, one microsecond apart: the creation order is the file order */
	int64_t base = now_wall_ns() / 1000 * 1000;
	uint64_t rng = seed;
	lines = xcalloc(count, sizeof *lines);
	for (unsigned long long i = 0; i < count; i++) {
		const struct workload *w = &workloads[i % NWORKLOADS];
		const char *title = w->titles[rng_next(&rng) % 6];
		int priority = (int)(rng_next(&rng) % 4);
		if (fixed_priority >= 0)
			priority = fixed_priority;
		char id[256], ts[64];
		struct buf b, desc;

		snprintf(id, sizeof id, "%s-%llu", prefix, next + i);
		time_format_like(base + (int64_t)i * 1000, "2006-01-02T15:04:05.000000Z", ts, sizeof ts);
		buf_init(&desc);
		buf_printf(&desc, "Demo workload from yggctl create: a %s task.", w->type);
		if (scale >= 0)
			buf_printf(&desc, "\n\n[mock latency=%lldms]", (long long)llround(w->latency_units * scale));
		buf_init(&b);
		buf_adds(&b, "{\"id\":");
		json_append_string(&b, id, strlen(id));
		buf_adds(&b, ",\"title\":");
		json_append_string(&b, title, strlen(title));
		buf_adds(&b, ",\"description\":");
		json_append_string(&b, desc.p, desc.len);
		buf_printf(&b, ",\"status\":\"open\",\"priority\":%d,\"issue_type\":\"task\",\"labels\":[\"ygg:%s\"]", priority,
		    w->type);
		buf_adds(&b, ",\"created_at\":");
		json_append_string(&b, ts, strlen(ts));
		buf_adds(&b, ",\"updated_at\":");
		json_append_string(&b, ts, strlen(ts));
		buf_addc(&b, '}');
		lines[i] = buf_steal(&b);
		buf_free(&desc);
	}
	if (jsonl_append_lines(dir, (const char *const *)lines, count, &cause) == -1) {
		fprintf(stderr, "yggctl: create: %s\n", cause);
		free(cause);
		goto out;
	}
	printf("yggctl: created %llu issue%s in %s: %s-%llu", count, count == 1 ? "" : "s", path, prefix, next);
	if (count > 1)
		printf(" .. %s-%llu", prefix, next + count - 1);
	printf("\n");
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (lines != NULL)
		for (unsigned long long i = 0; i < count; i++)
			free(lines[i]);
	free(lines);
	free(prefix);
	free(path);
	tracker_free(t);
	config_free(cfg);
	return rc;
}

/* ------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	const struct subcommand *cmd = NULL;
	char **subargv;
	int ch, subargc = 0, rc;

	log_init("yggctl", 0);
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("yggctl %s\n", YGG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < NSUBCOMMANDS; i++)
		if (strcmp(argv[optind], subcommands[i].name) == 0)
			cmd = &subcommands[i];
	if (cmd == NULL) {
		fprintf(stderr, "yggctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* The subcommand sees its own argv: NAME [-c FILE] ARGS... */
	subargv = xcalloc((size_t)(argc - optind) + 3, sizeof *subargv);
	subargv[subargc++] = argv[optind];
	if (config != NULL) {
		subargv[subargc++] = (char *)"-c";
		subargv[subargc++] = (char *)config;
	}
	for (int i = optind + 1; i < argc; i++)
		subargv[subargc++] = argv[i];
	rc = cmd->run(subargc, subargv);
	free(subargv);
	return rc;
}
