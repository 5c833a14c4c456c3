// Request parsing, apart from the network (server/query.hpp).

#include "server/query.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace hotref::server;

namespace {

int status_of(auto&& fn) {
    try {
        fn();
    } catch (const HttpError& e) {
        return e.status();
    }
    return 0;
}

} // namespace

TEST_CASE("targets: path segments, decoded query parameters, and what is refused") {
    const auto t = parse_target("/collections/hot%20spots/items?limit=10&bbox=-1.5%2C52.9,-1.4,53.0&datetime=2025-01-01%2F..");
    CHECK(t.path == "/collections/hot spots/items");
    REQUIRE(t.segments.size() == 3);
    CHECK(t.segments[1] == "hot spots");
    CHECK(t.params.at("limit") == "10");
    CHECK(t.params.at("bbox") == "-1.5,52.9,-1.4,53.0");
    CHECK(t.params.at("datetime") == "2025-01-01/..");
    CHECK(parse_target("/").segments.empty());
    CHECK(parse_target("/a//b/").segments == std::vector<std::string>{"a", "b"});
    CHECK(parse_target("/x?q=a+b").params.at("q") == "a b");

    CHECK(status_of([] { parse_target("collections"); }) == 400);       // not absolute
    CHECK(status_of([] { parse_target("/x%zz"); }) == 400);             // bad escape
    CHECK(status_of([] { parse_target("/x%4"); }) == 400);              // truncated escape
    CHECK(status_of([] { parse_target("/a/%2e%2e/b"); }) == 400);       // dot-dot
    CHECK(status_of([] { parse_target("/x?a=1&a=2"); }) == 400);        // repeated parameter
    CHECK(status_of([] { parse_target("/x?a=%0a"); }) == 400);          // control character
    CHECK(status_of([] { parse_target("/" + std::string(5000, 'a')); }) == 414);
}

TEST_CASE("percent-encoding round-trips through decoding") {
    const std::string text = "Thorntree Lane, Derby & 100% /?=";
    CHECK(percent_decode(percent_encode(text), true) == text);
    CHECK(percent_encode("a-b_c.d~e") == "a-b_c.d~e");
}

TEST_CASE("bbox: four (or six) WGS84 numbers, validated") {
    const auto b = parse_bbox("-1.6,52.8,-1.3,53.1");
    CHECK(b.min_x == doctest::Approx(-1.6));
    CHECK(b.max_y == doctest::Approx(53.1));
    const auto b6 = parse_bbox("-1.6,52.8,0,-1.3,53.1,100");
    CHECK(b6.max_x == doctest::Approx(-1.3));
    CHECK(b6.max_y == doctest::Approx(53.1));
    CHECK(b.intersects(BBox{-1.35, 53.0, -1.0, 54.0}));
    CHECK_FALSE(b.intersects(BBox{-1.2, 53.0, -1.0, 54.0}));
    CHECK(status_of([] { parse_bbox("1,2,3"); }) == 400);
    CHECK(status_of([] { parse_bbox("a,2,3,4"); }) == 400);
    CHECK(status_of([] { parse_bbox("1,2,3,nan"); }) == 400);
    CHECK(status_of([] { parse_bbox("-1,53,-2,54"); }) == 400);        // min lon > max lon
    CHECK(status_of([] { parse_bbox("-1,54,-2,53"); }) == 400);
    CHECK(status_of([] { parse_bbox("400000,300000,450000,350000"); }) == 400); // BNG metres, not lon/lat
}

