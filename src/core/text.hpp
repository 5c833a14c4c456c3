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

/// Quotes a value for an error message: 'value' (cut to 40 characters).
std::string quote_value(std::string_view value);

} // namespace hotref
