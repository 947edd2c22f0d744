#include "viewer/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

extern const ct_asset ct_viewer_assets[];
extern const size_t ct_viewer_assets_count;

const ct_asset *ct_viewer_asset(const char *path) {
  return ct_asset_find(ct_viewer_assets, ct_viewer_assets_count, path);
}

int ct_viewer_asset_text(const char *path, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  const ct_asset *a = ct_viewer_asset(path);
  if (!a) return -ENOENT;
  char *buf = malloc(a->raw_len + 1);
  if (!buf) return -ENOMEM;
  if (!a->gzipped) {
    memcpy(buf, a->data, a->len);
  } else {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 31) != Z_OK) {
      free(buf);
      return -ENOMEM;
    }
    zs.next_in = (unsigned char *)a->data;
    zs.avail_in = (uInt)a->len;
    zs.next_out = (unsigned char *)buf;
    zs.avail_out = (uInt)a->raw_len;
    int rc = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || zs.total_out != a->raw_len) {
      free(buf);
      return -EINVAL;
    }
  }
  buf[a->raw_len] = 0;
  *out = buf;
  *len = a->raw_len;
  return 0;
}
