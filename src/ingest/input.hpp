#pragma once
// Turns the paths a user gives into the list of files to ingest: single files,
// folder trees as in the data.police.uk monthly archive
// (YYYY-MM/YYYY-MM-<force>-street.csv), the archive zip itself, and gzip files.

#include <cstdint>
#include <string>
#include <vector>

namespace hotref::ingest {

enum class FeedKind { policeuk_csv, policeuk_json, force_export };

const char* kind_name(FeedKind kind) noexcept;
/// The partition source label of a kind ("police.uk", "police.uk-api", "force-export").
const char* source_name(FeedKind kind) noexcept;

struct InputFile {
    std::string display;   // what the user should read: "archive.zip/2025-01/2025-01-x-street.csv"
    std::string vsi;       // what GDAL opens: "/vsizip/archive.zip/2025-01/..."
    FeedKind kind = FeedKind::policeuk_csv;
    std::uint64_t size = 0; // bytes when known (0: unknown, e.g. gzip)
    std::string os_path;    // the file on disk that holds it (the zip for a member); "" for memory
};

struct InputPlan {
    std::vector<InputFile> files;
    /// Files inside folders or archives that are not feeds (e.g. -outcomes.csv), with why.
    std::vector<std::string> skipped;
};

/// Expands `paths`. With `force_export`, every CSV/TXT file is a force export;
/// otherwise folders and archives contribute their *-street.csv files and
/// *.json API responses. A path that does not exist throws InputError.
InputPlan plan_inputs(const std::vector<std::string>& paths, bool force_export);

} // namespace hotref::ingest
