/*
 * plugin.c - finding, checking, loading and retiring handler plugins.
 *
 * The descriptor is data, read and checked before any plugin function runs
 * (STYLE "The plugin boundary"). What the loader refuses, and why:
 *  - plugin_dir or a file that is group- or world-writable, or owned by someone
 *    other than root or the daemon's user: anyone who can write there can run
 *    code as the daemon. A symlink is followed; the file it names and that
 *    file's folder must pass the same checks, so a link cannot lead around them.
 *  - not a regular file, no ygg_plugin_entry, a symbol too small to be a
 *    descriptor, another ABI version, a descriptor smaller than version 1's,
 *    a NULL or malformed name, version or type list, a NULL init, build_request
 *    or handle_reply, a name already loaded, a type already served.
 * Only then init runs; a failing init refuses the plugin too.
 *
 * New versions: dlopen finds objects it already holds by path name and by
 * device and inode, so a file replaced by rename and opened by the same path
 * would give back the old code. A changed file is opened through
 * /proc/self/fd/N of a descriptor kept open while the plugin is loaded (a name
 * no loaded object holds), and RTLD_NOLOAD first asks whether the loader would
 * hand back something it already has; if so the file is refused rather than
 * running old code under a new version's identity.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ygg.h"

#define NAME_MAX_LEN 64
#define VERSION_MAX_LEN 128
#define TYPES_MAX 64

struct file_id {
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
};

static void
file_id_of(const struct stat *st, struct file_id *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

void
plugin_set_init(struct plugin_set *ps)
{
	TAILQ_INIT(&ps->loaded);
	TAILQ_INIT(&ps->retired);
	TAILQ_INIT(&ps->errors);
}

static void
plugin_unload(struct plugin *p)
{
	if (p->desc != NULL && p->desc->fini != NULL) {
		hostapi_set_current(p->name);
		p->desc->fini(p->state);
		hostapi_set_current(NULL);
	}
	if (p->dl != NULL)
		dlclose(p->dl);
	if (p->fd != -1)
		close(p->fd);
	free(p->name);
	free(p->version);
	free(p->path);
	free(p);
}

static void
errors_clear(struct plugin_error_list *l)
{
	struct plugin_error *e;

	while ((e = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, e, entry);
		free(e->path);
		free(e->reason);
		free(e);
	}
}

static void
error_add(struct plugin_error_list *l, const char *path, const char *reason, const struct file_id *id)
{
	struct plugin_error *e = xcalloc(1, sizeof *e);

	e->path = xstrdup(path);
	e->reason = xstrdup(reason);
	if (id != NULL) {
		e->dev = id->dev;
		e->ino = id->ino;
		e->mtime_ns = id->mtime_ns;
	}
	TAILQ_INSERT_TAIL(l, e, entry);
}

void
plugin_set_clear(struct plugin_set *ps)
{
	struct plugin *p;

	while ((p = TAILQ_FIRST(&ps->loaded)) != NULL) {
		TAILQ_REMOVE(&ps->loaded, p, entry);
		plugin_unload(p);
	}
	while ((p = TAILQ_FIRST(&ps->retired)) != NULL) {
		TAILQ_REMOVE(&ps->retired, p, entry);
		plugin_unload(p);
	}
	errors_clear(&ps->errors);
}

struct plugin *
plugin_find(struct plugin_set *ps, const char *name)
{
	struct plugin *p;

	if (name == NULL)
		return NULL;
	TAILQ_FOREACH(p, &ps->loaded, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

bool
plugin_serves(const struct plugin *p, const char *type)
{
	if (p == NULL || type == NULL)
		return false;
	for (const char *const *t = p->desc->types; *t != NULL; t++)
		if (strcmp(*t, type) == 0)
			return true;
	return false;
}

struct plugin *
plugin_for_type(struct plugin_set *ps, const char *type)
{
	struct plugin *p;

	TAILQ_FOREACH(p, &ps->loaded, entry)
		if (plugin_serves(p, type))
			return p;
	return NULL;
}

struct plugin *
plugin_for_handler(struct plugin_set *ps, const struct handler_conf *h)
{
	if (h == NULL)
		return NULL;
	if (h->plugin != NULL && *h->plugin != '\0')
		return plugin_find(ps, h->plugin);
	return plugin_for_type(ps, h->type);
}

void
plugin_ref(struct plugin *p)
{
	p->refs++;
}

void
plugin_unref(struct plugin_set *ps, struct plugin *p)
{
	if (p == NULL)
		return;
	if (p->refs > 0)
		p->refs--;
	if (p->refs == 0 && p->retired) {
		log_info("plugin=%s version=%s file=%s unloaded (its last task ended)", p->name, p->version, p->path);
		TAILQ_REMOVE(&ps->retired, p, entry);
		plugin_unload(p);
	}
}

/* Move p out of service; it is unloaded once no task uses it. */
static void
plugin_retire(struct plugin_set *ps, struct plugin *p, const char *why)
{
	TAILQ_REMOVE(&ps->loaded, p, entry);
	p->retired = true;
	TAILQ_INSERT_TAIL(&ps->retired, p, entry);
	log_info("plugin=%s version=%s file=%s retired: %s", p->name, p->version, p->path, why);
	plugin_unref(ps, p);
}

