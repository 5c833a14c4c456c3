#include "core/error.hpp"
#include "hotspot/patrol.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

using hotref::hotspot::PatrolCell;
using hotref::hotspot::PatrolOptions;
using hotref::hotspot::patrol_hotspots;
using hotref::hotspot::WeightedPoint;

namespace {

// A point in the middle of fine cell (col, row) of 50 m.
WeightedPoint at(int col, int row, double w) {
    return WeightedPoint{col * 50.0 + 25, row * 50.0 + 25, w};
}

std::set<std::pair<std::int64_t, std::int64_t>> cell_set(const std::vector<PatrolCell>& cells) {
    std::set<std::pair<std::int64_t, std::int64_t>> out;
    for (const auto& c : cells) {
        out.emplace(c.col, c.row);
    }
    return out;
}

// A hand-drawn map: four places far apart (more than the bridge distance and the
// diameter), each a known number of incidents in known cells. With a cap of four
// cells the best single hotspot is the top four cells of the long street F.
std::vector<WeightedPoint> hand_drawn() {
    std::vector<WeightedPoint> p;
    // A: a 2 x 2 block of 10 each (40), around cell (100, 100).
    for (int dc = 0; dc < 2; ++dc) {
        for (int dr = 0; dr < 2; ++dr) {
            p.push_back(at(100 + dc, 100 + dr, 10));
        }
    }
    // F: a street of six cells, 12, 12, 12, 12, 3, 3 (54; the best four hold 48).
    const double f[] = {3, 12, 12, 12, 12, 3};
    for (int i = 0; i < 6; ++i) {
        p.push_back(at(200 + i, 100, f[i]));
    }
    // B: two cells of 15 (30), one empty cell apart: the empty cell is bridged.
    p.push_back(at(100, 200, 15));
    p.push_back(at(102, 200, 15));
    // C: one cell of 25.
    p.push_back(at(200, 200, 25));
    // D: scattered small counts (3 cells of 2).
    p.push_back(at(300, 300, 2));
    p.push_back(at(301, 300, 2));
    p.push_back(at(302, 300, 2));
    return p;
}

} // namespace

TEST_CASE("patrol: a hand-drawn map with known optima for K = 1, 2 and 3") {
    PatrolOptions o;
    o.max_area_m2 = 4 * 2500; // four fine cells
    o.max_diameter_m = 1000;
    const auto points = hand_drawn();
    o.count = 1;
    auto r = patrol_hotspots(points, o);
    REQUIRE(r.hotspots.size() == 1);
    CHECK(r.hotspots[0].expected == doctest::Approx(48));
    CHECK(cell_set(r.hotspots[0].cells) ==
          std::set<std::pair<std::int64_t, std::int64_t>>{{201, 100}, {202, 100}, {203, 100}, {204, 100}});
    CHECK(r.total == doctest::Approx(40 + 54 + 30 + 25 + 6));

    o.count = 2;
    r = patrol_hotspots(points, o);
    REQUIRE(r.hotspots.size() == 2);
    CHECK(r.hotspots[0].expected == doctest::Approx(48));
    CHECK(r.hotspots[1].expected == doctest::Approx(40));

    o.count = 3;
    r = patrol_hotspots(points, o);
    REQUIRE(r.hotspots.size() == 3);
    CHECK(r.hotspots[2].expected == doctest::Approx(30)); // B: both cells, the empty one between them bridged
    CHECK(r.hotspots[2].cells.size() == 3);
    CHECK(cell_set(r.hotspots[2].cells).count({101, 200}) == 1);

    // Asking for more than there are places: each place once, then nothing.
    o.count = 10;
    r = patrol_hotspots(points, o);
    double sum = 0;
    for (const auto& h : r.hotspots) {
        sum += h.expected;
    }
    CHECK(r.hotspots.size() == 7); // A, F, B, C, D, and F's two leftover cells (no longer adjacent)
    CHECK(sum == doctest::Approx(r.total));
}

TEST_CASE("patrol: an empty gap wider than the bridge distance is not crossed") {
    PatrolOptions o;
    o.max_area_m2 = 20 * 2500;
    o.count = 1;
    // Two cells 300 m apart (five empty cells between them): the middle one is 150 m from
    // both, beyond the 100 m bridge distance.
    const std::vector<WeightedPoint> p{at(10, 10, 5), at(16, 10, 4)};
    const auto r = patrol_hotspots(p, o);
    REQUIRE(r.hotspots.size() == 1);
    CHECK(r.hotspots[0].expected == doctest::Approx(5));
    CHECK(r.hotspots[0].points == std::vector<std::size_t>{0});
}

