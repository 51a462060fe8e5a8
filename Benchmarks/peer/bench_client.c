/*
 * bench_client.c - neutral librdkafka client for the Sluice peer benchmark.
 *
 * Modes (first argument):
 *   create   create the topic (admin API, 1 partition by default); falls back to
 *            metadata-triggered auto-create when CreateTopics is not supported,
 *            then waits until the topic is visible in metadata.
 *   produce  produce --count records of --size bytes to partition 0, acks=1,
 *            as fast as possible (or at --rate records/s), wait for every
 *            delivery report.
 *   consume  consume --count records from partition 0 starting at offset 0
 *            (simple consumer API: no group, no FindCoordinator, no commits).
 *   version  print the librdkafka version loaded at run time.
 *   latency  producer + consumer in one process (same monotonic clock): the
 *            producer sends at a steady --rate with the send time embedded in
 *            the payload, the consumer computes receive - send.
 *
 * Every mode prints exactly one JSON object on one line on stdout; diagnostics go
 * to stderr. Every wait is bounded by --timeout (seconds); a SIGALRM backstop
 * (timeout + 15 s) prints a JSON error line and exits if librdkafka itself hangs.
 *
 * Exit status: 0 = complete, 1 = incomplete / errors (JSON still printed),
 * 2 = usage or setup error, 3 = hard timeout.
 *
 * Build: gcc -O2 -Wall -o bench_client bench_client.c -lrdkafka -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ options */

#define MAX_EXTRA 32

static struct {
    const char *mode;
    const char *brokers;
    const char *topic;
    int size;
    long long count;
    double rate;          /* records/s; 0 = unlimited (produce) */
    double timeout_s;     /* overall bound for the mode */
    int linger_ms;        /* -1 = mode default */
    int batch_size;       /* producer batch.size bytes */
    int acks;
    int fetch_wait_ms;    /* -1 = librdkafka default (500) */
    long long warmup;     /* latency: records excluded from stats; -1 = 1 s worth */
    int partitions;       /* create */
    const char *extra[MAX_EXTRA];
    int n_extra;
    int verbose;
} opt = {
    .mode = NULL, .brokers = "127.0.0.1:9092", .topic = "bench", .size = 100,
    .count = 1000000, .rate = 0, .timeout_s = 60, .linger_ms = -1,
    .batch_size = 1048576, .acks = 1, .fetch_wait_ms = -1, .warmup = -1,
    .partitions = 1, .n_extra = 0, .verbose = 0,
};

static void usage(void) {
    fprintf(stderr,
        "usage: bench_client MODE [options]\n"
        "  MODE: create | produce | consume | latency | version\n"
        "  -b, --broker HOST:PORT      bootstrap broker (default 127.0.0.1:9092)\n"
        "  -t, --topic NAME            topic (default bench)\n"
        "  -s, --size BYTES            record value size (default 100)\n"
        "  -n, --count N               records (default 1000000)\n"
        "  -r, --rate R                records/s (latency: required; produce: 0 = unlimited)\n"
        "  -T, --timeout SEC           bound for the whole mode (default 60)\n"
        "  -l, --linger MS             producer linger.ms (produce 5, latency 0)\n"
        "      --batch-size BYTES      producer batch.size (default 1048576)\n"
        "      --acks N                request.required.acks (default 1)\n"
        "      --fetch-wait MS         consumer fetch.wait.max.ms (default: librdkafka's 500)\n"
        "      --warmup N              latency: first N records excluded (default: 1 s worth)\n"
        "      --partitions N          create: partitions (default 1)\n"
        "  -X KEY=VALUE                extra librdkafka property for every client (repeatable)\n"
        "  -v                          verbose librdkafka debug to stderr\n");
}

