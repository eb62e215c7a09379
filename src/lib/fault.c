/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault.c: the fault injector (see fault.h) and its SQLite VFS shim.
 *
 * Each op has a countdown: fault_set(op, n) stores n and sets the op's bit
 * in the armed mask; fault_hit() returns at once when the bit is clear,
 * else takes one from the countdown with a compare-and-swap, so that of
 * any number of threads exactly one sees it go from 1 to 0 and fails.
 *
 * The shim follows SQLite's documented VFS interface
 * (https://www.sqlite.org/vfs.html): each file it opens is our header
 * followed by the default VFS's file, whose methods every call is passed
 * to, except that xWrite and xSync ask fault_hit() first.  The method
 * table has the real one's iVersion, so WAL's shared memory (xShm*) and
 * memory-mapped reads (xFetch, xUnfetch) work as before.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/fault.h"

static atomic_uint fault_armed;		/* bit (1 << op) when op is armed */
static atomic_ulong fault_left[FAULT_OP_COUNT];
static atomic_ulong fault_nfired;

static const char *const fault_names[FAULT_OP_COUNT] = {
	"write", "fsync", "rename"
};

void
fault_set(enum fault_op op, unsigned long n)
{
	if ((unsigned)op >= FAULT_OP_COUNT)
		return;
	atomic_store(&fault_left[op], n);
	if (n > 0)
		atomic_fetch_or(&fault_armed, 1u << op);
	else
		atomic_fetch_and(&fault_armed, ~(1u << op));
}

void
fault_reset(void)
{
	unsigned i;

	atomic_store(&fault_armed, 0);
	for (i = 0; i < FAULT_OP_COUNT; i++)
		atomic_store(&fault_left[i], 0);
}

bool
fault_hit(enum fault_op op)
{
	unsigned long v;

	if ((atomic_load_explicit(&fault_armed, memory_order_relaxed) &
	    (1u << op)) == 0)
		return false;
	v = atomic_load(&fault_left[op]);
	do {
		if (v == 0)
			return false;
	} while (!atomic_compare_exchange_weak(&fault_left[op], &v, v - 1));
	if (v != 1)
		return false;
	atomic_fetch_and(&fault_armed, ~(1u << op));
	atomic_fetch_add(&fault_nfired, 1);
	return true;
}

unsigned long
fault_fired(void)
{
	return atomic_load(&fault_nfired);
}

const char *
fault_op_name(enum fault_op op)
{
	return (unsigned)op < FAULT_OP_COUNT ? fault_names[op] : NULL;
}

/* One "op:N" of a spec; the op name is p[0..len). */
static int
parse_one(const char *p, size_t len, enum fault_op *op_r,
    unsigned long *n_r, struct error *err_r)
{
	const char *colon = memchr(p, ':', len);
	unsigned long n = 0;
	size_t i, nlen;
	unsigned op;

	if (colon == NULL)
		return error_set(err_r, ERR_SYNTAX, "'%.*s': op:N expected",
		    (int)len, p);
	nlen = (size_t)(colon - p);
	for (op = 0; op < FAULT_OP_COUNT; op++)
		if (strlen(fault_names[op]) == nlen &&
		    memcmp(fault_names[op], p, nlen) == 0)
			break;
	if (op == FAULT_OP_COUNT)
		return error_set(err_r, ERR_SYNTAX, "'%.*s': unknown op (write, "
		    "fsync or rename)", (int)nlen, p);
	if (colon + 1 == p + len)
		return error_set(err_r, ERR_SYNTAX, "'%.*s': N missing",
		    (int)len, p);
	for (i = nlen + 1; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return error_set(err_r, ERR_SYNTAX, "'%.*s': N is not a "
			    "number", (int)len, p);
		n = n * 10 + (unsigned long)(p[i] - '0');
		if (n > FAULT_NTH_MAX)
			return error_set(err_r, ERR_SYNTAX, "'%.*s': N above %lu",
			    (int)len, p, FAULT_NTH_MAX);
	}
	if (n == 0)
		return error_set(err_r, ERR_SYNTAX, "'%.*s': N must be 1 or more",
		    (int)len, p);
	*op_r = (enum fault_op)op;
	*n_r = n;
	return 0;
}

int
fault_from_env(const char *spec, struct error *err_r)
{
	unsigned long n[FAULT_OP_COUNT] = { 0 };
	const char *p, *end, *comma;
	enum fault_op op = FAULT_WRITE;
	unsigned long nth = 0;
	unsigned i;

	if (spec == NULL || *spec == '\0')
		return error_set(err_r, ERR_SYNTAX, "empty fault spec");
	if (strnlen(spec, FAULT_SPEC_MAX + 1) > FAULT_SPEC_MAX)
		return error_set(err_r, ERR_SYNTAX, "fault spec longer than %d "
		    "bytes", FAULT_SPEC_MAX);
	/* All of it is checked before anything is armed. */
	end = spec + strlen(spec);
	for (p = spec; p <= end; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		if (parse_one(p, (size_t)(comma - p), &op, &nth, err_r) < 0)
			return -1;
		if (n[op] != 0)
			return error_set(err_r, ERR_SYNTAX, "%s given twice",
			    fault_names[op]);
		n[op] = nth;
	}
	for (i = 0; i < FAULT_OP_COUNT; i++)
		if (n[i] != 0)
			fault_set((enum fault_op)i, n[i]);
	return 0;
}

/* ---- the SQLite VFS shim ---- */

struct fault_file {
	sqlite3_file	 base;		/* pMethods: one of shim_methods[] */
	sqlite3_file	*real;		/* the default VFS's file, after us */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static int shim_rc;

#define REAL(f)	(((struct fault_file *)(f))->real)

static int
shim_close(sqlite3_file *f)
{
	sqlite3_file *r = REAL(f);

	return r->pMethods->xClose(r);
}

static int
shim_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int
shim_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	if (fault_hit(FAULT_WRITE))
		return SQLITE_IOERR_WRITE;
	return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int
shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
shim_sync(sqlite3_file *f, int flags)
{
	if (fault_hit(FAULT_FSYNC))
		return SQLITE_IOERR_FSYNC;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
shim_file_size(sqlite3_file *f, sqlite3_int64 *size_r)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size_r);
}

static int
shim_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
shim_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
shim_check_reserved(sqlite3_file *f, int *out_r)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out_r);
}

