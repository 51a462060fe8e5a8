// Starts an operator process already confined: see `sluice_spawn` in CSluiceNative.h.
//
// Between fork and exec the child of a multi-threaded parent may call only async-signal-safe functions,
// so everything (paths, argv, environment, the cgroup files) is prepared by the parent, and the child
// makes plain system calls. The user is changed with raw syscalls: glibc's setuid would try to
// broadcast the change to threads that do not exist in the child.
#define _GNU_SOURCE
#include "CSluiceNative.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/// Writes the step and errno to the error pipe and exits; the parent reads them.
static void fail_in_child(int error_fd, int step) {
    int report[2] = {step, errno};
    ssize_t ignored = write(error_fd, report, sizeof(report));
    (void)ignored;
    _exit(127);
}

/// Moves `from` onto `to`; when they are already equal, clears close-on-exec instead (dup2 would not).
static int move_descriptor(int from, int to) {
    if (from == to) {
        int flags = fcntl(to, F_GETFD);
        return flags < 0 ? -1 : fcntl(to, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(from, to) < 0 ? -1 : 0;
}

/// The decimal form of `value` into `buffer` (at least 24 bytes), without snprintf (not async-signal-safe).
static size_t format_decimal(long value, char *buffer) {
    char digits[24];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0 && count < sizeof(digits));
    for (size_t index = 0; index < count; index++) buffer[index] = digits[count - 1 - index];
    buffer[count] = '\n';
    return count + 1;
}

static void run_child(const struct sluice_spawn_request *request, int error_fd) {
    // Its own process group: a Ctrl-C at the broker's terminal is the broker's to handle.
    setpgid(0, 0);
    struct sigaction default_action = {0};
    default_action.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &default_action, NULL);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);

    if (move_descriptor(request->stdin_fd, 0) < 0 || move_descriptor(request->stdout_fd, 1) < 0
        || move_descriptor(request->stderr_fd, 2) < 0) {
        fail_in_child(error_fd, SLUICE_SPAWN_DUP);
    }
    if (chdir(request->directory) < 0) fail_in_child(error_fd, SLUICE_SPAWN_CHDIR);

    // Into the cgroups first, so that everything the program does from its first instruction is counted.
    char pid_text[24];
    size_t pid_length = format_decimal((long)getpid(), pid_text);
    for (int index = 0; index < request->cgroup_count; index++) {
        if (write(request->cgroup_procs_fds[index], pid_text, pid_length) < 0) {
            fail_in_child(error_fd, SLUICE_SPAWN_CGROUP);
        }
    }
    // Limits before the user changes: a process that is no longer root cannot raise a hard limit again.
    for (int index = 0; index < request->rlimit_count; index++) {
        struct rlimit limit = {(rlim_t)request->rlimit_values[index], (rlim_t)request->rlimit_values[index]};
        if (setrlimit(request->rlimit_resources[index], &limit) < 0) fail_in_child(error_fd, SLUICE_SPAWN_RLIMIT);
    }
    if (request->change_user) {
        if (syscall(SYS_setgroups, 0, NULL) < 0) fail_in_child(error_fd, SLUICE_SPAWN_USER);
        if (syscall(SYS_setresgid, request->gid, request->gid, request->gid) < 0) fail_in_child(error_fd, SLUICE_SPAWN_USER);
        if (syscall(SYS_setresuid, request->uid, request->uid, request->uid) < 0) fail_in_child(error_fd, SLUICE_SPAWN_USER);
    }
    execve(request->path, request->argv, request->envp);
    fail_in_child(error_fd, SLUICE_SPAWN_EXEC);
}

int sluice_spawn(const struct sluice_spawn_request *request, pid_t *pid, int *failed_step) {
    int error_pipe[2];
    if (pipe2(error_pipe, O_CLOEXEC) < 0) {
        *failed_step = SLUICE_SPAWN_PIPE;
        return errno;
    }
    pid_t child = fork();
    if (child < 0) {
        int error = errno;
        close(error_pipe[0]);
        close(error_pipe[1]);
        *failed_step = SLUICE_SPAWN_FORK;
        return error;
    }
    if (child == 0) {
        close(error_pipe[0]);
        run_child(request, error_pipe[1]);
    }
    close(error_pipe[1]);
    // The error pipe closes on a successful exec (close-on-exec), so a read of 0 bytes means it ran.
    int report[2] = {0, 0};
    ssize_t count;
    do {
        count = read(error_pipe[0], report, sizeof(report));
    } while (count < 0 && errno == EINTR);
    close(error_pipe[0]);
    if (count == (ssize_t)sizeof(report)) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        *failed_step = report[0];
        return report[1] != 0 ? report[1] : EINVAL;
    }
    *pid = child;
    *failed_step = SLUICE_SPAWN_OK;
    return 0;
}
