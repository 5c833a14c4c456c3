#include "core/text.hpp"

#include <charconv>
#include <cmath>

namespace hotref {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool is_blank(std::string_view s) noexcept {
    return trim(s).empty();
}

std::optional<double> parse_double(std::string_view s) noexcept {
    s = trim(s);
    if (s.empty()) {
        return std::nullopt;
    }
    if (s.front() == '+') {
        s.remove_prefix(1);
    }
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::string to_lower(std::string_view s) {
    std::string out{s};
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string with_commas(std::int64_t value) {
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    const auto n = digits.size();
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[i];
        const auto left = n - i - 1;
        if (left > 0 && left % 3 == 0) {
            out += ',';
        }
    }
    return value < 0 ? "-" + out : out;
}

std::string quote_value(std::string_view value) {
    constexpr std::size_t max_len = 40;
    if (value.size() > max_len) {
        return "'" + std::string{value.substr(0, max_len)} + "...'";
    }
    return "'" + std::string{value} + "'";
}

} // namespace hotref