static int
shim_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
shim_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
shim_device_chars(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
shim_shm_map(sqlite3_file *f, int region, int size, int extend,
    void volatile **p_r)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, p_r);
}

static int
shim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
shim_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
shim_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
shim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p_r)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p_r);
}

static int
shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* Index: the real methods' iVersion (1..3).  SQLite calls no method
 * beyond a table's version, so the later entries are harmless there. */
#define SHIM_METHODS(v) { (v), shim_close, shim_read, shim_write, \
	shim_truncate, shim_sync, shim_file_size, shim_lock, shim_unlock, \
	shim_check_reserved, shim_file_control, shim_sector_size, \
	shim_device_chars, shim_shm_map, shim_shm_lock, shim_shm_barrier, \
	shim_shm_unmap, shim_fetch, shim_unfetch }
static const sqlite3_io_methods shim_methods[] = {
	SHIM_METHODS(1), SHIM_METHODS(1), SHIM_METHODS(2), SHIM_METHODS(3)
};

static int
shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *flags_r)
{
	struct fault_file *ff = (struct fault_file *)f;
	int rc, v;

	(void)vfs;
	ff->real = (sqlite3_file *)(ff + 1);
	ff->real->pMethods = NULL;
	rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, flags_r);
	/* SQLite calls xClose whenever pMethods is set, even on failure. */
	if (ff->real->pMethods == NULL)
		f->pMethods = NULL;
	else {
		v = ff->real->pMethods->iVersion;
		f->pMethods = &shim_methods[v < 1 ? 1 : v > 3 ? 3 : v];
	}
	return rc;
}

static int
shim_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int
shim_access(sqlite3_vfs *vfs, const char *name, int flags, int *out_r)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out_r);
}

static int
shim_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *
shim_dlopen(sqlite3_vfs *vfs, const char *path)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, path);
}

static void
shim_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, msg);
}

static void
(*shim_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void
shim_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int
shim_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
shim_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int
shim_current_time(sqlite3_vfs *vfs, double *t_r)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, t_r);
}

static int
shim_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, msg);
}

static int
shim_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *t_r)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, t_r);
}

static int
shim_set_syscall(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
	(void)vfs;
	return real_vfs->xSetSystemCall(real_vfs, name, p);
}

static sqlite3_syscall_ptr
shim_get_syscall(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xGetSystemCall(real_vfs, name);
}

static const char *
shim_next_syscall(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xNextSystemCall(real_vfs, name);
}

static void
shim_init(void)
{
	if (sqlite3_initialize() != SQLITE_OK ||
	    (real_vfs = sqlite3_vfs_find(NULL)) == NULL) {
		shim_rc = -1;
		return;
	}
	shim_vfs.iVersion = real_vfs->iVersion < 3 ? real_vfs->iVersion : 3;
	shim_vfs.szOsFile = (int)sizeof(struct fault_file) +
	    real_vfs->szOsFile;
	shim_vfs.mxPathname = real_vfs->mxPathname;
	shim_vfs.zName = "tegami-fault";
	shim_vfs.xOpen = shim_open;
	shim_vfs.xDelete = shim_delete;
	shim_vfs.xAccess = shim_access;
	shim_vfs.xFullPathname = shim_full_pathname;
	shim_vfs.xDlOpen = shim_dlopen;
	shim_vfs.xDlError = shim_dlerror;
	shim_vfs.xDlSym = shim_dlsym;
	shim_vfs.xDlClose = shim_dlclose;
	shim_vfs.xRandomness = shim_randomness;
	shim_vfs.xSleep = shim_sleep;
	shim_vfs.xCurrentTime = shim_current_time;
	shim_vfs.xGetLastError = shim_last_error;
	shim_vfs.xCurrentTimeInt64 = shim_current_time64;
	shim_vfs.xSetSystemCall = shim_set_syscall;
	shim_vfs.xGetSystemCall = shim_get_syscall;
	shim_vfs.xNextSystemCall = shim_next_syscall;
	if (sqlite3_vfs_register(&shim_vfs, 1) != SQLITE_OK)
		shim_rc = -1;
}

int
fault_sqlite_register(struct error *err_r)
{
	pthread_once(&shim_once, shim_init);
	if (shim_rc < 0)
		return error_set(err_r, ERR_INTERNAL, "cannot register the "
		    "tegami-fault SQLite VFS");
	return 0;
}