/* ------------------------------------------------------------------ helpers */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void json_escape(char *dst, size_t cap, const char *src) {
    size_t j = 0;
    for (size_t i = 0; src && src[i] && j + 7 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '"' || c == '\\') { dst[j++] = '\\'; dst[j++] = (char)c; }
        else if (c < 0x20) j += (size_t)snprintf(dst + j, cap - j, "\\u%04x", c);
        else dst[j++] = (char)c;
    }
    dst[j] = 0;
}

static void die(const char *fmt, ...) {
    char buf[1024], esc[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "bench_client: %s\n", buf);
    json_escape(esc, sizeof esc, buf);
    printf("{\"mode\":\"%s\",\"ok\":false,\"error\":\"%s\"}\n", opt.mode ? opt.mode : "?", esc);
    fflush(stdout);
    exit(2);
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "{\"ok\":false,\"error\":\"hard timeout (librdkafka did not return)\"}\n";
    ssize_t w = write(1, msg, sizeof msg - 1);
    (void)w;
    _exit(3);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
        die("config %s=%s: %s", k, v, err);
}

static void seti(rd_kafka_conf_t *conf, const char *k, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    set(conf, k, buf);
}

/* Client-level errors (e.g. broker down) are counted; ALL_BROKERS_DOWN is noted. */
static atomic_llong client_errors;
static char first_client_error[512];
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk; (void)opaque;
    atomic_fetch_add(&client_errors, 1);
    pthread_mutex_lock(&err_lock);
    if (!first_client_error[0])
        snprintf(first_client_error, sizeof first_client_error, "%s: %s",
                 rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
    pthread_mutex_unlock(&err_lock);
    if (opt.verbose) fprintf(stderr, "client error: %s: %s\n", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static rd_kafka_conf_t *base_conf(void) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", opt.brokers);
    set(conf, "client.id", "sluice-peer-bench");
    set(conf, "broker.address.family", "v4");
    /* 1 MiB batches need requests a little above 1 MiB. */
    seti(conf, "message.max.bytes", 4 * 1048576);
    seti(conf, "receive.message.max.bytes", 128 * 1048576);
    if (opt.verbose) set(conf, "debug", "broker,protocol,msg,fetch");
    rd_kafka_conf_set_error_cb(conf, error_cb);
    for (int i = 0; i < opt.n_extra; i++) {
        char kv[512];
        snprintf(kv, sizeof kv, "%s", opt.extra[i]);
        char *eq = strchr(kv, '=');
        if (!eq) die("-X needs KEY=VALUE: %s", opt.extra[i]);
        *eq = 0;
        set(conf, kv, eq + 1);
    }
    return conf;
}

static void print_client_error_field(void) {
    char esc[1100];
    pthread_mutex_lock(&err_lock);
    json_escape(esc, sizeof esc, first_client_error);
    pthread_mutex_unlock(&err_lock);
    /* Client CPU (all librdkafka threads): compare with seconds to see whether the
     * client, not the broker, was the limit. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf(",\"client_errors\":%lld,\"first_client_error\":\"%s\",\"librdkafka\":\"%s\",\"client_cpu_s\":%.3f",
           (long long)atomic_load(&client_errors), esc, rd_kafka_version_str(), cpu);
}

/* Bound for connection/metadata warm-up calls: at most 10 s and half the budget. */
static int warm_timeout_ms(void) {
    double ms = opt.timeout_s * 500.0;
    return ms < 10000 ? (int)ms : 10000;
}

/* ---------------------------------------------------------------- producer */

static atomic_llong dr_ok, dr_fail;
static char first_dr_error[512];

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) {
        if (atomic_fetch_add(&dr_fail, 1) == 0) {
            pthread_mutex_lock(&err_lock);
            snprintf(first_dr_error, sizeof first_dr_error, "%s: %s",
                     rd_kafka_err2name(m->err), rd_kafka_err2str(m->err));
            pthread_mutex_unlock(&err_lock);
        }
    } else {
        atomic_fetch_add(&dr_ok, 1);
    }
}

