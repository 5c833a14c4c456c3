#include "server/store_guard.hpp"

#include "server/query.hpp"
#include "store/sqlite.hpp"

#include <sys/stat.h>

namespace hotref::server {

StoreGuard::StoreGuard(std::string path) : m_path(std::move(path)) {
    struct stat st {};
    if (::stat(m_path.c_str(), &st) == 0) {
        m_device = st.st_dev;
        m_inode = st.st_ino;
        m_known = true;
    }
}

std::string StoreGuard::problem() const {
    if (!m_known) {
        return {};
    }
    struct stat st {};
    if (::stat(m_path.c_str(), &st) != 0) {
        return "the store " + m_path + " was deleted while the service was running; restart the service "
               "(on the restored store)";
    }
    if (st.st_dev != m_device || st.st_ino != m_inode) {
        return "the store " + m_path + " was replaced by another file while the service was running (device " +
               std::to_string(m_device) + " inode " + std::to_string(m_inode) + ", now device " +
               std::to_string(st.st_dev) + " inode " + std::to_string(st.st_ino) +
               "); restart the service to serve the new file";
    }
    return {};
}

bool StoreGuard::writable() const {
    return store::writable(m_path);
}

void StoreGuard::require_writable() const {
    if (const auto p = problem(); !p.empty()) {
        throw HttpError{503, "store_replaced", p + "; nothing was written (reads are served from the last good "
                                               "snapshot)"};
    }
    if (!writable()) {
        throw HttpError{503, "store_read_only", "the store " + m_path + " is read-only; the service serves it but "
                                                "cannot write to it: make it writable and restart the service"};
    }
}

} // namespace hotref::server
