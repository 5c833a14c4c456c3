#include "core/text.hpp"

#include <cstring>

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

std::string csv_quoted(std::string_view value) {
    std::string out = "\"";
    for (const char c : value) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

namespace {

// The length of a well-formed UTF-8 sequence starting at p (at most n bytes
// available), or 0 when it is not one.
std::size_t utf8_sequence(const unsigned char* p, std::size_t n) noexcept {
    const unsigned char c = p[0];
    auto cont = [&](std::size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) {
        return cont(1) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 2) {
            return 0;
        }
        const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80; // no overlongs
        const unsigned char hi = c == 0xED ? 0x9F : 0xBF; // no surrogates
        return p[1] >= lo && p[1] <= hi && cont(2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 2) {
            return 0;
        }
        const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
        const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
        return p[1] >= lo && p[1] <= hi && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

} // namespace

std::optional<std::size_t> utf8_error_at(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII runs, eight bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if ((word & 0x8080808080808080ULL) != 0) {
                break;
            }
            i += 8;
        }
        if (i >= n) {
            break;
        }
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence(p + i, n - i);
        if (len == 0) {
            return i;
        }
        i += len;
    }
    return std::nullopt;
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    while (true) {
        const auto bad = utf8_error_at(s);
        if (!bad) {
            out.append(s);
            return out;
        }
        out.append(s.substr(0, *bad));
        out.append("\xEF\xBF\xBD");
        s.remove_prefix(*bad + 1);
    }
}

std::string windows1252_to_utf8(std::string_view s) {
    // 0x80..0x9F; 0 where Windows-1252 leaves the byte unassigned (kept as the C1 control).
    static constexpr char16_t high[32] = {
        0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out += ch;
            continue;
        }
        char32_t cp = c;
        if (c < 0xA0 && high[c - 0x80] != 0) {
            cp = high[c - 0x80];
        }
        if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

std::string format_size(std::uint64_t bytes) {
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024 || bytes % 1024 != 0) {
        return std::to_string(bytes) + " bytes";
    }
    std::uint64_t v = bytes / 1024;
    int u = 0;
    while (u < 3 && v % 1024 == 0) {
        v /= 1024;
        ++u;
    }
    return std::to_string(v) + " " + units[u];
}

} // namespace hotref