static rd_kafka_t *make_producer(int linger_ms) {
    char err[512];
    rd_kafka_conf_t *conf = base_conf();
    seti(conf, "acks", opt.acks);
    seti(conf, "linger.ms", linger_ms);
    seti(conf, "batch.size", opt.batch_size);
    seti(conf, "batch.num.messages", 1000000);
    seti(conf, "queue.buffering.max.messages", 2000000);
    seti(conf, "queue.buffering.max.kbytes", 2097151);
    set(conf, "compression.codec", "none");
    set(conf, "enable.idempotence", "false");
    seti(conf, "message.timeout.ms", (long long)(opt.timeout_s * 1000));
    seti(conf, "request.timeout.ms", 10000);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) die("producer: %s", err);
    return rk;
}

/* Produce one record, retrying on a full local queue until the deadline. */
static int produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, void *payload, size_t len,
                       int flags, double deadline) {
    for (;;) {
        if (rd_kafka_produce(rkt, 0, flags, payload, len, NULL, 0, NULL) == 0) return 0;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            atomic_fetch_add(&dr_fail, 1);
            pthread_mutex_lock(&err_lock);
            if (!first_dr_error[0])
                snprintf(first_dr_error, sizeof first_dr_error, "produce(): %s", rd_kafka_err2name(e));
            pthread_mutex_unlock(&err_lock);
            return -1;
        }
        rd_kafka_poll(rk, 1);
        if (now_s() > deadline) return -2;
    }
}

/* Flush within the deadline; purge whatever is left so destroy cannot block. */
static void bounded_flush(rd_kafka_t *rk, double deadline) {
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) break;
        if (rd_kafka_flush(rk, left > 0.1 ? 100 : (int)(left * 1000) + 1) == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    }
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk, 1000);
    rd_kafka_poll(rk, 0);
}

static void print_dr_error_field(void) {
    char esc[1100];
    pthread_mutex_lock(&err_lock);
    json_escape(esc, sizeof esc, first_dr_error);
    pthread_mutex_unlock(&err_lock);
    printf(",\"delivered\":%lld,\"failed\":%lld,\"first_delivery_error\":\"%s\"",
           (long long)atomic_load(&dr_ok), (long long)atomic_load(&dr_fail), esc);
}

