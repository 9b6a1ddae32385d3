#include "tail/event_command.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string.h>  // strsignal

#include "base/unique_fd.hpp"

extern char **environ;

namespace ssekit {

namespace {

// posix_spawn's attribute and file-action objects, destroyed with their scope.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attributes);
    }
    ~SpawnSetup() {
        posix_spawnattr_destroy(&attributes);
        posix_spawn_file_actions_destroy(&actions);
    }
    SpawnSetup(const SpawnSetup &) = delete;
    SpawnSetup &operator=(const SpawnSetup &) = delete;
};

constexpr std::string_view kVariables[] = {"SSE_EVENT=", "SSE_ID=", "SSE_URL="};

}  // namespace

EventCommand::EventCommand(std::string command) : command_(std::move(command)) {
    for (char **v = environ; *v; ++v) {
        std::string_view entry(*v);
        bool ours = false;
        for (std::string_view name : kVariables) ours |= entry.starts_with(name);
        if (!ours) environment_.emplace_back(entry);
    }
}

Status EventCommand::run(std::string_view input, const Event &e, std::string_view url,
                         const volatile std::sig_atomic_t &stop) {
    std::vector<std::string> env = environment_;
    env.push_back(std::string(kVariables[0]).append(effective_type(e)));
    env.push_back(std::string(kVariables[1]) + e.id);
    env.push_back(std::string(kVariables[2]).append(url));
    std::vector<char *> envp;
    for (std::string &v : env) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string shell = "/bin/sh", dash_c = "-c", command = command_;
    char *argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Status::io(std::string("pipe: ") + std::strerror(errno));
    UniqueFd read_end(fds[0]), write_end(fds[1]);

    SpawnSetup setup;
    posix_spawn_file_actions_adddup2(&setup.actions, read_end.get(), STDIN_FILENO);
    // sse-tail ignores SIGPIPE and blocks nothing; the command starts with the defaults.
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&setup.attributes, &signals);
    sigaddset(&signals, SIGPIPE);
    posix_spawnattr_setsigdefault(&setup.attributes, &signals);
    posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    if (int rc = posix_spawn(&pid, argv[0], &setup.actions, &setup.attributes, argv, envp.data()); rc != 0)
        return Status::io("cannot start /bin/sh: " + std::string(std::strerror(rc)));
    read_end.reset();

    bool terminated = false;
    auto pass_on_stop = [&] {
        if (stop && !terminated) {
            ::kill(pid, SIGTERM);
            terminated = true;
        }
    };
    while (!input.empty()) {
        ssize_t n = ::write(write_end.get(), input.data(), input.size());
        if (n < 0 && errno == EINTR) {
            pass_on_stop();
            if (terminated) break;
            continue;
        }
        if (n <= 0) break;  // EPIPE: the command did not read all of it, which is its business
        input.remove_prefix(static_cast<size_t>(n));
    }
    write_end.reset();  // end of its input

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return Status::io(std::string("waitpid: ") + std::strerror(errno));
        pass_on_stop();
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
    if (WIFEXITED(status)) return Status::io("exited with status " + std::to_string(WEXITSTATUS(status)));
    if (WIFSIGNALED(status))
        return Status::io("killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                          ::strsignal(WTERMSIG(status)) + ")");
    return Status::io("ended with wait status " + std::to_string(status));
}

}  // namespace ssekit
