// CRC-32C (Castagnoli), the checksum of Kafka record batches v2.
// The hardware path folds 8 bytes per instruction; the software path is a slicing-by-8 table
// so that machines without the instruction still get reasonable speed.
#include "CSluiceNative.h"
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc32c_table[8][256];
static int crc32c_table_ready = 0;

static void crc32c_build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) {
            crc = (crc & 1) ? (crc >> 1) ^ CRC32C_POLY_REFLECTED : crc >> 1;
        }
        crc32c_table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = crc32c_table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = crc32c_table[0][crc & 0xff] ^ (crc >> 8);
            crc32c_table[k][n] = crc;
        }
    }
    __atomic_store_n(&crc32c_table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t sluice_crc32c_software(uint32_t crc, const void *bytes, size_t length) {
    if (!__atomic_load_n(&crc32c_table_ready, __ATOMIC_ACQUIRE)) {
        crc32c_build_table();  // idempotent: racing builders write identical values
    }
    const uint8_t *p = (const uint8_t *)bytes;
    crc = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = crc32c_table[7][word & 0xff] ^ crc32c_table[6][(word >> 8) & 0xff] ^
              crc32c_table[5][(word >> 16) & 0xff] ^ crc32c_table[4][(word >> 24) & 0xff] ^
              crc32c_table[3][(word >> 32) & 0xff] ^ crc32c_table[2][(word >> 40) & 0xff] ^
              crc32c_table[1][(word >> 48) & 0xff] ^ crc32c_table[0][word >> 56];
        p += 8;
        length -= 8;
    }
    while (length--) {
        crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
    const uint8_t *p = (const uint8_t *)bytes;
    uint64_t crc64 = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc64 = _mm_crc32_u64(crc64, word);
        p += 8;
        length -= 8;
    }
    uint32_t crc32 = (uint32_t)crc64;
    while (length--) {
        crc32 = _mm_crc32_u8(crc32, *p++);
    }
    return ~crc32;
}

static int crc32c_hardware_available(void) {
    return __builtin_cpu_supports("sse4.2");
}
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>

static uint32_t crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
    const uint8_t *p = (const uint8_t *)bytes;
    crc = ~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = __crc32cd(crc, word);
        p += 8;
        length -= 8;
    }
    while (length--) {
        crc = __crc32cb(crc, *p++);
    }
    return ~crc;
}

static int crc32c_hardware_available(void) { return 1; }
#else
static uint32_t crc32c_hardware(uint32_t crc, const void *bytes, size_t length) {
    return sluice_crc32c_software(crc, bytes, length);
}
static int crc32c_hardware_available(void) { return 0; }
#endif

int sluice_crc32c_is_hardware(void) {
    return crc32c_hardware_available();
}

uint32_t sluice_crc32c(uint32_t crc, const void *bytes, size_t length) {
    static int mode = -1;  // -1 unknown, 0 software, 1 hardware; a benign race computes the same value
    int current = __atomic_load_n(&mode, __ATOMIC_RELAXED);
    if (current < 0) {
        current = crc32c_hardware_available() ? 1 : 0;
        __atomic_store_n(&mode, current, __ATOMIC_RELAXED);
    }
    return current ? crc32c_hardware(crc, bytes, length) : sluice_crc32c_software(crc, bytes, length);
}