static int mode_produce(void) {
    double t_begin = now_s();
    double deadline = t_begin + opt.timeout_s;
    rd_kafka_t *rk = make_producer(opt.linger_ms >= 0 ? opt.linger_ms : 5);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, opt.topic, NULL);

    /* One shared payload buffer, never freed: librdkafka references it (no copy flag). */
    unsigned char *payload = malloc((size_t)opt.size > 0 ? (size_t)opt.size : 1);
    for (int i = 0; i < opt.size; i++) payload[i] = (unsigned char)(i * 131 + 7);

    /* Warm the connection + metadata so connect time is not in the figure. */
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, rkt, &md, warm_timeout_ms()) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);

    long long sent = 0;
    int aborted = 0;
    double t0 = now_s();
    if (opt.rate > 0) {
        for (long long i = 0; i < opt.count; i++) {
            double due = t0 + (double)i / opt.rate;
            while (now_s() < due) rd_kafka_poll(rk, 0);
            int r = produce_one(rk, rkt, payload, (size_t)opt.size, 0, deadline);
            if (r == -2) { aborted = 1; break; }
            if (r == 0) sent++;
            if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
        }
    } else {
        /* Unthrottled: rd_kafka_produce_batch() in chunks keeps the per-record
         * client cost low enough that 100-byte records measure the broker. */
        enum { CHUNK = 8192 };
        static rd_kafka_message_t msgs[CHUNK];
        long long next = 0;
        while (next < opt.count && !aborted) {
            int n = opt.count - next < CHUNK ? (int)(opt.count - next) : CHUNK;
            for (int k = 0; k < n; k++) {
                memset(&msgs[k], 0, sizeof msgs[k]);
                msgs[k].payload = payload;
                msgs[k].len = (size_t)opt.size;
            }
            /* Retry only the records refused with QUEUE_FULL (compacted to the
             * front); any other refusal is a counted failure. */
            int m = n;
            while (m > 0) {
                rd_kafka_produce_batch(rkt, 0, 0, msgs, m);
                int w = 0;
                for (int k = 0; k < m; k++) {
                    if (!msgs[k].err) { sent++; continue; }
                    if (msgs[k].err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        msgs[w] = msgs[k];
                        msgs[w++].err = 0;
                        continue;
                    }
                    atomic_fetch_add(&dr_fail, 1);
                    pthread_mutex_lock(&err_lock);
                    if (!first_dr_error[0])
                        snprintf(first_dr_error, sizeof first_dr_error, "produce_batch(): %s", rd_kafka_err2name(msgs[k].err));
                    pthread_mutex_unlock(&err_lock);
                }
                m = w;
                if (m > 0) {
                    rd_kafka_poll(rk, 1);
                    if (now_s() > deadline) { aborted = 1; break; }
                }
            }
            next += n;
            rd_kafka_poll(rk, 0);
        }
    }
    double t_enq = now_s();
    bounded_flush(rk, deadline);
    double t1 = now_s();
    long long ok = atomic_load(&dr_ok);
    double secs = t1 - t0;
    int complete = !aborted && ok == opt.count;

    printf("{\"mode\":\"produce\",\"ok\":%s,\"topic\":\"%s\",\"size\":%d,\"count\":%lld,\"sent\":%lld",
           complete ? "true" : "false", opt.topic, opt.size, opt.count, sent);
    print_dr_error_field();
    printf(",\"seconds\":%.6f,\"enqueue_seconds\":%.6f,\"records_per_s\":%.1f,\"mb_per_s\":%.3f,"
           "\"linger_ms\":%d,\"batch_size\":%d,\"acks\":%d,\"timed_out\":%s",
           secs, t_enq - t0, secs > 0 ? ok / secs : 0, secs > 0 ? (double)ok * opt.size / secs / 1e6 : 0,
           opt.linger_ms >= 0 ? opt.linger_ms : 5, opt.batch_size, opt.acks, aborted ? "true" : "false");
    print_client_error_field();
    printf("}\n");
    fflush(stdout);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return complete ? 0 : 1;
}

/* ---------------------------------------------------------------- consumer */

static rd_kafka_t *make_consumer(int fetch_wait_ms) {
    char err[512];
    rd_kafka_conf_t *conf = base_conf();
    /* Simple (legacy) consumer API: no group.id, so no FindCoordinator, no
     * commits: the benchmark needs only Metadata, ListOffsets and Fetch. */
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.partition.eof", "false");
    set(conf, "check.crcs", "false");
    seti(conf, "fetch.max.bytes", 64 * 1048576);
    seti(conf, "max.partition.fetch.bytes", 32 * 1048576);
    seti(conf, "fetch.message.max.bytes", 32 * 1048576);
    seti(conf, "queued.max.messages.kbytes", 1048576);
    seti(conf, "queued.min.messages", 1000000);
    seti(conf, "fetch.min.bytes", 1);
    if (fetch_wait_ms >= 0) seti(conf, "fetch.wait.max.ms", fetch_wait_ms);
    seti(conf, "session.timeout.ms", 30000);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) die("consumer: %s", err);
    return rk;
}

/* Start fetching partition 0 of opt.topic at offset; returns the topic handle. */
static rd_kafka_topic_t *start_p0(rd_kafka_t *rk, int64_t offset, double *t_start) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, opt.topic, NULL);
    if (!rkt) die("topic_new: %s", rd_kafka_err2str(rd_kafka_last_error()));
    /* Connect and learn the leader first, so fetching starts at once (otherwise
     * librdkafka may wait for its 1 s topic scan before the first ListOffsets). */
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, rkt, &md, warm_timeout_ms()) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
    if (t_start) *t_start = now_s();
    if (rd_kafka_consume_start(rkt, 0, offset) == -1)
        die("consume_start: %s", rd_kafka_err2str(rd_kafka_last_error()));
    return rkt;
}

