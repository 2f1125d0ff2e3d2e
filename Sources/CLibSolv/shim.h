#ifndef FORGEWORKS_CLIBSOLV_SHIM_H
#define FORGEWORKS_CLIBSOLV_SHIM_H
// libsolv and libsolvext (Debian's libsolv-dev, libsolvext-dev), with small helpers for what Swift
// cannot import (macros and pointer arithmetic on the pool).
#include <stdio.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/solver.h>
#include <solv/solvable.h>
#include <solv/problems.h>
#include <solv/transaction.h>
#include <solv/knownid.h>
#include <solv/repo_deb.h>
#include <solv/solv_xfopen.h>
#include <solv/repo_rpmmd.h>
#include <solv/pool_parserpmrichdep.h>

/// The 0-terminated list of solvables providing `dep` (after pool_createwhatprovides).
static inline Id *fw_whatprovides(Pool *pool, Id dep) { return pool_whatprovides_ptr(pool, dep); }
/// The solvable with id `p`.
static inline Solvable *fw_solvable(Pool *pool, Id p) { return pool->solvables + p; }
/// How many solvable slots the pool has (ids 2..n-1 are packages).
static inline int fw_solvable_count(Pool *pool) { return pool->nsolvables; }
/// The relation behind `id`, or NULL when `id` is a plain string id.
static inline Reldep *fw_reldep(Pool *pool, Id id) { return ISRELDEP(id) ? GETRELDEP(pool, id) : 0; }
/// The pool's error text.
static inline const char *fw_error(Pool *pool) { return pool_errstr(pool); }
#endif
