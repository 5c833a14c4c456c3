#pragma once
// Calendar months (police.uk's unit of time) and date-times from force exports.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hotref {

/// A calendar month, stored as year*12 + (month-1) so months can be compared
/// and subtracted.
class Month {
public:
    Month() = default;
    Month(int year, int month) : m_index(year * 12 + (month - 1)) {}

    /// Parses "YYYY-MM" (police.uk); returns nullopt unless the text is exactly
    /// that, with a month 01..12 and a year 1900..2999.
    static std::optional<Month> parse(std::string_view text) noexcept;

    [[nodiscard]] int year() const noexcept { return m_index / 12; }
    [[nodiscard]] int month() const noexcept { return m_index % 12 + 1; }
    [[nodiscard]] int index() const noexcept { return m_index; }
    [[nodiscard]] std::string str() const;

    auto operator<=>(const Month&) const = default;

private:
    int m_index = 0;
};

/// A local civil date-time (force exports record local time; no time zone).
struct DateTime {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    bool has_time = true; // false: the source gave only a date

    [[nodiscard]] Month to_month() const { return Month{year, month}; }
    /// ISO 8601 without zone: "2025-03-14T21:05:00", or "2025-03-14" without a time.
    [[nodiscard]] std::string iso() const;
    /// 0 = Monday ... 6 = Sunday.
    [[nodiscard]] int weekday() const noexcept;
    /// Days since 1970-01-01 of the date (proleptic Gregorian calendar).
    [[nodiscard]] long long days_since_epoch() const noexcept;
    /// Seconds since 1970-01-01T00:00:00 of this civil date-time (no time zone).
    [[nodiscard]] long long seconds_since_epoch() const noexcept;
};

/// Parses `text` with a strptime-like `format` understanding %Y %m %d %H %M %S
/// and %% ; other characters must match literally. Single-digit day, month,
/// hour, minute and second values are accepted. A trailing time part may be
/// missing when the format ends with time fields after a space: the result
/// then has has_time = false (never a made-up midnight). Validates ranges,
/// including days per month.
std::optional<DateTime> parse_datetime(std::string_view text, std::string_view format) noexcept;

int days_in_month(int year, int month) noexcept;

/// The civil date (has_time = false) `days` after 1970-01-01: the inverse of
/// DateTime::days_since_epoch.
DateTime date_from_days(long long days) noexcept;

/// Today's date in UTC, YYYY-MM-DD.
std::string utc_today();

} // namespace hotref
