#include "core/asset.h"

#include <stdlib.h>
#include <string.h>

static int cmp_path(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const ct_asset *)elem)->path);
}

const ct_asset *ct_asset_find(const ct_asset *table, size_t n, const char *path) {
  return bsearch(path, table, n, sizeof *table, cmp_path);
}
