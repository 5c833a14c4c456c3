#include "util/atomic_dir.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hotref {

namespace fs = std::filesystem;

namespace {

fs::path sibling(const fs::path& target, const std::string& kind, long pid) {
    return target.parent_path() / ("." + target.filename().string() + "." + kind + "-" + std::to_string(pid));
}

bool process_alive(long pid) {
    return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

fs::path absolute_target(fs::path target) {
    std::error_code ec;
    auto abs = fs::absolute(target, ec);
    if (ec) {
        throw Error(target.string() + ": cannot resolve the output folder (" + ec.message() + ")");
    }
    abs = abs.lexically_normal();
    if (!abs.has_filename()) {
        abs = abs.parent_path(); // "out/layers/" -> "out/layers"
    }
    return abs;
}

std::string error_text(int err) {
    return std::system_category().message(err);
}

} // namespace

void write_file_atomically(const fs::path& path, const std::string& bytes, const std::string& what) {
    const auto temp = sibling(path, "partial", static_cast<long>(::getpid()));
    auto fail = [&](int err) {
        ::unlink(temp.c_str());
        const std::string why = err == ENOSPC || err == EDQUOT ? "disk full: no space left on the device"
                                : err == EFBIG ? "no space: the file size limit (ulimit -f) was reached"
                                               : error_text(err);
        throw Error(path.string() + ": cannot write the " + what + " (" + why + "); nothing was written");
    };
    remove_stale_entries(path.parent_path().empty() ? fs::path{"."} : path.parent_path(),
                         "." + path.filename().string() + ".partial-");
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        fail(errno);
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            ::close(fd);
            fail(err);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) {
        fail(errno);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        fail(errno);
    }
}

std::string no_space_reason(const fs::path& p) {
    std::error_code ec;
    const auto folder = fs::is_directory(p, ec) ? p : p.parent_path();
    const auto space = fs::space(folder, ec);
    if (!ec && space.available < std::max<std::uintmax_t>(1024 * 1024, space.capacity / 50)) {
        return "; disk full: no space left on the device holding " + folder.string();
    }
    // A write past RLIMIT_FSIZE fails with EFBIG (SIGXFSZ ignored), which GDAL and SQLite
    // report only as an I/O error: when a limit is set, it is the likely cause.
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        return "; no space: this process may write files of at most " + std::to_string(limit.rlim_cur) +
               " bytes (the file size limit, ulimit -f)";
    }
    return {};
}

void remove_stale_entries(const fs::path& parent, const std::string& prefix) {
    std::error_code ec;
    for (fs::directory_iterator it{parent, ec}, end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0) {
            continue;
        }
        char* rest = nullptr;
        const long pid = std::strtol(name.c_str() + prefix.size(), &rest, 10);
        if (rest != nullptr && *rest == '\0' && pid != static_cast<long>(::getpid()) && !process_alive(pid)) {
            std::error_code rm;
            fs::remove_all(it->path(), rm);
        }
    }
}

AtomicDir::AtomicDir(fs::path target, bool overwrite, std::vector<std::string> markers)
    : m_target(absolute_target(std::move(target))), m_overwrite(overwrite) {
    const auto shown = m_target.string();
    std::error_code ec;
    fs::create_directories(m_target.parent_path(), ec);
    if (ec) {
        throw Error(m_target.parent_path().string() + ": cannot create the folder (" + ec.message() + ")");
    }
    clean_stale();
    if (fs::exists(m_target)) {
        if (!fs::is_directory(m_target)) {
            throw Error(shown + " exists and is not a folder; give another --out");
        }
        if (!fs::is_empty(m_target)) {
            bool ours = false;
            for (const auto& m : markers) {
                ours = ours || fs::exists(m_target / m);
            }
            if (!ours) {
                throw Error(shown + " exists and holds other files, not hotref's outputs; give a new or empty "
                                    "folder as --out (it is replaced as a whole)");
            }
            if (!overwrite) {
                throw Error(shown + " exists; give --overwrite to replace the layers in " + shown);
            }
        }
    }
    m_temp = sibling(m_target, "partial", static_cast<long>(::getpid()));
    fs::remove_all(m_temp, ec);
    if (::mkdir(m_temp.c_str(), 0777) != 0) {
        throw Error(m_temp.string() + ": cannot create the temporary output folder (" + error_text(errno) + ")");
    }
}

AtomicDir::~AtomicDir() {
    if (!m_committed) {
        std::error_code ec;
        fs::remove_all(m_temp, ec);
    }
}

fs::path AtomicDir::final_path(const fs::path& p) const {
    return m_target / p.lexically_relative(m_temp);
}

void AtomicDir::clean_stale() {
    const auto stem = "." + m_target.filename().string() + ".";
    remove_stale_entries(m_target.parent_path(), stem + "partial-");
    // A run killed between its two renames left the old, complete folder aside: put it back.
    std::error_code ec;
    for (fs::directory_iterator it{m_target.parent_path(), ec}, end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.rfind(stem + "old-", 0) != 0) {
            continue;
        }
        const long pid = std::strtol(name.c_str() + stem.size() + 4, nullptr, 10);
        if (process_alive(pid) && pid != static_cast<long>(::getpid())) {
            continue;
        }
        std::error_code e2;
        if (!fs::exists(m_target, e2)) {
            fs::rename(it->path(), m_target, e2);
        } else {
            fs::remove_all(it->path(), e2);
        }
    }
}

void AtomicDir::commit() {
    std::error_code ec;
    const bool replace = fs::exists(m_target) && !fs::is_empty(m_target);
    if (!replace) {
        fs::remove(m_target, ec); // an empty folder
        if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
            throw Error(m_target.string() + ": cannot put the new folder in place (" + error_text(errno) + ")");
        }
        m_committed = true;
        return;
    }
    if (!m_overwrite) {
        throw Error(m_target.string() + " appeared while it was written; give --overwrite to replace it");
    }
    const auto old = sibling(m_target, "old", static_cast<long>(::getpid()));
    fs::remove_all(old, ec);
    if (::rename(m_target.c_str(), old.c_str()) != 0) {
        throw Error(m_target.string() + ": cannot move the old folder aside (" + error_text(errno) + ")");
    }
    if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
        const int err = errno;
        ::rename(old.c_str(), m_target.c_str()); // the old one back
        throw Error(m_target.string() + ": cannot put the new folder in place (" + error_text(err) + ")");
    }
    m_committed = true;
    fs::remove_all(old, ec);
}

} // namespace hotref
