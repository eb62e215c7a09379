/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dirsync.h: Directory Integration (CGP-REFERENCE 13.3, B12).  Per domain,
 * the setting DirectoryIntegration is "None" (the default) or
 * "Keep In Sync": then creating, renaming, updating and deleting an account
 * changes its record `uid=<name>,cn=<domain>` at once, and a change of an
 * account's settings whose record is missing fails with
 * DIR_NOT_FOUND_ERROR.  Insert All / Delete All (CLI
 * InsertDirectoryRecords / DeleteDirectoryRecords) create the domain
 * record and one record per account, or remove them all; both are
 * idempotent, run while the server serves mail, and report their
 * progress (records done / total) to dirsync_progress() and the log.
 *
 * Forwarders and groups have records too (cn=<name>,cn=<domain>), the
 * domain's aliases are associatedDomain values of the domain record; a
 * domain rename moves the domain's subtree, a delete removes it.  A
 * rewrite merges: attributes the integration does not own (an
 * administrator's, added over LDAP) stay.
 *
 * An account record carries objectClass (top, person,
 * organizationalPerson, inetOrgPerson), uid, mail, cn, sn, givenName and
 * hostServer (the main domain name).  The domain setting
 * AttributeRenaming, a dictionary {"<setting>" = "<attribute>"}, says
 * which account settings go to which attributes on every write (default
 * { RealName = cn; }); cn falls back to the account name, sn to the last
 * word of cn, givenName to its first word.  Log module "DIRECTORY".
 */
#ifndef TEGAMI_DIRECTORY_DIRSYNC_H
#define TEGAMI_DIRECTORY_DIRSYNC_H

#include "lib/compat.h"

#include "lib/error.h"

struct directory;
struct dir_entry;
struct objects;

/* Installs the account hooks on o (objects_set_dir_hooks); d and o must
 * outlive dirsync_stop(). */
void	dirsync_start(struct objects *o, struct directory *d);
void	dirsync_stop(struct objects *o);

/* Whether domain (NULL: main) keeps its records in sync. */
bool	dirsync_enabled(struct objects *o, const char *domain);

/* "uid=<name>,cn=<domain>" and "cn=<domain>". */
void	dirsync_account_dn(const char *name, const char *domain, char *buf,
	    size_t size);
void	dirsync_domain_dn(const char *domain, char *buf, size_t size);
/* "cn=<name>,cn=<domain>": a forwarder's or a group's record. */
void	dirsync_object_dn(const char *name, const char *domain, char *buf,
	    size_t size);
/* The DN of the record of a group member ("name": in domain, or
 * "name@domain"): an account's (an alias names its account), a
 * forwarder's or a group's; -1 for an address that is not an object of
 * our domains. */
int	dirsync_member_dn(struct objects *o, const char *member,
	    const char *domain, char *buf, size_t size);

/* The record an account has (domain canonical or NULL), built from its
 * effective settings.  NULL with err_r (ERR_NOTFOUND unknown account). */
struct dir_entry	*dirsync_account_record(struct objects *o,
			    const char *name, const char *domain,
			    struct error *err_r);

/* Insert All: the domain record and a record for every account, DIR_BATCH
 * per transaction.  *done_r gets the records written.  One Insert or Delete
 * All runs at a time: ERR_TEMP while another runs. */
int	dirsync_insert_all(struct objects *o, struct directory *d,
	    const char *domain, size_t *done_r, struct error *err_r);
/* Delete All: the domain's subtree; *done_r the records removed. */
int	dirsync_delete_all(struct objects *o, struct directory *d,
	    const char *domain, size_t *done_r, struct error *err_r);

struct dirsync_progress {
	char	operation[32];		/* "InsertAll", "DeleteAll"; "" never ran */
	char	domain[256];
	size_t	done, total;
	bool	running;
};
/* The last (or running) Insert / Delete All. */
void	dirsync_progress(struct dirsync_progress *p);

#endif
