#pragma once
// An output folder written whole or not at all: everything is written into a
// temporary folder next to the target (".NAME.partial-PID"), checked, and only
// then renamed into place. With overwrite, the old folder is renamed aside
// (".NAME.old-PID"), the new one renamed in, and the old one removed, so at
// every instant the target is either the old complete folder or the new one.
// A killed run leaves at most a temporary folder, which the next run removes;
// a run killed between the two renames leaves the old folder aside, which the
// next run puts back first.

#include <filesystem>
#include <string>
#include <vector>

namespace hotref {

class AtomicDir {
public:
    /// `target` must not exist, be empty, or (with `overwrite`) hold at least one of
    /// `markers` (names that say it is a folder this command wrote, e.g. "hotref.gpkg"):
    /// a folder of other things is never replaced. Throws Error, naming the folder.
    AtomicDir(std::filesystem::path target, bool overwrite, std::vector<std::string> markers);
    /// Removes the temporary folder unless commit() succeeded.
    ~AtomicDir();
    AtomicDir(const AtomicDir&) = delete;
    AtomicDir& operator=(const AtomicDir&) = delete;

    /// The temporary folder to write into.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_temp; }
    [[nodiscard]] const std::filesystem::path& target() const noexcept { return m_target; }
    /// The path `p` (inside path()) will have once committed.
    [[nodiscard]] std::filesystem::path final_path(const std::filesystem::path& p) const;
    /// Puts the folder in place (replacing the old one when allowed). Throws Error.
    void commit();

private:
    void clean_stale();

    std::filesystem::path m_target;
    std::filesystem::path m_temp;
    bool m_overwrite = false;
    bool m_committed = false;
};

/// Writes `bytes` to ".NAME.partial-PID" next to `path`, checks every write and the
/// close (a full disk is said in words), then renames it to `path`: a reader never
/// sees half a file, and a failed write leaves an earlier `path` as it was. Throws Error.
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes, const std::string& what);

/// "; the disk is full (...)" when the file system holding `p` has (almost) no space left, or
/// "; no space: ... the file size limit (ulimit -f)" when `p` (a file or the largest file in a
/// folder) reached the process's file size limit; else empty. For messages after a failed write.
std::string no_space_reason(const std::filesystem::path& p);

/// Removes entries `parent`/`prefix`PID left by processes no longer running.
void remove_stale_entries(const std::filesystem::path& parent, const std::string& prefix);

} // namespace hotref
