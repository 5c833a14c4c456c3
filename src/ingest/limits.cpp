#include "ingest/limits.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <cctype>
#include <charconv>

namespace hotref::ingest {

Encoding parse_encoding(const std::string& text) {
    const std::string e = to_lower(text);
    if (e == "utf-8" || e == "utf8") {
        return Encoding::utf8;
    }
    if (e == "windows-1252" || e == "cp1252" || e == "latin1" || e == "iso-8859-1") {
        return Encoding::windows1252;
    }
    throw UsageError("--encoding: unknown encoding '" + text + "'; use utf-8 (the default) or windows-1252");
}

std::uint64_t parse_size(const std::string& text, const std::string& option) {
    std::uint64_t value = 0;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    std::string unit = to_lower(std::string_view{ptr, static_cast<std::size_t>(end - ptr)});
    std::uint64_t factor = 0;
    if (unit.empty() || unit == "b") {
        factor = 1;
    } else if (unit == "k" || unit == "kb" || unit == "kib") {
        factor = std::uint64_t{1} << 10;
    } else if (unit == "m" || unit == "mb" || unit == "mib") {
        factor = std::uint64_t{1} << 20;
    } else if (unit == "g" || unit == "gb" || unit == "gib") {
        factor = std::uint64_t{1} << 30;
    } else if (unit == "t" || unit == "tb" || unit == "tib") {
        factor = std::uint64_t{1} << 40;
    }
    if (ec != std::errc{} || ptr == begin || factor == 0 || value == 0 || value > UINT64_MAX / factor) {
        throw UsageError(option + ": '" + text + "' is not a size; write a positive number with an optional unit "
                                                 "(k, M, G: 512M, 4G)");
    }
    return value * factor;
}

CsvOptions csv_options(const std::string& name, char delimiter, const Limits& limits, Encoding encoding) {
    CsvOptions o;
    o.delimiter = delimiter;
    o.name = name;
    o.max_record_bytes = limits.max_line_bytes;
    o.max_field_bytes = limits.max_field_bytes;
    o.record_limit_hint = "raise the limit with --max-line-length if the file is genuine";
    o.field_limit_hint = "raise the limit with --max-field-length if the file is genuine";
    o.encoding_hint = encoding == Encoding::utf8
                          ? "re-save the file as UTF-8, or read it as Windows-1252 with --encoding windows-1252"
                          : "the file was read as Windows-1252 and still holds a byte that is not text";
    return o;
}

} // namespace hotref::ingest
