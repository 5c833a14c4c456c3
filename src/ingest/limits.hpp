#pragma once
// The limits a feed is read under, and the text encoding it is read as. The
// defaults hold every real data.police.uk file with a wide margin (a force's
// month is under 10 MB and 30,000 rows; the whole national archive of three
// years is about 5,000 files) and refuse a decompression bomb or a runaway
// file long before memory or disk runs out. Each refusal names the limit and
// the option that raises it (docs/operations.md#limits).

#include "core/csv.hpp"

#include <cstdint>
#include <string>

namespace hotref::ingest {

enum class Encoding { utf8, windows1252 };

/// Parses "utf-8" / "windows-1252" (and cp1252, latin1 as its superset); throws UsageError.
Encoding parse_encoding(const std::string& text);

struct Limits {
    std::uint64_t max_file_bytes = std::uint64_t{4} << 30;   // --max-file-size: a file as read (after gzip/zip)
    std::uint64_t max_json_bytes = std::uint64_t{32} << 20;  // --max-json-size: a JSON file is parsed whole
    std::size_t max_line_bytes = std::size_t{16} << 20;      // --max-line-length
    std::size_t max_field_bytes = std::size_t{1} << 20;      // --max-field-length
    std::int64_t max_rows = 100'000'000;                    // --max-rows: rows of one file
    std::size_t max_files = 100'000;                        // --max-files: files of one run or batch
};

/// Parses a size such as "4GiB", "512MB", "100k" or "1048576"; throws UsageError naming `option`.
std::uint64_t parse_size(const std::string& text, const std::string& option);

/// The CsvReader options for a feed file under these limits.
CsvOptions csv_options(const std::string& name, char delimiter, const Limits& limits, Encoding encoding);

} // namespace hotref::ingest
