/*
 * log.c - one line per event to stderr (journald adds time and unit), in the
 * OpenBSD log.c shape: log_warn adds strerror(errno), log_warnx does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ygg.h"

static const char *log_progname = "yggd";
static enum log_level log_level = LOG_LVL_INFO;
static log_hook_cb *log_hook;
static void *log_hook_arg;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_init(const char *progname, int verbose)
{
	log_progname = progname;
	log_level = verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_hook(log_hook_cb *hook, void *arg)
{
	log_hook = hook;
	log_hook_arg = arg;
}

static void
log_emit(enum log_level level, const char *msg, const char *errstr)
{
	char line[8192];

	if (errstr != NULL)
		snprintf(line, sizeof line, "%s: %s: %s: %s", log_progname, level_names[level], msg, errstr);
	else
		snprintf(line, sizeof line, "%s: %s: %s", log_progname, level_names[level], msg);
	if (log_hook != NULL)
		log_hook(level, line, log_hook_arg);
	if (level <= log_level)
		fprintf(stderr, "%s\n", line);
}

void
log_vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[8192];

	if (level > log_level && log_hook == NULL)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	log_emit(level, msg, NULL);
}

void
log_warn(const char *fmt, ...)
{
	char msg[8192];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_emit(LOG_LVL_WARN, msg, strerror(saved));
	errno = saved;
}

#define LOG_FN(fn, level)                 \
	void fn(const char *fmt, ...)     \
	{                                 \
		va_list ap;               \
		va_start(ap, fmt);        \
		log_vlog(level, fmt, ap); \
		va_end(ap);               \
	}
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(status);
}
