#ifndef FORGEWORKS_CGIT2_SHIM_H
#define FORGEWORKS_CGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <stddef.h>

/* git_libgit2_opts is variadic, which Swift cannot call; these fix its arguments. */
static inline int forge_git_opts_int(int option, int value) {
    return git_libgit2_opts(option, value);
}
static inline int forge_git_opts_size(int option, size_t value) {
    return git_libgit2_opts(option, value);
}
static inline int forge_git_opts_cache_object_limit(git_object_t type, size_t value) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, value);
}
static inline int forge_git_opts_search_path(int level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}
#endif
