#include "cli/limit_options.hpp"

#include "core/error.hpp"

namespace hotref::cli {

namespace po = boost::program_options;

void LimitOptions::add(po::options_description& options, bool files) {
    options.add_options()
        ("max-file-size", po::value<std::string>(&m_file_size)->default_value("4G"),
         "refuse a file that expands to more than this (after gzip/zip)")
        ("max-json-size", po::value<std::string>(&m_json_size)->default_value("32M"),
         "refuse a police.uk API JSON response larger than this")
        ("max-line-length", po::value<std::string>(&m_line)->default_value("16M"), "refuse a longer CSV record")
        ("max-field-length", po::value<std::string>(&m_field)->default_value("1M"), "refuse a longer CSV field")
        ("max-rows", po::value<std::int64_t>(&m_rows)->default_value(100'000'000), "refuse a file with more rows");
    if (files) {
        options.add_options()("max-files", po::value<std::size_t>(&m_files)->default_value(100'000),
                              "refuse a run of more files than this");
    }
}

ingest::Limits LimitOptions::parse() const {
    ingest::Limits limits;
    limits.max_file_bytes = ingest::parse_size(m_file_size, "--max-file-size");
    limits.max_json_bytes = ingest::parse_size(m_json_size, "--max-json-size");
    limits.max_line_bytes = static_cast<std::size_t>(ingest::parse_size(m_line, "--max-line-length"));
    limits.max_field_bytes = static_cast<std::size_t>(ingest::parse_size(m_field, "--max-field-length"));
    if (m_rows <= 0 || m_files == 0) {
        throw UsageError("--max-rows and --max-files must be positive");
    }
    limits.max_rows = m_rows;
    limits.max_files = m_files;
    return limits;
}

} // namespace hotref::cli
