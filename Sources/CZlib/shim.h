#ifndef FORGEWORKS_CZLIB_SHIM_H
#define FORGEWORKS_CZLIB_SHIM_H
#include <zlib.h>
#endif
