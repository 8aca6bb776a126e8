/*
 * store.c - the task store's front: picks the backend for `store = auto | jsonl
 * | bd` and forwards every operation to it (store_jsonl.c, store_bd.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ygg.h"

/* Is path an executable regular file? */
static bool
is_executable(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

/*
 * Find the bd executable the way execvp would: a name with a slash is used as
 * it is, anything else is looked up in PATH (an empty PATH entry means ".").
 * Returns a new string or NULL.
 */
char *
store_find_bd(const char *bd_path)
{
	const char *path, *p;

	if (bd_path == NULL || *bd_path == '\0')
		return NULL;
	if (strchr(bd_path, '/') != NULL)
		return is_executable(bd_path) ? xstrdup(bd_path) : NULL;
	path = getenv("PATH");
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char *dir = len > 0 ? xstrndup(p, len) : xstrdup(".");
		char *cand = path_join(dir, bd_path);

		free(dir);
		if (is_executable(cand))
			return cand;
		free(cand);
		if (end == NULL)
			break;
		p = end;
	}
	return NULL;
}

/*
 * Does beads_dir hold a bd database? A *.db file (SQLite), a "dolt" folder, or
 * a metadata.json that names one: "backend": "dolt" (Dolt, possibly in server
 * mode with nothing local) or "database": NAME of something that exists.
 */
static bool
has_database(const char *beads_dir, const char **why)
{
	DIR *d = opendir(beads_dir);
	struct dirent *de;
	bool found = false;

	if (d == NULL) {
		*why = "the beads folder does not exist yet";
		return false;
	}
	while (!found && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *p;
		struct stat sb;

		if (len > 3 && strcmp(de->d_name + len - 3, ".db") == 0) {
			p = path_join(beads_dir, de->d_name);
			if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
				*why = "bd is on PATH and the beads folder holds a *.db database";
				found = true;
			}
			free(p);
		} else if (strcmp(de->d_name, "dolt") == 0) {
			p = path_join(beads_dir, de->d_name);
			if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
				*why = "bd is on PATH and the beads folder holds a dolt database";
				found = true;
			}
			free(p);
		}
	}
	closedir(d);
	if (found)
		return true;

	char *meta = path_join(beads_dir, "metadata.json");
	json_object *obj = json_object_from_file(meta), *v;
	free(meta);
	if (obj != NULL) {
		if (json_object_object_get_ex(obj, "backend", &v) && json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), "dolt") == 0) {
			*why = "bd is on PATH and metadata.json names a dolt backend";
			found = true;
		} else if (json_object_object_get_ex(obj, "database", &v) && json_object_is_type(v, json_type_string) &&
		    *json_object_get_string(v) != '\0') {
			char *p = path_join(beads_dir, json_object_get_string(v));
			if (access(p, F_OK) == 0) {
				*why = "bd is on PATH and metadata.json names a database that exists";
				found = true;
			}
			free(p);
		}
		json_object_put(obj);
	}
	if (!found)
		*why = "the beads folder holds no bd database (*.db, dolt/ or metadata.json)";
	return found;
}

int
store_auto_wants_bd(const struct ygg_config *cfg, const char **why)
{
	char *bd = store_find_bd(cfg->bd_path);

	if (bd == NULL) {
		*why = "no bd executable on PATH";
		return 0;
	}
	free(bd);
	return has_database(cfg->beads_dir, why) ? 1 : 0;
}

struct store *
store_new(struct event_base *base, const struct ygg_config *cfg, char **cause)
{
	const char *why;
	struct store *st;

	*cause = NULL;
	if (cfg->beads_dir == NULL || *cfg->beads_dir == '\0') {
		*cause = xstrdup("beads_dir is not set");
		return NULL;
	}
	switch (cfg->store) {
	case STORE_JSONL:
		why = "store = jsonl";
		st = store_jsonl_new(base, cfg, cause);
		break;
	case STORE_BD:
		why = "store = bd";
		st = store_bd_new(base, cfg, cause);
		break;
	case STORE_AUTO:
	default:
		if (store_auto_wants_bd(cfg, &why) == 1)
			st = store_bd_new(base, cfg, cause);
		else
			st = store_jsonl_new(base, cfg, cause);
		break;
	}
	if (st == NULL)
		return NULL;
	log_info("store=%s beads_dir=%s reason=\"%s\"", st->ops->name, cfg->beads_dir, why);
	return st;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->free(st);
}

void
store_set_changed_cb(struct store *st, store_changed_cb *cb, void *arg)
{
	st->changed_cb = cb;
	st->changed_arg = arg;
}

void
store_set_config(struct store *st, const struct ygg_config *cfg)
{
	st->cfg = cfg;
}

int
store_start(struct store *st)
{
	return st->ops->start(st);
}

void
store_stop(struct store *st)
{
	st->ops->stop(st);
}

size_t
store_ready(struct store *st, int64_t now, const struct issue ***out)
{
	return st->ops->ready(st, now, out);
}

const struct issue *
store_lookup(struct store *st, const char *id)
{
	return st->ops->lookup(st, id);
}

size_t
store_mine_in_progress(struct store *st, const struct issue ***out)
{
	return st->ops->mine_in_progress(st, out);
}

void
store_submit(struct store *st, enum store_op op, const char *id, const char *reason, const char *comment,
    store_done_cb *cb, void *arg)
{
	st->ops->submit(st, op, id, reason, comment, cb, arg);
}

void
store_refresh(struct store *st)
{
	st->ops->refresh(st);
}

void
store_get_stats(struct store *st, struct store_stats *out)
{
	memset(out, 0, sizeof *out);
	st->ops->stats(st, out);
}

const char *
store_name(const struct store *st)
{
	return st->ops->name;
}
