#include "hotspot/trend.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace hotref::hotspot;

TEST_CASE("mann-kendall: hand-worked series") {
    // 1..5: all 10 pairs increase: S = 10, Var = 5*4*15/18 = 16.667, Z = (10-1)/sqrt(16.667) = 2.2045.
    const auto a = mann_kendall({1, 2, 3, 4, 5});
    CHECK(a.s == 10);
    CHECK(a.variance == doctest::Approx(50.0 / 3));
    CHECK(a.z == doctest::Approx(2.2045407685));
    CHECK(a.p == doctest::Approx(0.0274863361));
    CHECK(a.tau == doctest::Approx(1.0));
    // With ties: three pairs of equal values each remove 2*1*9 from n(n-1)(2n+5) = 1176.
    const auto b = mann_kendall({5, 3, 3, 1, 2, 0, 0, 1});
    CHECK(b.s == -19);
    CHECK(b.variance == doctest::Approx((1176.0 - 54) / 18));
    CHECK(b.z == doctest::Approx(-18 / std::sqrt((1176.0 - 54) / 18)));
    // No trend.
    const auto c = mann_kendall({3, 3, 3, 3});
    CHECK(c.s == 0);
    CHECK(c.p == doctest::Approx(1.0));
}

namespace {
// Builds a z/p series from a pattern: 'H' significant hot (z 3), 'C' significant cold (z -3),
// 'h' hot but not significant, '.' nothing; z values can be overridden for trends.
CellSeries pattern(const std::string& s, std::vector<double> z = {}) {
    CellSeries out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const double zi = !z.empty() ? z[i] : c == 'H' ? 3.0 : c == 'C' ? -3.0 : c == 'h' ? 1.0 : 0.0;
        out.z.push_back(zi);
        out.p.push_back(c == 'H' || c == 'C' ? 0.001 : 0.5);
    }
    return out;
}
} // namespace

TEST_CASE("emerging hot spots: each category on a constructed series") {
    CHECK(emerging_category(pattern("...........H")) == "new hot spot");
    CHECK(emerging_category(pattern("........HHHH")) == "consecutive hot spot");
    CHECK(emerging_category(pattern("HHHHHHHHHHHH")) == "persistent hot spot");
    // Hot throughout, z rising steadily: intensifying; falling: diminishing.
    std::vector<double> rising;
    std::vector<double> falling;
    for (int i = 0; i < 12; ++i) {
        rising.push_back(2.5 + 0.3 * i);
        falling.push_back(6.0 - 0.3 * i);
    }
    CHECK(emerging_category(pattern("HHHHHHHHHHHH", rising)) == "intensifying hot spot");
    CHECK(emerging_category(pattern("HHHHHHHHHHHH", falling)) == "diminishing hot spot");
    CHECK(emerging_category(pattern("..H..H...H.H")) == "sporadic hot spot");
    CHECK(emerging_category(pattern("..C..H...H.H")) == "oscillating hot spot");
    // 11 of 12 hot (>= 90 %) but not the last: historical.
    CHECK(emerging_category(pattern("HHHHHHHHHHH.")) == "historical hot spot");
    CHECK(emerging_category(pattern("...........C")) == "new cold spot");
    CHECK(emerging_category(pattern("CCCCCCCCCCCC")) == "persistent cold spot");
    CHECK(emerging_category(pattern("hhhhhhhhhhhh")) == "no pattern detected");
    // A run at the end preceded by an earlier hot step is not "consecutive".
    CHECK(emerging_category(pattern("H......HHHHH")) == "sporadic hot spot");
}

TEST_CASE("sfhotspot-style classes over periods") {
    auto flags = [](const std::string& s, char c) {
        std::vector<bool> v;
        for (const char x : s) {
            v.push_back(x == c);
        }
        return v;
    };
    auto classify = [&](const std::string& s) { return classify_category(flags(s, 'H'), flags(s, 'C')); };
    CHECK(classify("HHHHHHHHHH") == "persistent hotspot");   // 100 % >= 80 %
    CHECK(classify("HHHHHHHH..") == "persistent hotspot");   // 80 %
    CHECK(classify("........HH") == "emerging hotspot");     // only in the last 20 %
    CHECK(classify("HHH.......") == "former hotspot");       // never in the last 20 %
    CHECK(classify("H.H.H...H.") == "intermittent hotspot");
    CHECK(classify("CCCCCCCCCC") == "persistent coldspot");
    CHECK(classify("..........") == "no pattern");
}
