#include "hotspot/dbscan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace hotref::hotspot {

namespace {

// Points bucketed in square cells of side eps: a point's neighbours lie in its
// own cell and the 8 around it.
class Buckets {
public:
    Buckets(const std::vector<WeightedPoint>& points, double eps) : m_points(points), m_eps(eps) {
        m_order.resize(points.size());
        std::iota(m_order.begin(), m_order.end(), 0U);
        m_keys.resize(points.size());
        for (std::size_t i = 0; i < points.size(); ++i) {
            m_keys[i] = key(cell(points[i].x), cell(points[i].y));
        }
        std::sort(m_order.begin(), m_order.end(), [this](std::uint32_t a, std::uint32_t b) {
            return m_keys[a] != m_keys[b] ? m_keys[a] < m_keys[b] : a < b;
        });
        for (std::size_t k = 0; k < m_order.size();) {
            std::size_t e = k;
            while (e < m_order.size() && m_keys[m_order[e]] == m_keys[m_order[k]]) {
                ++e;
            }
            m_ranges.emplace(m_keys[m_order[k]], std::pair{k, e});
            k = e;
        }
    }

    /// Calls fn(j, d2) for every point j within eps of point i (i itself included).
    template <typename Fn>
    void for_neighbours(std::size_t i, Fn&& fn) const {
        const auto& p = m_points[i];
        const std::int64_t cx = cell(p.x);
        const std::int64_t cy = cell(p.y);
        const double eps2 = m_eps * m_eps;
        for (std::int64_t dy = -1; dy <= 1; ++dy) {
            for (std::int64_t dx = -1; dx <= 1; ++dx) {
                const auto it = m_ranges.find(key(cx + dx, cy + dy));
                if (it == m_ranges.end()) {
                    continue;
                }
                for (std::size_t k = it->second.first; k < it->second.second; ++k) {
                    const auto j = m_order[k];
                    const double ddx = m_points[j].x - p.x;
                    const double ddy = m_points[j].y - p.y;
                    const double d2 = ddx * ddx + ddy * ddy;
                    if (d2 <= eps2) {
                        fn(static_cast<std::size_t>(j), d2);
                    }
                }
            }
        }
    }

private:
    [[nodiscard]] std::int64_t cell(double v) const { return static_cast<std::int64_t>(std::floor(v / m_eps)); }
    static std::uint64_t key(std::int64_t cx, std::int64_t cy) {
        return (static_cast<std::uint64_t>(cx) << 32) ^ (static_cast<std::uint64_t>(cy) & 0xFFFFFFFFULL);
    }

    const std::vector<WeightedPoint>& m_points;
    double m_eps;
    std::vector<std::uint32_t> m_order;
    std::vector<std::uint64_t> m_keys;
    std::unordered_map<std::uint64_t, std::pair<std::size_t, std::size_t>> m_ranges;
};

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t i) {
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

} // namespace

DbscanResult dbscan(const std::vector<WeightedPoint>& points, double eps, double min_pts) {
    const std::size_t n = points.size();
    DbscanResult out;
    out.label.assign(n, -1);
    out.core.assign(n, 0);
    if (n == 0) {
        return out;
    }
    const Buckets buckets{points, eps};
    // Core points.
    for (std::size_t i = 0; i < n; ++i) {
        double weight = 0;
        buckets.for_neighbours(i, [&](std::size_t j, double) { weight += points[j].weight; });
        out.core[i] = weight >= min_pts ? 1 : 0;
    }
    // Link core points within eps (union-find; the root is the lowest index).
    std::vector<std::size_t> parent(n);
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    for (std::size_t i = 0; i < n; ++i) {
        if (out.core[i] == 0) {
            continue;
        }
        buckets.for_neighbours(i, [&](std::size_t j, double) {
            if (out.core[j] != 0) {
                const auto a = find_root(parent, i);
                const auto b = find_root(parent, j);
                if (a != b) {
                    parent[std::max(a, b)] = std::min(a, b);
                }
            }
        });
    }
    // Number clusters by their lowest point index.
    std::vector<int> cluster_of_root(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
        if (out.core[i] != 0) {
            const auto r = find_root(parent, i);
            if (cluster_of_root[r] < 0) {
                cluster_of_root[r] = out.clusters++;
            }
            out.label[i] = cluster_of_root[r];
        }
    }
    // Border points: the cluster of the nearest core point.
    for (std::size_t i = 0; i < n; ++i) {
        if (out.core[i] != 0) {
            continue;
        }
        double best_d2 = std::numeric_limits<double>::max();
        int best = -1;
        buckets.for_neighbours(i, [&](std::size_t j, double d2) {
            if (out.core[j] == 0) {
                return;
            }
            const int c = out.label[j];
            if (d2 < best_d2 || (d2 == best_d2 && c < best)) {
                best_d2 = d2;
                best = c;
            }
        });
        out.label[i] = best;
    }
    return out;
}

} // namespace hotref::hotspot
