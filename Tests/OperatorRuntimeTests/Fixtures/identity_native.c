/* A native identity operator (what a compiled Swift or Rust operator costs): copies every record of input
   "in" to output "out". For measuring the runtime's own throughput; built by the throughput test with cc. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint8_t *in_buf, *out_buf;

static void read_exact(uint8_t *p, size_t n) {
    while (n > 0) { ssize_t r = read(0, p, n); if (r <= 0) exit(0); p += r; n -= (size_t)r; }
}
static void write_all(const uint8_t *p, size_t n) {
    while (n > 0) { ssize_t w = write(1, p, n); if (w <= 0) exit(1); p += w; n -= (size_t)w; }
}
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static size_t skip_bytes(const uint8_t *p, size_t pos) { uint32_t n = be32(p + pos); return pos + 4 + (n == 0xFFFFFFFFu ? 0 : n); }

static uint32_t read_frame(uint8_t *type) {
    uint8_t h[5]; read_exact(h, 5);
    uint32_t len = be32(h); *type = h[4];
    if (len - 1 > 0) read_exact(in_buf, len - 1);
    return len - 1;
}
static void frame(uint8_t type, const uint8_t *body, uint32_t n) {
    uint8_t h[5]; put32(h, n + 1); h[4] = type; write_all(h, 5); if (n) write_all(body, n);
}

int main(void) {
    in_buf = malloc(64u << 20); out_buf = malloc(64u << 20);
    uint8_t type; read_frame(&type);
    static const uint8_t meta[] = {0, 8, 'i','d','e','n','t','i','t','y', 0, 1, 0, 2, 'i','n', 0, 0, 1, 0, 3, 'o','u','t'};
    frame(0x81, meta, sizeof meta);
    static const uint8_t no_timers[4] = {0, 0, 0, 0};
    frame(0x82, no_timers, 4);
    for (;;) {
        uint32_t n = read_frame(&type);
        if (type == 0x05) { frame(0x85, NULL, 0); return 0; }
        uint32_t count = type == 0x03 ? be32(in_buf + 8) : 0;
        size_t in = 12, out = 12;
        memcpy(out_buf, in_buf, 8);
        put32(out_buf + 8, count);
        for (uint32_t i = 0; i < count; i++) {
            size_t key = in + 2 + 4 + 8 + 8;
            size_t end = skip_bytes(in_buf, skip_bytes(in_buf, key));
            uint16_t headers = be16(in_buf + end); end += 2;
            for (uint16_t h = 0; h < headers; h++) { end += 2 + be16(in_buf + end); end = skip_bytes(in_buf, end); }
            out_buf[out++] = 0; out_buf[out++] = 0;
            memcpy(out_buf + out, in_buf + key, end - key); out += end - key;
            in = end;
        }
        put32(out_buf + out, 0); out += 4;
        (void)n;
        frame(0x83, out_buf, (uint32_t)out);
    }
}
