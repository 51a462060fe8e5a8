// zlib's initialisers are function-like macros (they pass ZLIB_VERSION and sizeof(z_stream)),
// which Swift cannot call; these wrappers give Swift plain functions with the gzip settings Kafka uses.
#include "CSluiceNative.h"

int sluice_deflate_init_gzip(z_stream *stream, int level) {
    // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of a zlib one.
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

int sluice_inflate_init_auto(z_stream *stream) {
    // windowBits 15 + 32 detects a gzip or zlib header automatically.
    return inflateInit2(stream, 15 + 32);
}
