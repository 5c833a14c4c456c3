#include "core/month.hpp"
#include "core/text.hpp"

#include <doctest/doctest.h>

#include <ctime>

using hotref::Month;
using hotref::parse_datetime;

TEST_CASE("month: YYYY-MM only") {
    REQUIRE(Month::parse("2025-01"));
    CHECK(Month::parse("2025-01")->str() == "2025-01");
    CHECK(Month::parse("2025-12")->month() == 12);
    CHECK_FALSE(Month::parse("2025-13"));
    CHECK_FALSE(Month::parse("2025-00"));
    CHECK_FALSE(Month::parse("2025-1"));
    CHECK_FALSE(Month::parse("25-01"));
    CHECK_FALSE(Month::parse("2025/01"));
    CHECK_FALSE(Month::parse(""));
    CHECK(*Month::parse("2025-01") < *Month::parse("2025-02"));
    CHECK(Month::parse("2026-01")->index() - Month::parse("2025-12")->index() == 1);
}

TEST_CASE("datetime: strptime-like formats with range checks") {
    const auto dt = parse_datetime("03/01/2025 21:15", "%d/%m/%Y %H:%M");
    REQUIRE(dt);
    CHECK(dt->iso() == "2025-01-03T21:15:00");
    CHECK(dt->has_time);
    CHECK(dt->to_month().str() == "2025-01");
    CHECK(parse_datetime("2025-03-14T09:05:30", "%Y-%m-%dT%H:%M:%S")->iso() == "2025-03-14T09:05:30");
    CHECK(parse_datetime("3/1/2025 9:05", "%d/%m/%Y %H:%M")->iso() == "2025-01-03T09:05:00");
    CHECK_FALSE(parse_datetime("31/02/2025 10:00", "%d/%m/%Y %H:%M"));
    CHECK(parse_datetime("29/02/2024 10:00", "%d/%m/%Y %H:%M"));
    CHECK_FALSE(parse_datetime("29/02/2025 10:00", "%d/%m/%Y %H:%M"));
    CHECK_FALSE(parse_datetime("03/01/2025 24:00", "%d/%m/%Y %H:%M"));
    CHECK_FALSE(parse_datetime("03/01/2025 21:15 extra", "%d/%m/%Y %H:%M"));
    CHECK_FALSE(parse_datetime("2025-01-03", "%d/%m/%Y %H:%M"));
}

TEST_CASE("datetime: a date without its time is kept as a date, never a made-up midnight") {
    const auto dt = parse_datetime("15/02/2025", "%d/%m/%Y %H:%M");
    REQUIRE(dt);
    CHECK_FALSE(dt->has_time);
    CHECK(dt->iso() == "2025-02-15");
}

TEST_CASE("datetime: weekday (0 = Monday)") {
    CHECK(parse_datetime("2025-01-01", "%Y-%m-%d")->weekday() == 2);  // a Wednesday
    CHECK(parse_datetime("2024-02-29", "%Y-%m-%d")->weekday() == 3);  // a Thursday
    CHECK(parse_datetime("2026-11-21", "%Y-%m-%d")->weekday() == 5);  // a Saturday
}

TEST_CASE("text: numbers and formatting") {
    CHECK(*hotref::parse_double(" -1.377978 ") == doctest::Approx(-1.377978));
    CHECK(*hotref::parse_double("+2.5") == 2.5);
    CHECK_FALSE(hotref::parse_double("-1.37x978"));
    CHECK_FALSE(hotref::parse_double(""));
    CHECK_FALSE(hotref::parse_double("nan"));
    CHECK_FALSE(hotref::parse_double("inf"));
    CHECK(hotref::with_commas(1234567) == "1,234,567");
    CHECK(hotref::with_commas(-1000) == "-1,000");
    CHECK(hotref::with_commas(999) == "999");
}

TEST_CASE("datetime: days and seconds since 1970 (checked with Python's datetime)") {
    CHECK(parse_datetime("2025-01-01", "%Y-%m-%d")->days_since_epoch() == 20089);
    CHECK(parse_datetime("2000-03-01", "%Y-%m-%d")->days_since_epoch() == 11017);
    CHECK(parse_datetime("1969-12-31", "%Y-%m-%d")->days_since_epoch() == -1);
    CHECK(parse_datetime("2025-01-01T01:02:03", "%Y-%m-%dT%H:%M:%S")->seconds_since_epoch() == 1735693323);
}

TEST_CASE("text: a CSV field quoted as RFC 4180 writes it, and today's UTC date as the C library gives it") {
    CHECK(hotref::csv_quoted("") == "\"\"");
    CHECK(hotref::csv_quoted("a,b") == "\"a,b\"");
    CHECK(hotref::csv_quoted("say \"no\"") == "\"say \"\"no\"\"\"");
    // utc_today against the epoch day count: parsed back, it is within a day of time() / 86400.
    const auto today = hotref::parse_datetime(hotref::utc_today(), "%Y-%m-%d");
    REQUIRE(today);
    const long long days = static_cast<long long>(std::time(nullptr)) / 86400;
    CHECK(today->days_since_epoch() >= days - 1);
    CHECK(today->days_since_epoch() <= days);
}
