/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test for store_mailbox_infos(): every mailbox's row without counts,
 * sorted by id, moving with each change as STATUS does. */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "imap/imap_mime.h"
#include "store/store.h"

static const struct store_mbinfo *
find(const struct store_mbinfo *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

int
main(void)
{
	char tmpl[] = "/tmp/tegami-infos-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct store_uidrange all = { 1, UINT32_MAX };
	struct store_mbinfo *v;
	struct store_status st;
	struct store *s;
	struct error e;
	uint64_t ms;
	size_t n;
	char cmd[128];

	if (dir == NULL)
		return 1;
	store_set_render(&imap_store_render);
	s = store_open(dir, &e);
	test_begin("infos match STATUS and follow changes");
	test_assert(s != NULL);
	if (s == NULL)
		return test_done();
	test_assert(store_mailbox_create(s, "Sent", "\\Sent", NULL) == 0);
	test_assert(store_subscribe(s, "Sent", true, NULL) == 0);
	test_assert(store_append(s, "INBOX", &(struct store_new_msg){
	    "Subject: x\r\n\r\nbody\r\n", 20, 0, NULL, 0, NULL }, 0, NULL, NULL,
	    &e) == 0);
	test_assert(store_mailbox_infos(s, &v, &n, &e) == 0);
	test_assert(n == 2 && v[0].id < v[1].id);
	test_assert(store_mailbox_status(s, "INBOX", &st, NULL) == 0);
	test_assert(find(v, n, "INBOX") != NULL &&
	    find(v, n, "INBOX")->id == st.id &&
	    find(v, n, "INBOX")->uidnext == st.uidnext &&
	    find(v, n, "INBOX")->uidvalidity == st.uidvalidity &&
	    find(v, n, "INBOX")->highestmodseq == st.highestmodseq &&
	    !find(v, n, "INBOX")->subscribed);
	test_assert(find(v, n, "Sent") != NULL &&
	    find(v, n, "Sent")->subscribed &&
	    strcmp(find(v, n, "Sent")->special_use, "\\Sent") == 0);
	ms = find(v, n, "INBOX")->highestmodseq;
	store_mbinfo_free(v, n);
	test_assert(store_set_flags(s, st.id, &all, 1, STORE_FLAGS_ADD,
	    STORE_SEEN, NULL, NULL, NULL, NULL, NULL, NULL) == 0);
	test_assert(store_mailbox_infos(s, &v, &n, NULL) == 0);
	test_assert(find(v, n, "INBOX")->highestmodseq > ms);
	store_mbinfo_free(v, n);
	test_end();
	store_close(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