TEST_CASE("datetime: instants, days and open or closed intervals (RFC 3339)") {
    // 2025-03-14 is day 20161 since 1970-01-01 (20161 * 86400 = 1741910400).
    const auto day = parse_datetime_param("2025-03-14");
    CHECK(day.start == doctest::Approx(1741910400.0));
    CHECK(day.end == doctest::Approx(1741910400.0 + 86399.999));
    const auto instant = parse_datetime_param("2025-03-14T10:30:00Z");
    CHECK(instant.start == doctest::Approx(1741910400.0 + 37800));
    CHECK(instant.end == instant.start);
    const auto offset = parse_datetime_param("2025-03-14T11:30:00+01:00");
    CHECK(offset.start == doctest::Approx(instant.start));
    const auto open = parse_datetime_param("2025-07-01/..");
    CHECK(open.start == doctest::Approx(1751328000.0));
    CHECK(open.end > 1e299);
    const auto until = parse_datetime_param("../2025-06-30");
    CHECK(until.start < -1e299);
    CHECK(status_of([] { parse_datetime_param("../.."); }) == 400);
    CHECK(status_of([] { parse_datetime_param("2025-13-01"); }) == 400);
    CHECK(status_of([] { parse_datetime_param("2025-02-30"); }) == 400);
    CHECK(status_of([] { parse_datetime_param("2025-06-01/2025-01-01"); }) == 400);
    CHECK(status_of([] { parse_datetime_param("yesterday"); }) == 400);
    // Whole months as police.uk gives them.
    const auto months = month_interval("2025-01", "2025-12");
    REQUIRE(months);
    CHECK(iso_utc(months->start) == "2025-01-01T00:00:00Z");
    CHECK(iso_utc(months->end) == "2025-12-31T23:59:59Z");
    CHECK(months->intersects(parse_datetime_param("2025-06-15")));
    CHECK_FALSE(months->intersects(parse_datetime_param("2026-01-01/..")));
}

TEST_CASE("counts: integers in range, nothing else") {
    CHECK(parse_count("10", "limit", 1, 1000) == 10);
    CHECK(status_of([] { parse_count("0", "limit", 1, 1000); }) == 400);
    CHECK(status_of([] { parse_count("-1", "limit", 1, 1000); }) == 400);
    CHECK(status_of([] { parse_count("1e3", "limit", 1, 1000); }) == 400);
    CHECK(status_of([] { parse_count("", "limit", 1, 1000); }) == 400);
    CHECK(status_of([] { parse_count("99999999999999999999", "limit", 1, 1000); }) == 400);
}

TEST_CASE("query values: absurd numbers and dates are 400 naming the parameter, never accepted or a crash") {
    const auto message_of = [](auto&& fn) -> std::string {
        try {
            fn();
        } catch (const HttpError& e) {
            return e.status() == 400 ? e.what() : "status " + std::to_string(e.status());
        }
        return "accepted";
    };
    const std::string two63 = "9223372036854775808";
    const std::string overlong(5000, '7');
    for (const std::string& v : std::vector<std::string>{"nan,nan,nan,nan", "-inf,50,inf,54", "1e308,1,2,3", "-1e999,50,0,54", "0x10,50,1,54",
                                 two63 + ",50,0,54", "", ",,,", "1,2,3", "1,2,3,4,5", overlong, overlong + ",1,2,3",
                                 "1,2,3,4," + overlong}) {
        CAPTURE(v.substr(0, 40));
        const auto m = message_of([&] { parse_bbox(v); });
        CHECK(m.rfind("bbox", 0) == 0);
        CHECK(m.size() < 300);
    }
    for (const std::string& v : std::vector<std::string>{two63, "-1", "", "nan", "1e308", "+5", " 5", "5 ", "18446744073709551617", overlong}) {
        CAPTURE(v.substr(0, 40));
        const auto m = message_of([&] { parse_count(v, "offset", 0, 1'000'000'000); });
        CHECK(m.rfind("offset", 0) == 0);
        CHECK(m.size() < 300);
    }
    for (const std::string& v : std::vector<std::string>{"", "nan", "1e308", "-1", "..", "/", "../..", "2025-01-01T00:00:00.5e308Z", "2025-01-01T00:00:00.Z",
          "2025-01-01T00:00:00.-5Z", "2025-01-01T00:00:00+ab:cd", "2025-01-01T00:00:00+99:00",
          "2025-01-01T00:00:00+05:77", "9999999999-01-01T00:00:00Z", "2025-02-30", "2025-13-01", "2025-06-01/2025-01-01",
          overlong, "2025-01-01/" + overlong}) {
        CAPTURE(v.substr(0, 40));
        const auto m = message_of([&] { parse_datetime_param(v); });
        CHECK(m.rfind("datetime", 0) == 0);
        CHECK(m.size() < 400);
    }
    // Fractions of a second and offsets still work.
    CHECK(parse_datetime_param("2025-01-01T00:00:00.250Z").start == doctest::Approx(1735689600.25));
    CHECK(parse_datetime_param("2025-01-01T01:00:00+01:00").start == doctest::Approx(1735689600));
}
