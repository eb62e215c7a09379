/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/webuser_prefs.c: libFuzzer target for the webmail's preferences
 * POST (wu_prefs_apply(), src/webuser/webuser_prefs.c): any JSON body
 * applied to an account's preferences.  Besides memory errors it aborts
 * when an accepted body leaves a value the checks should have refused (a
 * MessagesPerPage out of range, a Signature over the bound, a TimeZone
 * with "..", a key we do not know), or when the reason of a refusal is
 * not valid UTF-8 once utf8_fix() has been through it.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/utf8.h"
#include "webuser/webuser_private.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long
number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *end == '\0' && end != s ? v : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "TimeZone", "MessagesPerPage",
	    "Signature", "RequireFixedNetworkAddress", "SessionTimeout" };
	struct dval *own = dict_new_dict();
	char why[320];
	bool tmo;
	const char *v;
	size_t i;

	why[0] = '\0';
	dict_set_str(own, "Language", "English");
	if (wu_prefs_apply(own, (const char *)data, size, &tmo, why,
	    sizeof(why)) == 0) {
		for (i = 0; i < dict_len(own); i++) {
			const char *k = dict_key_at(own, i);
			bool ok = strcmp(k, "Language") == 0;

			for (size_t j = 0; j < N_ELEMENTS(keys); j++)
				ok = ok || strcmp(k, keys[j]) == 0;
			if (!ok)
				abort();
		}
		if ((v = dict_get_str(own, "MessagesPerPage")) != NULL &&
		    (number(v) < 1 || number(v) > WU_MESSAGES_PER_PAGE_MAX))
			abort();
		if ((v = dict_get_str(own, "Signature")) != NULL &&
		    strlen(v) > WU_SIGNATURE_MAX)
			abort();
		if ((v = dict_get_str(own, "TimeZone")) != NULL &&
		    strstr(v, "..") != NULL)
			abort();
	} else {
		if (why[0] == '\0')
			abort();
		/* the reason quotes the body, cut at a byte count: the JSON
		 * answer takes it made valid UTF-8 (utf8_fix()) */
		utf8_fix(why, '?');
		if (!utf8_valid(why))
			abort();
	}
	dict_free(&own);
	return 0;
}
