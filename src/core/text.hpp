#pragma once
// Small text helpers used by the parsers: trimming, number parsing, case folding.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hotref {

std::string_view trim(std::string_view s) noexcept;

/// Parses a whole field as a finite double (surrounding blanks allowed).
/// Returns nullopt for an empty field, throws nothing.
std::optional<double> parse_double(std::string_view s) noexcept;

/// True when `s` (trimmed) is empty.
bool is_blank(std::string_view s) noexcept;

std::string to_lower(std::string_view s);

/// Formats an integer with thousands separators: 1234567 -> "1,234,567".
std::string with_commas(std::int64_t value);

/// The offset of the first byte of `s` that does not belong to a well-formed
/// UTF-8 sequence (RFC 3629: no overlongs, no surrogates, nothing above
/// U+10FFFF), or nullopt when all of `s` is UTF-8.
std::optional<std::size_t> utf8_error_at(std::string_view s) noexcept;

/// `s` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD
/// (for text that reached the store before input was checked).
std::string valid_utf8(std::string_view s);

/// Windows-1252 text as UTF-8 (the five unassigned bytes 0x81, 0x8D, 0x8F,
/// 0x90 and 0x9D become the C1 controls of the same value, as WHATWG does).
std::string windows1252_to_utf8(std::string_view s);

/// A size for a message: "4 GiB", "512 MiB", "123 bytes" (a unit only where it is exact).
std::string format_size(std::uint64_t bytes);

/// Quotes a value for an error message: 'value' (cut to 40 characters).
std::string quote_value(std::string_view value);

/// A CSV field always quoted (RFC 4180): "value" with every " doubled.
std::string csv_quoted(std::string_view value);

} // namespace hotref
