#include "core/error.hpp"
#include "hotspot/kde.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <numeric>

using namespace hotref::hotspot;

TEST_CASE("kde: every scaled kernel integrates to 1") {
    // One incident at the centre of a fine grid: the scaled surface times the cell area sums to 1.
    const Grid grid{Bounds{-120, -120, 119.9, 119.9}, 1.0};
    for (const auto k : {Kernel::quartic, Kernel::epanechnikov, Kernel::triweight, Kernel::uniform,
                         Kernel::triangular}) {
        CAPTURE(kernel_name(k));
        const auto s = kde(grid, {{0.0, 0.0, 1.0}}, 100.0, k);
        const double integral = std::accumulate(s.scaled.begin(), s.scaled.end(), 0.0) * 1.0 * 1.0;
        CHECK(integral == doctest::Approx(1.0).epsilon(2e-3));
    }
}

TEST_CASE("kde: the quartic constant is 3 / (pi h^2) (QGIS once shipped a wrong one)") {
    CHECK(kernel_scale(Kernel::quartic, 100) == doctest::Approx(3.0 / (std::numbers::pi * 1e4)));
    CHECK(kernel_scale(Kernel::epanechnikov, 10) == doctest::Approx(2.0 / (std::numbers::pi * 100)));
    CHECK(kernel_shape(Kernel::quartic, 0.5) == doctest::Approx(0.5625));
    CHECK(kernel_shape(Kernel::triangular, 0.25) == doctest::Approx(0.75));
    CHECK(kernel_shape(Kernel::quartic, 1.0) == 0.0);
}

TEST_CASE("kde: raw values are weights times the shape; weights add like repeated points") {
    const Grid grid{Bounds{0, 0, 99.9, 99.9}, 10.0};
    // A point at a cell centre with weight 3: that cell's raw value is 3.
    const auto s = kde(grid, {{55, 55, 3.0}}, 30, Kernel::quartic);
    CHECK(s.raw[static_cast<std::size_t>(grid.index_of(55, 55))] == doctest::Approx(3.0));
    // 10 m away: 3 * (1 - (10/30)^2)^2.
    CHECK(s.raw[static_cast<std::size_t>(grid.index_of(65, 55))] == doctest::Approx(3.0 * std::pow(1 - 1.0 / 9, 2)));
    const auto repeated = kde(grid, {{55, 55, 1.0}, {55, 55, 1.0}, {55, 55, 1.0}}, 30, Kernel::quartic);
    for (std::size_t i = 0; i < s.raw.size(); ++i) {
        REQUIRE(repeated.raw[i] == doctest::Approx(s.raw[i]));
    }
}

TEST_CASE("kde: rule-of-thumb bandwidth, on both axes, against an independent computation") {
    // x: sd 3.5355, IQR (type 7) 2 -> 4 * 1.06 * 2/1.34 * 5^-0.2 = 4.586665334318551
    // y: sd 2.7386, IQR 3         -> 4 * 1.06 * 2.7386 * 5^-0.2  = 6.879998001477826
    const std::vector<WeightedPoint> pts{{1, 5, 1}, {2, 1, 1}, {3, 4, 1}, {4, 2, 1}, {10, 8, 1}};
    CHECK(rule_of_thumb_bandwidth(pts) == doctest::Approx((4.586665334318551 + 6.879998001477826) / 2));
    // A weight of 2 is the same as the point twice.
    const std::vector<WeightedPoint> weighted{{1, 5, 2}, {2, 1, 1}, {10, 8, 1}};
    const std::vector<WeightedPoint> repeated{{1, 5, 1}, {1, 5, 1}, {2, 1, 1}, {10, 8, 1}};
    CHECK(rule_of_thumb_bandwidth(weighted) == doctest::Approx(rule_of_thumb_bandwidth(repeated)));
}

TEST_CASE("kde: kernels by name") {
    CHECK(kernel_from_name("quartic") == Kernel::quartic);
    CHECK(kernel_from_name("biweight") == Kernel::quartic);
    CHECK_THROWS_WITH_AS(kernel_from_name("gaussian"), doctest::Contains("unknown kernel 'gaussian'"),
                         hotref::UsageError);
}
