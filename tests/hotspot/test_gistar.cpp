#include "hotspot/gistar.hpp"
#include "hotspot/grid.hpp"
#include "hotspot/grid_gistar.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace hotref::hotspot;

namespace {
// pysal/esda's test suite (test_getisord.py): six points, binary distance band 15.
const std::vector<double> esda_x{10, 20, 40, 15, 30, 30};
const std::vector<double> esda_y{10, 10, 10, 20, 20, 30};
const std::vector<double> esda_values{2, 3, 3.2, 5, 8, 7};
} // namespace

TEST_CASE("gistar: Gi* z matches esda's published values") {
    const auto w = distance_band(esda_x, esda_y, 15, true);
    const auto z = local_g(esda_values, w, true);
    const std::vector<double> expected{-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331};
    REQUIRE(z.size() == expected.size());
    for (std::size_t i = 0; i < z.size(); ++i) {
        CAPTURE(i);
        CHECK(z[i] == doctest::Approx(expected[i]).epsilon(1e-8));
    }
}

TEST_CASE("gistar: Gi (without self) z matches esda's published values") {
    const auto w = distance_band(esda_x, esda_y, 15, false);
    const auto z = local_g(esda_values, w, false);
    const std::vector<double> expected{-1.0136729, -0.04361589, 1.31558703, -0.31412676, 1.15373986, 1.77833941};
    for (std::size_t i = 0; i < z.size(); ++i) {
        CAPTURE(i);
        CHECK(z[i] == doctest::Approx(expected[i]).epsilon(1e-7));
    }
}

TEST_CASE("gistar: two-sided p-values of the normal distribution") {
    const auto p = two_sided_p({0.0, 1.959963985, -2.575829304, 3.290526731});
    CHECK(p[0] == doctest::Approx(1.0));
    CHECK(p[1] == doctest::Approx(0.05).epsilon(1e-8));
    CHECK(p[2] == doctest::Approx(0.01).epsilon(1e-8));
    CHECK(p[3] == doctest::Approx(0.001).epsilon(1e-7));
}

TEST_CASE("gistar: Benjamini-Hochberg against a hand-worked example (R p.adjust 'BH')") {
    // sorted p: 0.005 0.01 0.03 0.04 0.20 -> p*5/k: 0.025 0.025 0.05 0.05 0.20, then the running minimum from the top.
    const auto q = benjamini_hochberg({0.01, 0.04, 0.03, 0.005, 0.20});
    const std::vector<double> expected{0.025, 0.05, 0.05, 0.025, 0.20};
    for (std::size_t i = 0; i < q.size(); ++i) {
        CAPTURE(i);
        CHECK(q[i] == doctest::Approx(expected[i]));
    }
    // Monotone step: a later smaller adjusted value pulls earlier ones down.
    const auto q2 = benjamini_hochberg({0.04, 0.041});
    CHECK(q2[0] == doctest::Approx(0.041));
    CHECK(q2[1] == doctest::Approx(0.041));
    // NaN (undefined z) is not a test.
    const auto q3 = benjamini_hochberg({0.01, std::nan(""), 0.02});
    CHECK(q3[0] == doctest::Approx(0.02));
    CHECK(std::isnan(q3[1]));
    CHECK(q3[2] == doctest::Approx(0.02));
}

TEST_CASE("gistar: ArcGIS-style confidence bins judged on the adjusted p") {
    CHECK(confidence_bin(3.1, 0.002) == 3);
    CHECK(confidence_bin(2.2, 0.03) == 2);
    CHECK(confidence_bin(1.7, 0.09) == 1);
    CHECK(confidence_bin(1.7, 0.11) == 0);
    CHECK(confidence_bin(-2.8, 0.005) == -3);
    CHECK(confidence_bin(std::nan(""), 0.0) == 0);
}

TEST_CASE("grid: sfhotspot's default cell size") {
    CHECK(default_cell_size(Bounds{0, 0, 55000, 87000}) == 1100);   // 55,000 / 50 = 1,100
    CHECK(default_cell_size(Bounds{0, 0, 57830, 93800}) == 1100);   // 1,156.6 floored to 100 m
    CHECK(default_cell_size(Bounds{0, 0, 4000, 10000}) == 80);      // 80 m: floors to 0, kept unrounded
}

TEST_CASE("grid: origin snapped to the cell size, points binned with weights") {
    const Grid g{Bounds{1050, 2010, 1390, 2290}, 100};
    CHECK(g.origin_x() == 1000);
    CHECK(g.origin_y() == 2000);
    CHECK(g.columns() == 4);
    CHECK(g.rows() == 3);
    const auto c = g.counts({{1050, 2010, 2}, {1099.9, 2099.9, 1}, {1390, 2290, 5}, {5000, 5000, 7}});
    CHECK(c[0] == 3);
    CHECK(c[static_cast<std::size_t>(g.index_of(1390, 2290))] == 5);
    CHECK(g.index_of(5000, 5000) == -1);
}

TEST_CASE("grid: a grid too large to be meant says what to do") {
    CHECK_THROWS_WITH(Grid(Bounds{0, 0, 700000, 1000000}, 50), doctest::Contains("a stray point far away"));
}

