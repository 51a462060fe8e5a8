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

#include <sys/types.h>

/// What `sluice_spawn` starts and how the child is confined before it runs a single instruction of the
/// program: the confinement happens between fork and exec, so there is no window in which the operator
/// runs unlimited (which `prlimit(pid)` or moving the pid into a cgroup after posix_spawn would leave).
struct sluice_spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *directory;
    int stdin_fd, stdout_fd, stderr_fd;
    /// RLIMIT_* resources and the value set as both soft and hard limit.
    const int *rlimit_resources;
    const unsigned long long *rlimit_values;
    int rlimit_count;
    /// Open `cgroup.procs` files (one per cgroup hierarchy) the child writes its pid to.
    const int *cgroup_procs_fds;
    int cgroup_count;
    /// When non-zero, the child drops to uid/gid (supplementary groups cleared) after the limits are set.
    int change_user;
    uid_t uid;
    gid_t gid;
};

/// The step of `sluice_spawn` that failed in the child, for the error message.
enum sluice_spawn_step {
    SLUICE_SPAWN_OK = 0,
    SLUICE_SPAWN_PIPE = 1,
    SLUICE_SPAWN_FORK = 2,
    SLUICE_SPAWN_DUP = 3,
    SLUICE_SPAWN_CHDIR = 4,
    SLUICE_SPAWN_CGROUP = 5,
    SLUICE_SPAWN_RLIMIT = 6,
    SLUICE_SPAWN_USER = 7,
    SLUICE_SPAWN_EXEC = 8,
};

/// Forks, confines the child (own process group, SIGPIPE default, pipes on 0/1/2, working directory,
/// cgroups, rlimits, user) and execs. Returns 0 with `*pid` set once the exec succeeded, or an errno with
/// `*failed_step` saying where it failed (the child is then reaped).
int sluice_spawn(const struct sluice_spawn_request *request, pid_t *pid, int *failed_step);

#endif
