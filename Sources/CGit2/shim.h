#ifndef FORGEWORKS_CGIT2_SHIM_H
#define FORGEWORKS_CGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/odb_backend.h>
#endif
