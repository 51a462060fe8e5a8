// Native helpers for Sluice: CRC-32C (hardware-assisted where the CPU has it) and the
// system compression libraries Kafka's codecs need (zlib for gzip, snappy, lz4 frame, zstd).
#ifndef CSLUICE_NATIVE_H
#define CSLUICE_NATIVE_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <lz4.h>
#include <lz4frame.h>
#include <zstd.h>
#include <snappy-c.h>

/// Extends `crc` (0 to start; the value is pre- and post-inverted inside) with `length` bytes.
/// Uses the SSE 4.2 / ARMv8 CRC instructions when the CPU has them, a slicing table otherwise.
uint32_t sluice_crc32c(uint32_t crc, const void *bytes, size_t length);

/// The software path alone, so tests can check the hardware path against it.
uint32_t sluice_crc32c_software(uint32_t crc, const void *bytes, size_t length);

/// 1 when `sluice_crc32c` uses CPU instructions.
int sluice_crc32c_is_hardware(void);

/// deflateInit2 with a gzip wrapper (windowBits 15 + 16), memLevel 8, default strategy.
int sluice_deflate_init_gzip(z_stream *stream, int level);

/// inflateInit2 that accepts gzip or zlib wrappers (windowBits 15 + 32).
int sluice_inflate_init_auto(z_stream *stream);

#endif