/*
 * Mode and owner rules shared by files and folders. what names the thing in
 * the message ("plugin_dir" or the file). Returns NULL or a new reason.
 */
static char *
check_perms(const struct stat *st, const char *what, const char *path)
{
	uid_t me = geteuid();

	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return xasprintf("%s is group/world-writable (mode %04o): chmod go-w %s", what,
		    (unsigned)(st->st_mode & 07777), path);
	if (st->st_uid != 0 && st->st_uid != me)
		return xasprintf("%s is owned by uid %u, not by root or this daemon's user (uid %u)", what,
		    (unsigned)st->st_uid, (unsigned)me);
	return NULL;
}

/* A symlinked plugin's target folder must be as safe as plugin_dir. */
static char *
check_link_target(const char *path)
{
	char *real = realpath(path, NULL);
	struct stat st;
	char *why = NULL;

	if (real == NULL)
		return xasprintf("cannot resolve the symlink: %s", strerror(errno));
	char *dir = xstrdup(real);
	char *d = dirname(dir);
	if (stat(d, &st) == -1)
		why = xasprintf("cannot stat %s: %s", d, strerror(errno));
	else
		why = check_perms(&st, "the folder the symlink points into", d);
	free(dir);
	free(real);
	return why;
}

/* [a-z0-9-]+ (and '_' when underscore), at most max bytes. */
static bool
word_ok(const char *s, bool underscore, size_t max)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (n >= max)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (underscore && c == '_')))
			return false;
	}
	return true;
}