TEST_CASE("patrol: on random clustered data every hotspot keeps the cap, the diameter and its own cells") {
    std::mt19937_64 rng{42};
    std::normal_distribution<double> spread{0, 150};
    std::uniform_real_distribution<double> where{400000, 440000};
    std::poisson_distribution<int> count{3};
    std::vector<WeightedPoint> p;
    for (int c = 0; c < 60; ++c) {
        const double cx = where(rng), cy = where(rng);
        for (int i = 0; i < 80; ++i) {
            p.push_back(WeightedPoint{cx + spread(rng), cy + spread(rng), 1.0 + count(rng)});
        }
    }
    for (const double cap_km2 : {0.05, 0.25}) {
        CAPTURE(cap_km2);
        PatrolOptions o;
        o.count = 20;
        o.max_area_m2 = cap_km2 * 1e6;
        const auto r = patrol_hotspots(p, o);
        REQUIRE(r.hotspots.size() == 20);
        std::set<std::pair<std::int64_t, std::int64_t>> all;
        std::set<std::size_t> points_seen;
        double previous = 1e300;
        for (const auto& h : r.hotspots) {
            // The cap.
            CHECK(static_cast<double>(h.cells.size()) * 2500 <= o.max_area_m2 + 1e-9);
            // No overlap: no cell (and so no point) in two hotspots.
            for (const auto& c : h.cells) {
                CHECK(all.insert({c.col, c.row}).second);
            }
            for (const auto i : h.points) {
                CHECK(points_seen.insert(i).second);
            }
            // The diameter: every pair of cell corners within max_diameter.
            double far = 0;
            for (const auto& a : h.cells) {
                for (const auto& b : h.cells) {
                    const double dx = (std::abs(static_cast<double>(a.col - b.col)) + 1) * 50;
                    const double dy = (std::abs(static_cast<double>(a.row - b.row)) + 1) * 50;
                    far = std::max(far, std::hypot(dx, dy));
                }
            }
            CHECK(far <= r.max_diameter + 1e-9);
            // Rook-connected: a flood fill from the first cell reaches every cell.
            const auto cells = cell_set(h.cells);
            std::set<std::pair<std::int64_t, std::int64_t>> seen{*cells.begin()};
            std::vector<std::pair<std::int64_t, std::int64_t>> todo{*cells.begin()};
            while (!todo.empty()) {
                const auto [c, rw] = todo.back();
                todo.pop_back();
                for (const auto& n : {std::pair{c + 1, rw}, std::pair{c - 1, rw}, std::pair{c, rw + 1}, std::pair{c, rw - 1}}) {
                    if (cells.count(n) != 0 && seen.insert(n).second) {
                        todo.push_back(n);
                    }
                }
            }
            CHECK(seen.size() == cells.size());
            // Expected = the weights of the points inside, each inside one of its cells.
            double w = 0;
            for (const auto i : h.points) {
                w += p[i].weight;
                const auto col = static_cast<std::int64_t>(std::floor(p[i].x / 50));
                const auto row = static_cast<std::int64_t>(std::floor(p[i].y / 50));
                CHECK(cells.count({col, row}) == 1);
            }
            CHECK(h.expected == doctest::Approx(w));
            CHECK(h.expected <= previous + 1e-9);
            previous = h.expected;
        }
    }
}

TEST_CASE("patrol: the result does not depend on the order of the input") {
    std::mt19937_64 rng{7};
    std::uniform_real_distribution<double> where{0, 5000};
    std::uniform_int_distribution<int> w{1, 5};
    std::vector<WeightedPoint> p;
    for (int i = 0; i < 3000; ++i) {
        p.push_back(WeightedPoint{where(rng), where(rng), static_cast<double>(w(rng))});
    }
    PatrolOptions o;
    const auto a = patrol_hotspots(p, o);
    std::shuffle(p.begin(), p.end(), rng);
    const auto b = patrol_hotspots(p, o);
    REQUIRE(a.hotspots.size() == b.hotspots.size());
    for (std::size_t i = 0; i < a.hotspots.size(); ++i) {
        CHECK(cell_set(a.hotspots[i].cells) == cell_set(b.hotspots[i].cells));
        CHECK(a.hotspots[i].expected == doctest::Approx(b.hotspots[i].expected));
    }
}

TEST_CASE("patrol: bad options are usage errors") {
    const std::vector<WeightedPoint> p{at(1, 1, 1)};
    PatrolOptions o;
    o.count = 0;
    CHECK_THROWS_AS(patrol_hotspots(p, o), hotref::UsageError);
    o = PatrolOptions{};
    o.max_area_m2 = 100; // smaller than one 50 m cell
    CHECK_THROWS_AS(patrol_hotspots(p, o), hotref::UsageError);
    o = PatrolOptions{};
    o.max_diameter_m = 20;
    CHECK_THROWS_AS(patrol_hotspots(p, o), hotref::UsageError);
}

TEST_CASE("patrol: recency weights halve every half-life and skip months not stored") {
    const auto w = hotref::hotspot::recency_weights({"2025-01", "2025-04", "2025-07"}, 3);
    REQUIRE(w.size() == 3);
    CHECK(w[2] == doctest::Approx(1));
    CHECK(w[1] == doctest::Approx(0.5));
    CHECK(w[0] == doctest::Approx(0.25));
    CHECK_THROWS_AS(hotref::hotspot::recency_weights({"2025-01"}, 0), hotref::UsageError);
}
