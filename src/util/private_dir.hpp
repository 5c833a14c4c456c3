#pragma once
// Private working folders for internal (OFFICIAL-SENSITIVE) files: a folder only
// its owner can enter, made by mkdtemp (an unpredictable name, never an existing
// folder or link), and a scoped umask so that the files written into it are
// mode 0600 and its subfolders 0700 whatever writes them (GDAL, SQLite, ...).

#include <filesystem>
#include <string>

#include <sys/types.h>

namespace hotref {

/// A new folder `parent`/`prefix`XXXXXX of mode 0700, removed with everything in
/// it on destruction unless keep() was called. An empty `parent` is the system's
/// temporary folder ($TMPDIR, else /tmp); a missing one is created. Throws Error.
class PrivateDir {
public:
    PrivateDir(const std::filesystem::path& parent, const std::string& prefix);
    ~PrivateDir();
    PrivateDir(const PrivateDir&) = delete;
    PrivateDir& operator=(const PrivateDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    /// Leaves the folder in place on destruction (to inspect what was written).
    void keep() noexcept { m_keep = true; }

private:
    std::filesystem::path m_path;
    bool m_keep = false;
};

/// umask 077 while it lives: files created meanwhile are 0600, folders 0700.
/// The umask belongs to the process, so guards in several threads share one
/// count: the first sets it, the last puts the previous umask back.
class PrivateUmask {
public:
    PrivateUmask();
    ~PrivateUmask();
    PrivateUmask(const PrivateUmask&) = delete;
    PrivateUmask& operator=(const PrivateUmask&) = delete;
};

} // namespace hotref