static bool
text_ok(const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; s[n] != '\0'; n++)
		if (n >= max || (unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return false;
	return true;
}

static bool
is_ours(struct plugin_set *ps, void *dl, struct plugin **which)
{
	struct plugin *p;

	TAILQ_FOREACH(p, &ps->loaded, entry)
		if (p->dl == dl)
			return *which = p, true;
	TAILQ_FOREACH(p, &ps->retired, entry)
		if (p->dl == dl)
			return *which = p, true;
	return false;
}

static bool
path_in_use(struct plugin_set *ps, const char *path)
{
	struct plugin *p;

	TAILQ_FOREACH(p, &ps->loaded, entry)
		if (strcmp(p->path, path) == 0)
			return true;
	TAILQ_FOREACH(p, &ps->retired, entry)
		if (strcmp(p->path, path) == 0)
			return true;
	return false;
}

/* Read the descriptor (data only) and say what is wrong with it, or NULL. */
static char *
check_descriptor(void *dl, const struct ygg_plugin **out)
{
	const struct ygg_plugin *desc;
	const ElfW(Sym) *sym = NULL;
	struct link_map *lm_sym = NULL, *lm_dl = NULL;
	Dl_info info;
	size_t ntypes = 0;

	dlerror();
	desc = dlsym(dl, YGG_PLUGIN_ENTRY_SYMBOL);
	if (desc == NULL)
		return xstrdup("no " YGG_PLUGIN_ENTRY_SYMBOL " symbol: not a yggd plugin");
	/* The symbol must be this file's own data object, big enough to read. */
	if (dladdr1(desc, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 || sym == NULL)
		return xstrdup(YGG_PLUGIN_ENTRY_SYMBOL " cannot be looked up in the file's symbol table");
	if (dladdr1(desc, &info, (void **)&lm_sym, RTLD_DL_LINKMAP) == 0 || dlinfo(dl, RTLD_DI_LINKMAP, &lm_dl) != 0 ||
	    lm_sym != lm_dl)
		return xstrdup(YGG_PLUGIN_ENTRY_SYMBOL " comes from another library, not from this file");
	if (ELF64_ST_TYPE(sym->st_info) != STT_OBJECT) /* the same macro body in both ELF classes */
		return xstrdup(YGG_PLUGIN_ENTRY_SYMBOL " is not a data object: it must be a const struct ygg_plugin");
	if (sym->st_size < offsetof(struct ygg_plugin, name))
		return xasprintf(YGG_PLUGIN_ENTRY_SYMBOL " is %zu bytes: not a plugin descriptor", (size_t)sym->st_size);
	if (desc->abi_version != YGG_PLUGIN_ABI_VERSION)
		return xasprintf("built for plugin ABI %u, this yggd speaks ABI %u", (unsigned)desc->abi_version,
		    (unsigned)YGG_PLUGIN_ABI_VERSION);
	if (desc->size < sizeof(struct ygg_plugin))
		return xasprintf("descriptor size %u does not match %zu", (unsigned)desc->size, sizeof(struct ygg_plugin));
	if (sym->st_size < sizeof(struct ygg_plugin))
		return xasprintf("descriptor says %u bytes but " YGG_PLUGIN_ENTRY_SYMBOL " holds %zu", (unsigned)desc->size,
		    (size_t)sym->st_size);
	if (desc->name == NULL)
		return xstrdup("descriptor has no name");
	if (!word_ok(desc->name, true, NAME_MAX_LEN))
		return xasprintf("bad name \"%.80s\": use 1-64 of a-z 0-9 _ -", desc->name);
	if (desc->version == NULL || !text_ok(desc->version, VERSION_MAX_LEN))
		return xstrdup("descriptor has no version (or it holds control characters or is over 128 bytes)");
	if (desc->description != NULL && !text_ok(desc->description, 1024) && *desc->description != '\0')
		return xstrdup("description holds control characters or is over 1024 bytes");
	if (desc->types == NULL || desc->types[0] == NULL)
		return xstrdup("descriptor serves no task types");
	for (; desc->types[ntypes] != NULL; ntypes++) {
		const char *t = desc->types[ntypes];
		if (ntypes >= TYPES_MAX)
			return xstrdup("more than 64 task types (is the list NULL-terminated?)");
		if (!word_ok(t, false, NAME_MAX_LEN))
			return xasprintf("bad task type \"%.80s\": use 1-64 of a-z 0-9 -", t);
		for (size_t j = 0; j < ntypes; j++)
			if (strcmp(desc->types[j], t) == 0)
				return xasprintf("task type %s is listed twice", t);
	}
	if (desc->init == NULL)
		return xstrdup("descriptor has no init callback");
	if (desc->build_request == NULL)
		return xstrdup("descriptor has no build_request callback");
	if (desc->handle_reply == NULL)
		return xstrdup("descriptor has no handle_reply callback");
	*out = desc;
	return NULL;
}

/*
 * Check path, load it and run init. replacing is the plugin loaded from the same
 * path (left out of the duplicate checks), or NULL. Returns the new plugin (in
 * no list yet) or NULL with *why; *id gets the file's identity when known.
 */
static struct plugin *
load_one(struct plugin_set *ps, const char *path, struct plugin *replacing, struct file_id *id, char **why)
{
	struct stat lst, st;
	const struct ygg_plugin *desc = NULL;
	struct plugin *other;
	char procpath[64], *dotpath = NULL;
	const char *candidates[2];
	size_t ncand = 0;
	void *dl = NULL;
	const char *via = NULL;
	void *state = NULL;
	int fd;

	memset(id, 0, sizeof *id);
	if (lstat(path, &lst) == -1) {
		*why = xasprintf("cannot stat: %s", strerror(errno));
		return NULL;
	}
	if (!S_ISREG(lst.st_mode) && !S_ISLNK(lst.st_mode)) {
		*why = xstrdup("not a regular file");
		return NULL;
	}
	/* O_NONBLOCK: a link to a FIFO must not stop the daemon in open(). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		*why = xasprintf("cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		*why = xasprintf("cannot stat: %s", strerror(errno));
		goto fail;
	}
	file_id_of(&st, id);
	if (!S_ISREG(st.st_mode)) {
		*why = xstrdup("not a regular file");
		goto fail;
	}
	if ((*why = check_perms(&st, "the file", path)) != NULL)
		goto fail;
	if (S_ISLNK(lst.st_mode) && (*why = check_link_target(path)) != NULL)
		goto fail;

	/*
	 * Which name to hand dlopen: the real path gives debuggers and sanitizer
	 * reports a readable name; a path another version still holds must not be
	 * reused. RTLD_NOLOAD says whether dlopen would give back a resident object.
	 */
	snprintf(procpath, sizeof procpath, "/proc/self/fd/%d", fd);
	/* A name without a slash would send dlopen searching the library path. */
	if (strchr(path, '/') == NULL) {
		dotpath = xasprintf("./%s", path);
		if (!path_in_use(ps, path))
			candidates[ncand++] = dotpath;
	} else if (!path_in_use(ps, path)) {
		candidates[ncand++] = path;
	}
	candidates[ncand++] = procpath;
	bool in_place = false;
	for (size_t i = 0; i < ncand && via == NULL; i++) {
		void *h = dlopen(candidates[i], RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
		if (h == NULL) {
			via = candidates[i];
			break;
		}
		dlclose(h);
		if (is_ours(ps, h, &other)) {
			if (other != replacing) {
				*why = xasprintf("the same file is already loaded as plugin %s from %s", other->name,
				    other->path);
				goto fail;
			}
			in_place = true;
		}
	}
	if (via == NULL && in_place) {
		*why = xstrdup("the file was rewritten in place while loaded (same inode), so the old code stays; "
		               "install new versions under a temporary name and rename them over (plugins/README.md)");
		goto fail;
	}
	if (via == NULL) {
		*why = xstrdup("the dynamic loader still holds an older copy of this file (a plugin that cannot be "
		               "unloaded); restart yggd to load this version");
		goto fail;
	}
	dlerror();
	dl = dlopen(via, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		const char *e = dlerror();
		*why = xasprintf("dlopen failed: %s", e != NULL ? e : "unknown error");
		goto fail;
	}
	if ((*why = check_descriptor(dl, &desc)) != NULL)
		goto fail;
	other = plugin_find(ps, desc->name);
	if (other != NULL && other != replacing) {
		*why = xasprintf("a plugin named %s is already loaded from %s", desc->name, other->path);
		goto fail;
	}
	for (const char *const *t = desc->types; *t != NULL; t++) {
		TAILQ_FOREACH(other, &ps->loaded, entry) {
			if (other != replacing && plugin_serves(other, *t)) {
				*why = xasprintf("task type %s is already served by plugin %s from %s", *t, other->name,
				    other->path);
				goto fail;
			}
		}
	}

	hostapi_set_current(desc->name);
	int rc = desc->init(hostapi_get(), &state);
	hostapi_set_current(NULL);
	if (rc != 0) {
		*why = xstrdup("init failed");
		goto fail;
	}

	struct plugin *p = xcalloc(1, sizeof *p);
	p->name = xstrdup(desc->name);
	p->version = xstrdup(desc->version);
	p->path = xstrdup(path);
	p->desc = desc;
	p->dl = dl;
	p->state = state;
	p->refs = 1;
	p->dev = id->dev;
	p->ino = id->ino;
	p->mtime_ns = id->mtime_ns;
	/* A /proc/self/fd name stays unique only while the descriptor stays open. */
	if (via == procpath) {
		p->fd = fd;
	} else {
		p->fd = -1;
		close(fd);
	}
	free(dotpath);
	return p;

fail:
	if (dl != NULL)
		dlclose(dl);
	close(fd);
	free(dotpath);
	return NULL;
}

static char *
types_joined(const struct plugin *p)
{
	struct buf b;

	buf_init(&b);
	for (const char *const *t = p->desc->types; *t != NULL; t++) {
		if (b.len > 0)
			buf_addc(&b, ',');
		buf_adds(&b, *t);
	}
	return buf_steal(&b);
}

/* Put a freshly loaded p in service, retiring the version it replaces. */
static void
plugin_install(struct plugin_set *ps, struct plugin *p, struct plugin *replacing)
{
	char *types = types_joined(p);

	TAILQ_INSERT_TAIL(&ps->loaded, p, entry);
	log_info("plugin=%s version=%s file=%s types=%s loaded", p->name, p->version, p->path, types);
	free(types);
	if (replacing != NULL) {
		char *why = xasprintf("replaced by version %s", p->version);
		plugin_retire(ps, replacing, why);
		free(why);
	}
}

static struct plugin *
loaded_by_path(struct plugin_set *ps, const char *path)
{
	struct plugin *p;

	TAILQ_FOREACH(p, &ps->loaded, entry)
		if (strcmp(p->path, path) == 0)
			return p;
	return NULL;
}

static void
errors_drop_path(struct plugin_error_list *l, const char *path)
{
	struct plugin_error *e, *tmp;

	for (e = TAILQ_FIRST(l); e != NULL; e = tmp) {
		tmp = TAILQ_NEXT(e, entry);
		if (strcmp(e->path, path) == 0) {
			TAILQ_REMOVE(l, e, entry);
			free(e->path);
			free(e->reason);
			free(e);
		}
	}
}

int
plugin_load_file(struct plugin_set *ps, const char *path, char **cause)
{
	struct plugin *replacing = loaded_by_path(ps, path);
	struct file_id id;
	char *why = NULL;
	struct plugin *p;

	errors_drop_path(&ps->errors, path);
	p = load_one(ps, path, replacing, &id, &why);
	if (p == NULL) {
		log_warnx("plugin=%s refused: %s", path, why);
		error_add(&ps->errors, path, why, &id);
		if (cause != NULL)
			*cause = why;
		else
			free(why);
		return -1;
	}
	plugin_install(ps, p, replacing);
	return 0;
}

int
plugin_check_file(const char *path, char **cause)
{
	struct plugin_set ps;
	int rc;

	plugin_set_init(&ps);
	rc = plugin_load_file(&ps, path, cause);
	plugin_set_clear(&ps);
	return rc;
}

static int
so_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	/* Hidden names and install temporaries ("x.so.tmp") are not plugins. */
	return d->d_name[0] != '.' && n > 3 && strcmp(d->d_name + n - 3, ".so") == 0;
}

/* Byte order, not the locale's: the same folder loads the same way everywhere. */
static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static bool
same_refusal(const struct plugin_error_list *prev, const char *path, const char *reason, const struct file_id *id)
{
	const struct plugin_error *e;

	TAILQ_FOREACH(e, prev, entry)
		if (strcmp(e->path, path) == 0 && strcmp(e->reason, reason) == 0 && e->dev == id->dev &&
		    e->ino == id->ino && e->mtime_ns == id->mtime_ns)
			return true;
	return false;
}

/* Is p's file directly in dir under a name that is not among the scanned ones? */
static bool
file_gone(const struct plugin *p, const char *dir, struct dirent **ents, int n)
{
	size_t dl = strlen(dir);

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (strncmp(p->path, dir, dl) != 0 || p->path[dl] != '/' || strchr(p->path + dl + 1, '/') != NULL)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(ents[i]->d_name, p->path + dl + 1) == 0)
			return false;
	return true;
}

int
plugin_load_dir(struct plugin_set *ps, const char *dir, char **cause)
{
	struct plugin_error_list prev;
	struct dirent **ents = NULL;
	struct plugin *p, *tmp;
	struct stat st;
	char *why;
	int n = 0, loaded = 0;

	TAILQ_INIT(&prev);
	TAILQ_CONCAT(&prev, &ps->errors, entry);
	if (stat(dir, &st) == -1)
		why = xasprintf("plugin_dir %s: cannot open: %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		why = xasprintf("plugin_dir %s is not a folder", dir);
	else if ((why = check_perms(&st, "plugin_dir", dir)) == NULL && (n = scandir(dir, &ents, so_filter, name_cmp)) == -1)
		why = xasprintf("plugin_dir %s: cannot list: %s", dir, strerror(errno));
	if (why != NULL) {
		errors_clear(&prev);
		error_add(&ps->errors, dir, why, NULL);
		if (cause != NULL)
			*cause = why;
		else
			free(why);
		return -1;
	}

	for (int i = 0; i < n; i++) {
		char *path = path_join(dir, ents[i]->d_name);
		struct plugin *replacing = loaded_by_path(ps, path);
		struct file_id id;

		if (replacing != NULL && stat(path, &st) == 0) {
			file_id_of(&st, &id);
			if (id.dev == replacing->dev && id.ino == replacing->ino && id.mtime_ns == replacing->mtime_ns) {
				free(path);
				continue;
			}
		}
		why = NULL;
		p = load_one(ps, path, replacing, &id, &why);
		if (p != NULL) {
			plugin_install(ps, p, replacing);
			loaded++;
		} else {
			/* A file refused for the same reason last time was already reported. */
			if (!same_refusal(&prev, path, why, &id))
				log_warnx("plugin=%s refused: %s", path, why);
			error_add(&ps->errors, path, why, &id);
			free(why);
		}
		free(path);
	}
	for (p = TAILQ_FIRST(&ps->loaded); p != NULL; p = tmp) {
		tmp = TAILQ_NEXT(p, entry);
		if (file_gone(p, dir, ents, n))
			plugin_retire(ps, p, "its file was removed");
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	errors_clear(&prev);
	return loaded;
}