static void stop_p0(rd_kafka_t *rk, rd_kafka_topic_t *rkt) {
    rd_kafka_consume_stop(rkt, 0);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
}

static int mode_consume(void) {
    double t_begin = now_s();
    double deadline = t_begin + opt.timeout_s;
    rd_kafka_t *rk = make_consumer(opt.fetch_wait_ms);
    double t0 = 0;
    rd_kafka_topic_t *rkt = start_p0(rk, RD_KAFKA_OFFSET_BEGINNING, &t0);

    enum { BATCH = 10000 };
    rd_kafka_message_t *msgs[BATCH];
    long long got = 0, bytes = 0, errors = 0, gaps = 0;
    int64_t expect = 0;
    char first_err[512] = "";
    double t_first = 0, t_last = 0;
    while (got < opt.count && now_s() < deadline) {
        long long want = opt.count - got;
        size_t n_req = want < BATCH ? (size_t)want : BATCH;
        /* batch call waits until n_req messages or the timeout; n_req never
         * exceeds what is still missing, so the last call returns promptly. */
        ssize_t n = rd_kafka_consume_batch(rkt, 0, 100, msgs, n_req);
        if (n < 0) {
            errors++;
            if (!first_err[0]) snprintf(first_err, sizeof first_err, "consume_batch: %s", rd_kafka_err2str(rd_kafka_last_error()));
            continue;
        }
        double t = now_s();
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    errors++;
                    if (!first_err[0]) snprintf(first_err, sizeof first_err, "%s: %s", rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
                }
            } else {
                if (got == 0) t_first = t;
                if (m->offset != expect) gaps++;
                expect = m->offset + 1;
                got++;
                bytes += (long long)m->len;
                t_last = t;
            }
            rd_kafka_message_destroy(m);
        }
    }
    int complete = got == opt.count;
    /* Timed from consume_start (connection and leader already known) to the last
     * record: includes one ListOffsets and the first fetch round trip, and does not
     * credit records that arrived before the clock started. first_record_s shows
     * the start-up part. */
    double secs = (got ? t_last : now_s()) - t0;
    double rps = secs > 0 ? (double)got / secs : 0, mbps = secs > 0 ? (double)bytes / secs / 1e6 : 0;
    char esc[1100];
    json_escape(esc, sizeof esc, first_err);
    printf("{\"mode\":\"consume\",\"ok\":%s,\"topic\":\"%s\",\"count\":%lld,\"consumed\":%lld,\"bytes\":%lld,"
           "\"offset_gaps\":%lld,\"errors\":%lld,\"first_error\":\"%s\",\"seconds\":%.6f,\"first_record_s\":%.6f,"
           "\"records_per_s\":%.1f,\"mb_per_s\":%.3f,\"timed_out\":%s",
           complete ? "true" : "false", opt.topic, opt.count, got, bytes, gaps, errors, esc, secs,
           got ? t_first - t0 : -1.0, rps, mbps, complete ? "false" : "true");
    print_client_error_field();
    printf("}\n");
    fflush(stdout);
    stop_p0(rk, rkt);
    return complete && errors == 0 ? 0 : 1;
}

/* ----------------------------------------------------------------- latency */

static struct {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    int64_t *lat_ns;        /* indexed by sequence number; -1 = not received */
    long long count;
    atomic_llong received, dupes, bad, foreign;
    int64_t nonce;         /* per-run marker: records of other runs are ignored */
    atomic_int stop;
    double deadline;
} L;