TEST_CASE("grid gistar: z on a 4 x 3 grid matches an independent computation") {
    // Counts by row from the south; cell 100 m, band 100 x sqrt(2): the 8 surrounding cells and itself.
    const std::vector<double> counts{0, 1, 0, 2, 3, 9, 4, 0, 1, 5, 2, 0};
    const Grid g{Bounds{0, 0, 399, 299}, 100};
    REQUIRE(g.size() == 12);
    const std::vector<char> all(12, 1);
    const auto r = gistar_grid(g, all, counts, 100 * std::sqrt(2.0));
    // Computed separately (Python, the textbook Gi* formula over the 12 cells).
    const std::vector<double> expected{0.9068792128, 0.7481371812, 0.5343837009, -0.6801594096,
                                       1.1756441419, 1.1724009795, 0.6787584618, -1.1756441419,
                                       2.0404782287, 2.2444115437, 1.3893976223, -0.6801594096};
    REQUIRE(r.cells.size() == 12);
    for (std::size_t i = 0; i < 12; ++i) {
        CAPTURE(i);
        CHECK(r.cells[i].z == doctest::Approx(expected[i]).epsilon(1e-9));
    }
    CHECK(r.neighbours_max == 9);
    CHECK(r.mean == doctest::Approx(27.0 / 12));
}

TEST_CASE("grid gistar: cells outside the study area are neither counted nor neighbours") {
    const std::vector<double> counts{0, 1, 0, 2, 3, 9, 4, 0, 1, 5, 2, 0};
    const Grid g{Bounds{0, 0, 399, 299}, 100};
    std::vector<char> area(12, 1);
    area[3] = area[7] = area[11] = 0; // the east column
    const auto r = gistar_grid(g, area, counts, 100 * std::sqrt(2.0));
    CHECK(r.cells.size() == 9);
    CHECK(r.mean == doctest::Approx(25.0 / 9));
}

namespace {
// Draws a grid from text (top line = north); '#' cells are hot (bin 3).
struct Drawn {
    Grid grid;
    GistarResult result;
};
Drawn draw(const std::vector<std::string>& rows) {
    const int ny = static_cast<int>(rows.size());
    const int nx = static_cast<int>(rows[0].size());
    Drawn d{Grid{Bounds{0, 0, nx * 10.0 - 1, ny * 10.0 - 1}, 10}, {}};
    for (int y = 0; y < ny; ++y) {
        for (int x = 0; x < nx; ++x) {
            CellResult c;
            c.cell = static_cast<std::int64_t>(y) * nx + x;
            c.bin = rows[static_cast<std::size_t>(ny - 1 - y)][static_cast<std::size_t>(x)] == '#' ? 3 : 0;
            d.result.cells.push_back(c);
        }
    }
    return d;
}
} // namespace

TEST_CASE("hot components: edge-connected, corners do not join") {
    const auto d = draw({
        "##..",
        "#..#",
        "...#",
        ".#..",
        "#...",
    });
    const auto comps = hot_components(d.grid, d.result, 2);
    REQUIRE(comps.size() == 4);
    std::vector<std::size_t> sizes;
    for (const auto& c : comps) {
        sizes.push_back(c.size());
    }
    std::sort(sizes.begin(), sizes.end());
    CHECK(sizes == std::vector<std::size_t>{1, 1, 2, 3});
    CHECK(hot_components(d.grid, d.result, 4).empty());
}

TEST_CASE("gistar: permutation p-values are seeded, small for a strong hot spot and about uniform without one") {
    // 15 x 15 grid; the centre 3 x 3 block holds 50 each, the rest 0..2 in a fixed pattern.
    const Grid g{Bounds{0, 0, 149, 149}, 10};
    std::vector<double> counts(static_cast<std::size_t>(g.size()));
    for (std::int64_t i = 0; i < g.size(); ++i) {
        const int c = g.column_of(i);
        const int r = g.row_of(i);
        counts[static_cast<std::size_t>(i)] = (c >= 6 && c <= 8 && r >= 6 && r <= 8) ? 50 : (c * 7 + r * 3) % 3;
    }
    std::vector<double> x;
    std::vector<double> y;
    for (std::int64_t i = 0; i < g.size(); ++i) {
        x.push_back(g.center_x(i));
        y.push_back(g.center_y(i));
    }
    const auto w = distance_band(x, y, 10 * std::sqrt(2.0), true);
    const auto a = permutation_p(counts, w, 199, 42);
    const auto b = permutation_p(counts, w, 199, 42, 1); // one thread: the same numbers
    CHECK(a == b);
    const auto centre = static_cast<std::size_t>(g.index_of(75, 75));
    CHECK(a[centre] == doctest::Approx(2.0 / 200)); // no permutation reaches the observed sum
    CHECK(permutation_p(counts, w, 199, 43) != a);  // another seed, other draws
    // Pure noise: the pseudo p-values average about 0.5 or more (two-sided, discrete).
    std::vector<double> noise(counts.size());
    std::uint64_t s = 9;
    for (auto& v : noise) {
        s = s * 6364136223846793005ULL + 1;
        v = static_cast<double>((s >> 33) % 5);
    }
    const auto pn = permutation_p(noise, w, 199, 1);
    double mean = 0;
    for (const double p : pn) {
        mean += p / static_cast<double>(pn.size());
    }
    CHECK(mean > 0.45);
    CHECK(mean < 0.75);
}
