#pragma once
// The store file the service opened, by device and inode: a store deleted or
// replaced under a running `hotref serve` is noticed before a write (which
// would otherwise go to the old, unlinked file and be lost) and by the catalog
// (which then keeps serving its last good snapshot instead of the new file).

#include <string>
#include <sys/types.h>

namespace hotref::server {

class StoreGuard {
public:
    /// Records the identity of `path` now (the file the service runs on).
    explicit StoreGuard(std::string path);

    /// Empty while `path` is still the file recorded; else what happened to it
    /// ("deleted", "replaced by another file"), with what to do.
    [[nodiscard]] std::string problem() const;
    /// Whether the store can be written (the file and its folder).
    [[nodiscard]] bool writable() const;
    /// Throws HttpError 503 (store_replaced or store_read_only) when a write cannot be kept.
    void require_writable() const;

    [[nodiscard]] const std::string& path() const noexcept { return m_path; }

private:
    std::string m_path;
    dev_t m_device = 0;
    ino_t m_inode = 0;
    bool m_known = false;
};

} // namespace hotref::server