static void *latency_consumer(void *arg) {
    (void)arg;
    while (!atomic_load(&L.stop) && atomic_load(&L.received) < L.count && now_s() < L.deadline) {
        rd_kafka_message_t *m = rd_kafka_consume(L.rkt, 0, 50);
        if (!m) continue;
        int64_t t = now_ns();
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) atomic_fetch_add(&L.bad, 1);
        } else if (m->len >= 24) {
            int64_t sent, seq, nonce;
            memcpy(&sent, m->payload, 8);
            memcpy(&seq, (char *)m->payload + 8, 8);
            memcpy(&nonce, (char *)m->payload + 16, 8);
            if (nonce != L.nonce) atomic_fetch_add(&L.foreign, 1);
            else if (seq >= 0 && seq < L.count) {
                if (L.lat_ns[seq] >= 0) atomic_fetch_add(&L.dupes, 1);
                else { L.lat_ns[seq] = t - sent; atomic_fetch_add(&L.received, 1); }
            } else atomic_fetch_add(&L.bad, 1);
        } else atomic_fetch_add(&L.bad, 1);
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int mode_latency(void) {
    if (opt.rate <= 0) die("latency needs --rate > 0");
    if (opt.size < 24) die("latency needs --size >= 24 (timestamp, sequence, run nonce)");
    double t_begin = now_s();
    double deadline = t_begin + opt.timeout_s;
    L.count = opt.count;
    L.deadline = deadline;
    L.nonce = now_ns() ^ ((int64_t)getpid() << 40);
    L.lat_ns = malloc(sizeof(int64_t) * (size_t)opt.count);
    for (long long i = 0; i < opt.count; i++) L.lat_ns[i] = -1;

    /* Consumer first, assigned at the partition's current high watermark (asked
     * explicitly, so no record produced below can fall before its start). */
    L.rk = make_consumer(opt.fetch_wait_ms);
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t we = RD_KAFKA_RESP_ERR__TIMED_OUT;
    while (now_s() < deadline) {
        we = rd_kafka_query_watermark_offsets(L.rk, opt.topic, 0, &lo, &hi, 5000);
        if (!we) break;
        usleep(200000);
    }
    if (we) die("query_watermark_offsets(%s[0]): %s", opt.topic, rd_kafka_err2str(we));
    L.rkt = start_p0(L.rk, hi, NULL);

    rd_kafka_t *rk = make_producer(opt.linger_ms >= 0 ? opt.linger_ms : 0);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, opt.topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, rkt, &md, warm_timeout_ms()) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);

    pthread_t th;
    pthread_create(&th, NULL, latency_consumer, NULL);

    unsigned char *buf = calloc(1, (size_t)opt.size);
    long long sent = 0;
    int aborted = 0;
    int64_t start = now_ns();
    double interval_ns = 1e9 / opt.rate;
    int64_t max_behind_ns = 0;
    for (long long i = 0; i < opt.count; i++) {
        int64_t due = start + (int64_t)((double)i * interval_ns);
        int64_t t = now_ns();
        if (t < due) {
            struct timespec ts = { .tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL };
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        } else if (t - due > max_behind_ns) max_behind_ns = t - due;
        int64_t ts_send = now_ns();
        memcpy(buf, &ts_send, 8);
        memcpy(buf + 8, &i, 8);
        memcpy(buf + 16, &L.nonce, 8);
        int r = produce_one(rk, rkt, buf, (size_t)opt.size, RD_KAFKA_MSG_F_COPY, deadline);
        if (r == -2) { aborted = 1; break; }
        if (r == 0) sent++;
        rd_kafka_poll(rk, 0);
    }
    double send_secs = (double)(now_ns() - start) / 1e9;
    bounded_flush(rk, deadline);
    /* Give the consumer until the deadline to see everything that was delivered. */
    while (atomic_load(&L.received) < atomic_load(&dr_ok) && now_s() < deadline) usleep(1000);
    atomic_store(&L.stop, 1);
    pthread_join(th, NULL);

    long long warm = opt.warmup >= 0 ? opt.warmup : (long long)opt.rate;
    if (warm >= opt.count) warm = opt.count / 10;
    int64_t *v = malloc(sizeof(int64_t) * (size_t)opt.count);
    long long n = 0;
    for (long long i = warm; i < opt.count; i++) if (L.lat_ns[i] >= 0) v[n++] = L.lat_ns[i];
    qsort(v, (size_t)n, sizeof(int64_t), cmp_i64);
    double sum = 0;
    for (long long i = 0; i < n; i++) sum += (double)v[i];
