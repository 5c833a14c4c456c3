#include "util/private_dir.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>
#include <vector>

#include <stdlib.h>
#include <sys/stat.h>

namespace hotref {

namespace fs = std::filesystem;

PrivateDir::PrivateDir(const fs::path& parent, const std::string& prefix) {
    std::error_code ec;
    fs::path base = parent;
    if (base.empty()) {
        base = fs::temp_directory_path(ec);
        if (ec) {
            throw Error("no temporary folder for the working files (" + ec.message() +
                        "): set TMPDIR to a folder you can write");
        }
    } else {
        fs::create_directories(base, ec);
        if (ec) {
            throw Error(base.string() + ": cannot create the folder for the working files (" + ec.message() +
                        "); give a folder you can write");
        }
    }
    std::string templ = (base / (prefix + "XXXXXX")).string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) { // mode 0700
        throw Error(base.string() + ": cannot create a private working folder (" + std::strerror(errno) +
                    "); check that the folder exists and is writable, or set TMPDIR");
    }
    m_path = buf.data();
}

PrivateDir::~PrivateDir() {
    if (!m_keep) {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
}

namespace {
std::mutex umask_mutex;
int umask_holders = 0;
mode_t umask_before = 0;
} // namespace

PrivateUmask::PrivateUmask() {
    std::lock_guard lock{umask_mutex};
    if (umask_holders++ == 0) {
        umask_before = ::umask(077);
    }
}

PrivateUmask::~PrivateUmask() {
    std::lock_guard lock{umask_mutex};
    if (--umask_holders == 0) {
        ::umask(umask_before);
    }
}

} // namespace hotref
