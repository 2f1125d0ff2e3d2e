#ifndef FORGEWORKS_CCMARKGFM_SHIM_H
#define FORGEWORKS_CCMARKGFM_SHIM_H
/* GitHub's cmark-gfm (Debian's libcmark-gfm-dev and libcmark-gfm-extensions-dev). */
#include <cmark-gfm.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm-core-extensions.h>
#endif
