#include "core/month.hpp"

#include <cstdio>
#include <ctime>

namespace hotref {

namespace {

bool read_digits(std::string_view& s, std::size_t min_digits, std::size_t max_digits, int& out) noexcept {
    std::size_t n = 0;
    int value = 0;
    while (n < max_digits && n < s.size() && s[n] >= '0' && s[n] <= '9') {
        value = value * 10 + (s[n] - '0');
        ++n;
    }
    if (n < min_digits) {
        return false;
    }
    s.remove_prefix(n);
    out = value;
    return true;
}

} // namespace

std::optional<Month> Month::parse(std::string_view text) noexcept {
    if (text.size() != 7 || text[4] != '-') {
        return std::nullopt;
    }
    int year = 0;
    int month = 0;
    std::string_view y = text.substr(0, 4);
    std::string_view m = text.substr(5, 2);
    if (!read_digits(y, 4, 4, year) || !read_digits(m, 2, 2, month)) {
        return std::nullopt;
    }
    if (year < 1900 || year > 2999 || month < 1 || month > 12) {
        return std::nullopt;
    }
    return Month{year, month};
}

std::string Month::str() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d", year(), month());
    return buf;
}

int days_in_month(int year, int month) noexcept {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2) {
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return leap ? 29 : 28;
    }
    return days[month - 1];
}

std::string DateTime::iso() const {
    char buf[32];
    if (!has_time) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second);
    return buf;
}

int DateTime::weekday() const noexcept {
    // Sakamoto's method gives 0 = Sunday; shift to 0 = Monday.
    static constexpr int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    int y = year;
    if (month < 3) {
        y -= 1;
    }
    const int sunday_based = (y + y / 4 - y / 100 + y / 400 + t[month - 1] + day) % 7;
    return (sunday_based + 6) % 7;
}

long long DateTime::days_since_epoch() const noexcept {
    // Howard Hinnant's days_from_civil.
    const long long y = year - (month <= 2 ? 1 : 0);
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const long long yoe = y - era * 400;
    const long long mp = (month + 9) % 12;
    const long long doy = (153 * mp + 2) / 5 + day - 1;
    const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

DateTime date_from_days(long long days) noexcept {
    // Howard Hinnant's civil_from_days.
    const long long z = days + 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const long long doe = z - era * 146097;
    const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long long mp = (5 * doy + 2) / 153;
    DateTime dt;
    dt.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    dt.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    dt.year = static_cast<int>(yoe + era * 400 + (dt.month <= 2 ? 1 : 0));
    dt.has_time = false;
    return dt;
}

long long DateTime::seconds_since_epoch() const noexcept {
    return days_since_epoch() * 86400 + hour * 3600LL + minute * 60LL + second;
}

std::optional<DateTime> parse_datetime(std::string_view text, std::string_view format) noexcept {
    DateTime dt;
    dt.has_time = format.find("%H") != std::string_view::npos;
    std::string_view s = text;
    while (!s.empty() && s.back() == ' ') {
        s.remove_suffix(1);
    }
    for (std::size_t i = 0; i < format.size(); ++i) {
        const char f = format[i];
        if (f != '%') {
            if (s.empty() && f == ' ') {
                dt.has_time = false; // a date-only value for a date-time format
                break;
            }
            if (s.empty() || s.front() != f) {
                return std::nullopt;
            }
            s.remove_prefix(1);
            continue;
        }
        if (++i >= format.size()) {
            return std::nullopt;
        }
        bool ok = false;
        switch (format[i]) {
        case 'Y': ok = read_digits(s, 4, 4, dt.year); break;
        case 'm': ok = read_digits(s, 1, 2, dt.month); break;
        case 'd': ok = read_digits(s, 1, 2, dt.day); break;
        case 'H': ok = read_digits(s, 1, 2, dt.hour); break;
        case 'M': ok = read_digits(s, 1, 2, dt.minute); break;
        case 'S': ok = read_digits(s, 1, 2, dt.second); break;
        case '%':
            ok = !s.empty() && s.front() == '%';
            if (ok) {
                s.remove_prefix(1);
            }
            break;
        default: return std::nullopt;
        }
        if (!ok) {
            return std::nullopt;
        }
    }
    if (!s.empty()) {
        return std::nullopt;
    }
    if (dt.year < 1900 || dt.year > 2999 || dt.month < 1 || dt.month > 12 || dt.day < 1 ||
        dt.day > days_in_month(dt.year, dt.month) || dt.hour > 23 || dt.minute > 59 || dt.second > 60) {
        return std::nullopt;
    }
    return dt;
}

std::string utc_today() {
    const auto now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

} // namespace hotref
