#include "hotspot/dbscan.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

using namespace hotref::hotspot;

namespace {

// The textbook algorithm, O(n^2), written independently of hotref's: for checking.
struct Naive {
    std::vector<char> core;
    std::vector<std::set<std::size_t>> clusters; // core points of each cluster
};
Naive naive_dbscan(const std::vector<WeightedPoint>& p, double eps, double min_pts) {
    const auto n = p.size();
    auto near = [&](std::size_t i, std::size_t j) {
        return std::hypot(p[i].x - p[j].x, p[i].y - p[j].y) <= eps;
    };
    Naive out;
    out.core.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        double w = 0;
        for (std::size_t j = 0; j < n; ++j) {
            if (near(i, j)) {
                w += p[j].weight;
            }
        }
        out.core[i] = w >= min_pts;
    }
    std::vector<char> seen(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        if (!out.core[i] || seen[i]) {
            continue;
        }
        std::set<std::size_t> cluster;
        std::vector<std::size_t> stack{i};
        seen[i] = 1;
        while (!stack.empty()) {
            const auto k = stack.back();
            stack.pop_back();
            cluster.insert(k);
            for (std::size_t j = 0; j < n; ++j) {
                if (out.core[j] && !seen[j] && near(k, j)) {
                    seen[j] = 1;
                    stack.push_back(j);
                }
            }
        }
        out.clusters.push_back(cluster);
    }
    return out;
}

} // namespace

TEST_CASE("dbscan: two groups and a noise point drawn by hand") {
    //  a a a . . . . b b b
    //  a . . . . . . b . .            x (alone)
    const std::vector<WeightedPoint> pts{{0, 1, 1}, {1, 1, 1}, {2, 1, 1}, {0, 0, 1}, {7, 1, 1},
                                         {8, 1, 1}, {9, 1, 1}, {7, 0, 1}, {20, 0, 1}};
    const auto r = dbscan(pts, 1.0, 3);
    CHECK(r.clusters == 2);
    CHECK(r.label == std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1, -1});
    // Core: points with at least 3 points (itself included) within 1.
    CHECK(r.core == std::vector<char>{1, 1, 0, 0, 1, 1, 0, 0, 0});
}

TEST_CASE("dbscan: minPts counts the point itself and co-located incidents") {
    // One snap point with 5 incidents is a cluster by itself at minPts 5, noise at 6.
    const std::vector<WeightedPoint> pts{{0, 0, 5}, {50, 0, 1}};
    CHECK(dbscan(pts, 10, 5).label == std::vector<int>{0, -1});
    CHECK(dbscan(pts, 10, 6).label == std::vector<int>{-1, -1});
    // 4 incidents there plus 1 within eps makes 5.
    const std::vector<WeightedPoint> near{{0, 0, 4}, {5, 0, 1}};
    CHECK(dbscan(near, 10, 5).core == std::vector<char>{1, 1});
}

TEST_CASE("dbscan: a border point joins its nearest core point's cluster, whatever the input order") {
    // Cluster A: x = -3..0, cluster B: x = 9.6..12.6 (each point core at eps 5, minPts 4); the
    // border point P lies within eps of a core point of each.
    auto with_p = [](double px) {
        return std::vector<WeightedPoint>{{-3, 0, 1}, {-2, 0, 1},  {-1, 0, 1},  {0, 0, 1}, {9.6, 0, 1},
                                          {10.6, 0, 1}, {11.6, 0, 1}, {12.6, 0, 1}, {px, 0, 1}};
    };
    const auto nearer_a = dbscan(with_p(4.6), 5, 4);
    REQUIRE(nearer_a.clusters == 2);
    CHECK(nearer_a.core[8] == 0);
    CHECK(nearer_a.label[8] == nearer_a.label[0]);
    const auto nearer_b = dbscan(with_p(5.0), 5, 4);
    CHECK(nearer_b.core[8] == 0);
    CHECK(nearer_b.label[8] == nearer_b.label[4]);
    // Equidistant (4.8 from both): the lower cluster number, A's.
    const auto tie = dbscan(with_p(4.8), 5, 4);
    CHECK(tie.label[8] == 0);
    // The input order does not change the assignment.
    auto reversed = with_p(5.0);
    std::reverse(reversed.begin(), reversed.end());
    const auto r = dbscan(reversed, 5, 4);
    CHECK(r.label[0] == r.label[8 - 4]); // P joins the cluster of the point at 9.6
}

TEST_CASE("dbscan: agrees with a naive implementation on 2,000 clustered points") {
    std::uint64_t state = 12345;
    auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
    };
    std::vector<WeightedPoint> pts;
    for (int c = 0; c < 8; ++c) {
        const double cx = next() * 1000;
        const double cy = next() * 1000;
        for (int i = 0; i < 200; ++i) {
            pts.push_back({cx + (next() - 0.5) * 60, cy + (next() - 0.5) * 60, std::floor(next() * 3) + 1});
        }
    }
    for (int i = 0; i < 400; ++i) {
        pts.push_back({next() * 1000, next() * 1000, 1});
    }
    const auto r = dbscan(pts, 12, 8);
    const auto ref = naive_dbscan(pts, 12, 8);
    CHECK(r.core == ref.core);
    REQUIRE(r.clusters == static_cast<int>(ref.clusters.size()));
    // Same partition of the core points.
    std::map<int, std::set<std::size_t>> ours;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        if (r.core[i]) {
            ours[r.label[i]].insert(i);
        }
    }
    std::set<std::set<std::size_t>> a;
    std::set<std::set<std::size_t>> b(ref.clusters.begin(), ref.clusters.end());
    for (const auto& [label, members] : ours) {
        a.insert(members);
    }
    CHECK(a == b);
    // Every non-core point is noise exactly when no core point is within eps.
    for (std::size_t i = 0; i < pts.size(); ++i) {
        if (r.core[i]) {
            continue;
        }
        bool near_core = false;
        for (std::size_t j = 0; j < pts.size(); ++j) {
            near_core = near_core || (r.core[j] && std::hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y) <= 12);
        }
        REQUIRE((r.label[i] >= 0) == near_core);
    }
}