#define PCT(p) (n ? (double)v[(long long)((p) * (double)(n - 1) + 0.5)] / 1e6 : -1)
    long long received = atomic_load(&L.received);
    int complete = !aborted && received == opt.count && atomic_load(&dr_fail) == 0;
    printf("{\"mode\":\"latency\",\"ok\":%s,\"topic\":\"%s\",\"size\":%d,\"count\":%lld,\"rate\":%.1f,"
           "\"achieved_rate\":%.1f,\"max_send_lag_ms\":%.3f,\"sent\":%lld,\"received\":%lld,\"dupes\":%lld,\"bad\":%lld,\"foreign\":%lld,"
           "\"start_offset\":%lld,\"warmup\":%lld,\"samples\":%lld,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
           "\"max_ms\":%.3f,\"mean_ms\":%.3f,\"linger_ms\":%d,\"fetch_wait_ms\":%d,\"timed_out\":%s",
           complete ? "true" : "false", opt.topic, opt.size, opt.count, opt.rate,
           send_secs > 0 ? sent / send_secs : 0, max_behind_ns / 1e6, sent, received,
           (long long)atomic_load(&L.dupes), (long long)atomic_load(&L.bad), (long long)atomic_load(&L.foreign), (long long)hi, warm, n,
           PCT(0.50), PCT(0.90), PCT(0.99), PCT(0.999), n ? v[n - 1] / 1e6 : -1, n ? sum / n / 1e6 : -1,
           opt.linger_ms >= 0 ? opt.linger_ms : 0, opt.fetch_wait_ms, aborted ? "true" : "false");
    print_dr_error_field();
    print_client_error_field();
    printf("}\n");
    fflush(stdout);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    stop_p0(L.rk, L.rkt);
    return complete ? 0 : 1;
}

/* ------------------------------------------------------------------ create */

/* Returns partition count of the topic in metadata, 0 if absent, -1 on error. */
static int topic_partitions(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int timeout_ms, char *err, size_t errsz) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    if (e) { snprintf(err, errsz, "metadata: %s", rd_kafka_err2name(e)); return -1; }
    int parts = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, opt.topic)) {
            if (md->topics[i].err) snprintf(err, errsz, "topic: %s", rd_kafka_err2name(md->topics[i].err));
            else parts = md->topics[i].partition_cnt;
        }
    rd_kafka_metadata_destroy(md);
    return parts;
}

