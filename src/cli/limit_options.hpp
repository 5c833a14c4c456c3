#pragma once
// The feed limits (docs/operations.md#limits) as command-line options, one
// definition for `hotref ingest` and for `hotref serve`, which applies the same
// limits to every file of a POST /v1/feeds.

#include "ingest/limits.hpp"

#include <boost/program_options.hpp>

#include <cstdint>
#include <string>

namespace hotref::cli {

class LimitOptions {
public:
    /// --max-file-size, --max-json-size, --max-line-length, --max-field-length and --max-rows;
    /// --max-files too when `files` (the service counts files per batch with --max-batch-files).
    void add(boost::program_options::options_description& options, bool files);
    /// The limits given; throws UsageError naming the option that is wrong.
    [[nodiscard]] ingest::Limits parse() const;

private:
    std::string m_file_size, m_json_size, m_line, m_field;
    std::int64_t m_rows = 0;
    std::size_t m_files = 100'000;
};

} // namespace hotref::cli
