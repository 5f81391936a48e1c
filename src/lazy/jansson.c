/* libjansson, loaded on first use: the JSON of etcd, the webhook, lint and --status. The run
 * path's state file is read and written without it (state.c). Every jansson function any
 * module calls needs a line here: the program's link names any that is missing. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* Hidden: these definitions must never be exported, or the loaded library's calls to its
 * own functions could land back here. */
#pragma GCC visibility push(hidden)
#include <jansson.h>

#include "lazy/lazy.h"

static struct lazy_lib jansson = { .path = JANSSON_PATH, .soname = JANSSON_SONAME };

LAZY_FN(jansson, json_t *, json_array, (void), (), NULL)
LAZY_FN(jansson, int, json_array_append_new, (json_t *a, json_t *v), (a, v), (json_delete(v), -1))
LAZY_FN(jansson, json_t *, json_array_get, (const json_t *a, size_t i), (a, i), NULL)
LAZY_FN(jansson, size_t, json_array_size, (const json_t *a), (a), 0)
LAZY_FN(jansson, char *, json_dumps, (const json_t *j, size_t flags), (j, flags), NULL)
LAZY_FN(jansson, int, json_dumpf, (const json_t *j, FILE *f, size_t flags), (j, f, flags), -1)
LAZY_FN(jansson, json_t *, json_false, (void), (), NULL)
LAZY_FN(jansson, json_t *, json_true, (void), (), NULL)
LAZY_FN(jansson, json_t *, json_null, (void), (), NULL)
LAZY_FN(jansson, json_t *, json_integer, (json_int_t v), (v), NULL)
LAZY_FN(jansson, json_int_t, json_integer_value, (const json_t *j), (j), 0)
LAZY_FN(jansson, json_t *, json_load_file, (const char *path, size_t flags, json_error_t *e),
	(path, flags, e), NULL)
LAZY_FN(jansson, json_t *, json_loadb, (const char *b, size_t len, size_t flags, json_error_t *e),
	(b, len, flags, e), NULL)
LAZY_FN(jansson, double, json_number_value, (const json_t *j), (j), 0.0)
LAZY_FN(jansson, json_t *, json_object, (void), (), NULL)
LAZY_FN(jansson, json_t *, json_real, (double v), (v), NULL)
LAZY_FN(jansson, json_t *, json_object_get, (const json_t *o, const char *k), (o, k), NULL)
LAZY_FN(jansson, int, json_object_set_new, (json_t *o, const char *k, json_t *v), (o, k, v),
	(json_delete(v), -1))
LAZY_FN(jansson, json_t *, json_string, (const char *s), (s), NULL)
LAZY_FN(jansson, json_t *, json_stringn_nocheck, (const char *s, size_t n), (s, n), NULL)
LAZY_FN(jansson, size_t, json_string_length, (const json_t *s), (s), 0)
LAZY_FN(jansson, const char *, json_string_value, (const json_t *s), (s), NULL)
LAZY_FN(jansson, json_t *, json_vpack_ex, (json_error_t *e, size_t flags, const char *fmt, va_list ap),
	(e, flags, fmt, ap), NULL)

/* Only objects the library made reach here: it is loaded by then. */
void json_delete(json_t *j)
{
	static void (*fn)(json_t *);

	if (j && (fn || (*(void **)&fn = lazy_sym(&jansson, "json_delete"))))
		fn(j);
}

json_t *json_pack(const char *fmt, ...)
{
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	j = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	return j;
}
#pragma GCC visibility pop