static int mode_create(void) {
    double deadline = now_s() + opt.timeout_s;
    char err[512];
    rd_kafka_conf_t *conf = base_conf();
    /* Producer handle: for admin calls and metadata-triggered auto-create. */
    set(conf, "allow.auto.create.topics", "true");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) die("create: %s", err);

    char admin_result[600] = "";
    const char *method = "admin";
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(opt.topic, opt.partitions, 1, err, sizeof err);
    if (!nt) die("NewTopic: %s", err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(ao, 10000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
    int admin_ok = 0;
    if (!ev) snprintf(admin_result, sizeof admin_result, "CreateTopics: no answer in 15 s");
    else if (rd_kafka_event_error(ev))
        snprintf(admin_result, sizeof admin_result, "CreateTopics: %s", rd_kafka_event_error_string(ev));
    else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t te = rd_kafka_topic_result_error(tr[i]);
            if (te == RD_KAFKA_RESP_ERR_NO_ERROR) admin_ok = 1;
            else if (te == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { admin_ok = 1; method = "exists"; }
            else snprintf(admin_result, sizeof admin_result, "CreateTopics: %s: %s", rd_kafka_err2name(te),
                          rd_kafka_topic_result_error_string(tr[i]) ? rd_kafka_topic_result_error_string(tr[i]) : "");
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    if (!admin_ok) {
        method = "auto-create";
        fprintf(stderr, "bench_client: %s; falling back to auto-create via metadata\n", admin_result);
    }

    /* Wait until the topic (and its partition 0) is visible; metadata requests for
     * the topic also trigger auto-create on brokers that do it. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, opt.topic, NULL);
    int parts = 0;
    char merr[256] = "";
    while (now_s() < deadline) {
        merr[0] = 0;
        parts = topic_partitions(rk, rkt, 5000, merr, sizeof merr);
        if (parts > 0) break;
        usleep(200000);
    }
    char esc1[1300], esc2[600];
    json_escape(esc1, sizeof esc1, admin_result);
    json_escape(esc2, sizeof esc2, merr);
    printf("{\"mode\":\"create\",\"ok\":%s,\"topic\":\"%s\",\"method\":\"%s\",\"partitions\":%d,"
           "\"admin_error\":\"%s\",\"metadata_error\":\"%s\"",
           parts > 0 ? "true" : "false", opt.topic, method, parts, esc1, esc2);
    print_client_error_field();
    printf("}\n");
    fflush(stdout);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return parts > 0 ? 0 : 1;
}

/* -------------------------------------------------------------------- main */

int main(int argc, char **argv) {
    static struct option lo[] = {
        {"broker", required_argument, 0, 'b'}, {"topic", required_argument, 0, 't'},
        {"size", required_argument, 0, 's'}, {"count", required_argument, 0, 'n'},
        {"rate", required_argument, 0, 'r'}, {"timeout", required_argument, 0, 'T'},
        {"linger", required_argument, 0, 'l'}, {"batch-size", required_argument, 0, 1},
        {"acks", required_argument, 0, 2}, {"fetch-wait", required_argument, 0, 3},
        {"warmup", required_argument, 0, 4}, {"partitions", required_argument, 0, 5},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    if (argc < 2 || argv[1][0] == '-') { usage(); return 2; }
    opt.mode = argv[1];
    if (!strcmp(opt.mode, "version")) {
        printf("{\"mode\":\"version\",\"ok\":true,\"librdkafka\":\"%s\",\"librdkafka_int\":%d}\n",
               rd_kafka_version_str(), rd_kafka_version());
        return 0;
    }
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "b:t:s:n:r:T:l:X:vh", lo, NULL)) != -1) {
        switch (c) {
        case 'b': opt.brokers = optarg; break;
        case 't': opt.topic = optarg; break;
        case 's': opt.size = atoi(optarg); break;
        case 'n': opt.count = atoll(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'T': opt.timeout_s = atof(optarg); break;
        case 'l': opt.linger_ms = atoi(optarg); break;
        case 1: opt.batch_size = atoi(optarg); break;
        case 2: opt.acks = atoi(optarg); break;
        case 3: opt.fetch_wait_ms = atoi(optarg); break;
        case 4: opt.warmup = atoll(optarg); break;
        case 5: opt.partitions = atoi(optarg); break;
        case 'X': if (opt.n_extra < MAX_EXTRA) opt.extra[opt.n_extra++] = optarg; break;
        case 'v': opt.verbose = 1; break;
        default: usage(); return 2;
        }
    }
    if (opt.size < 1 || opt.count < 1 || opt.timeout_s <= 0) die("bad --size/--count/--timeout");
    signal(SIGALRM, on_alarm);
    alarm((unsigned)opt.timeout_s + 15);

    if (!strcmp(opt.mode, "produce")) return mode_produce();
    if (!strcmp(opt.mode, "consume")) return mode_consume();
    if (!strcmp(opt.mode, "latency")) return mode_latency();
    if (!strcmp(opt.mode, "create")) return mode_create();
    usage();
    return 2;
}
