#include "base/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/unique_fd.hpp"

namespace ssekit {

namespace {

std::string why(const std::string &name) { return name + ": " + std::strerror(errno); }

}  // namespace

Status read_bounded(int fd, std::size_t limit, const std::string &name, std::string &out) {
    out.clear();
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Status::io(why(name));
        if (n == 0) return Status::ok();
        if (out.size() + static_cast<std::size_t>(n) > limit)
            return Status::too_large(name + ": larger than " + std::to_string(limit >> 20) + " MiB");
        out.append(buf, static_cast<std::size_t>(n));
    }
}

Status read_file(const std::string &path, std::size_t limit, std::string &out) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return errno == ENOENT ? Status::not_found(why(path)) : Status::io(why(path));
    return read_bounded(fd.get(), limit, path, out);
}

Status replace_file(const std::string &path, std::string_view bytes) {
    // Beside the target, so rename(2) stays within one file system.
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return Status::io(why(path));  // the temporary's name would only puzzle
    while (!bytes.empty()) {
        ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            Status s = Status::io(why(temp));
            ::unlink(temp.c_str());
            return s;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::close(fd.release()) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
        Status s = Status::io(why(path));
        ::unlink(temp.c_str());
        return s;
    }
    return Status::ok();
}

}  // namespace ssekit
