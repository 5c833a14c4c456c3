#include "hotspot/patrol.hpp"

#include "core/error.hpp"
#include "core/month.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace hotref::hotspot {

namespace {

using Key = std::uint64_t;

Key key_of(std::int64_t col, std::int64_t row) noexcept {
    return (static_cast<Key>(static_cast<std::uint32_t>(col + 0x40000000)) << 32) |
           static_cast<Key>(static_cast<std::uint32_t>(row + 0x40000000));
}
std::int64_t col_of(Key k) noexcept { return static_cast<std::int64_t>(k >> 32) - 0x40000000; }
std::int64_t row_of(Key k) noexcept { return static_cast<std::int64_t>(k & 0xffffffffu) - 0x40000000; }

struct Cell {
    double value = 0;    // expected incidents in the cell
    double nearby = 0;   // expected incidents within the bridge distance of the cell's centre
    std::vector<std::size_t> points;
};

// Larger first; ties by row, then column (south-west first), so results do not depend on hashing.
struct Better {
    bool operator()(const std::tuple<double, Key>& a, const std::tuple<double, Key>& b) const noexcept {
        if (std::get<0>(a) != std::get<0>(b)) {
            return std::get<0>(a) < std::get<0>(b);
        }
        const Key ka = std::get<1>(a), kb = std::get<1>(b);
        return std::make_pair(row_of(ka), col_of(ka)) > std::make_pair(row_of(kb), col_of(kb));
    }
};

class Grower {
public:
    Grower(const std::unordered_map<Key, Cell>& cells, const std::unordered_set<Key>& taken, double cell,
           double reach, std::size_t max_cells)
        : m_cells(cells), m_taken(taken), m_cell(cell), m_reach(reach), m_max_cells(max_cells) {}

    // The region grown from `seed` and its expected incidents.
    std::pair<std::vector<Key>, double> grow(Key seed) const {
        std::unordered_set<Key> region;
        std::unordered_set<Key> banned;
        std::vector<Key> order;
        double value = 0;
        // Grow, trim empty dead ends, and grow again into what the trimming freed (at most three rounds).
        for (int round = 0; round < 3; ++round) {
            std::priority_queue<std::tuple<double, Key>, std::vector<std::tuple<double, Key>>, Better> frontier;
            std::unordered_set<Key> queued;
            auto offer = [&](Key k) {
                if (region.count(k) != 0 || banned.count(k) != 0 || m_taken.count(k) != 0 || !queued.insert(k).second) {
                    return;
                }
                const auto it = m_cells.find(k);
                if (it == m_cells.end() || !(it->second.nearby > 0)) {
                    return; // nothing within the bridge distance: the region does not cross open ground
                }
                const double dx = static_cast<double>(col_of(k) - col_of(seed)) * m_cell;
                const double dy = static_cast<double>(row_of(k) - row_of(seed)) * m_cell;
                if (dx * dx + dy * dy > m_reach * m_reach) {
                    return;
                }
                // The cell's own incidents first; among equals, the busier surroundings.
                frontier.emplace(it->second.value + 1e-3 * it->second.nearby, k);
            };
            auto neighbours = [&](Key k) {
                const auto c = col_of(k), r = row_of(k);
                offer(key_of(c + 1, r));
                offer(key_of(c - 1, r));
                offer(key_of(c, r + 1));
                offer(key_of(c, r - 1));
            };
            if (region.empty()) {
                region.insert(seed);
                order.push_back(seed);
                value += m_cells.at(seed).value;
            }
            for (const auto k : order) {
                neighbours(k);
            }
            while (region.size() < m_max_cells && !frontier.empty()) {
                const Key k = std::get<1>(frontier.top());
                frontier.pop();
                region.insert(k);
                order.push_back(k);
                value += m_cells.at(k).value;
                neighbours(k);
            }
            // Trim empty cells that lead nowhere: no incidents and at most one neighbour in the region.
            bool trimmed = false;
            for (bool again = true; again;) {
                again = false;
                for (auto it = order.begin(); it != order.end();) {
                    const Key k = *it;
                    if (k == seed || m_cells.at(k).value > 0) {
                        ++it;
                        continue;
                    }
                    const auto c = col_of(k), r = row_of(k);
                    const int n = static_cast<int>(region.count(key_of(c + 1, r)) + region.count(key_of(c - 1, r)) +
                                                   region.count(key_of(c, r + 1)) + region.count(key_of(c, r - 1)));
                    if (n <= 1) {
                        region.erase(k);
                        banned.insert(k);
                        it = order.erase(it);
                        again = trimmed = true;
                    } else {
                        ++it;
                    }
                }
            }
            if (!trimmed || region.size() >= m_max_cells) {
                break;
            }
        }
        return {std::move(order), value};
    }

private:
    const std::unordered_map<Key, Cell>& m_cells;
    const std::unordered_set<Key>& m_taken;
    double m_cell;
    double m_reach;
    std::size_t m_max_cells;
};

} // namespace

double patrol_max_diameter(const PatrolOptions& o) {
    return o.max_diameter_m > 0 ? o.max_diameter_m : 1.6 * std::sqrt(o.max_area_m2);
}

std::vector<double> recency_weights(const std::vector<std::string>& months, double half_life_months) {
    if (!(half_life_months > 0)) {
        throw UsageError("the recency half-life must be above 0 months");
    }
    std::vector<double> w;
    if (months.empty()) {
        return w;
    }
    const auto last = Month::parse(months.back());
    if (!last) {
        throw Error("bad month '" + months.back() + "'");
    }
    for (const auto& m : months) {
        const auto mm = Month::parse(m);
        if (!mm) {
            throw Error("bad month '" + m + "'");
        }
        const int age = last->index() - mm->index();
        w.push_back(std::exp2(-static_cast<double>(age) / half_life_months));
    }
    return w;
}

PatrolResult patrol_hotspots(const std::vector<WeightedPoint>& points, const PatrolOptions& o) {
    if (o.count < 1) {
        throw UsageError("--count must be at least 1");
    }
    if (!(o.cell_size > 0) || !(o.max_area_m2 > 0)) {
        throw UsageError("the patrol cell size and --max-area must be above 0");
    }
    if (o.cell_size * o.cell_size > o.max_area_m2) {
        throw UsageError("--max-area is smaller than one fine cell (" + std::to_string(o.cell_size) +
                         " m square): give at least " + std::to_string(o.cell_size * o.cell_size / 1e6) + " km2");
    }
    PatrolResult out;
    out.max_diameter = patrol_max_diameter(o);
    if (out.max_diameter < o.cell_size * std::sqrt(2.0)) {
        throw UsageError("--max-diameter is smaller than the diagonal of one fine cell (" +
                         std::to_string(o.cell_size * std::sqrt(2.0)) + " m)");
    }
    const double cs = o.cell_size;
    std::unordered_map<Key, Cell> cells;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        if (!(p.weight > 0) || !std::isfinite(p.x) || !std::isfinite(p.y)) {
            continue;
        }
        const auto c = static_cast<std::int64_t>(std::floor(p.x / cs));
        const auto r = static_cast<std::int64_t>(std::floor(p.y / cs));
        auto& cell = cells[key_of(c, r)];
        cell.value += p.weight;
        cell.points.push_back(i);
        out.total += p.weight;
    }
    // Expected incidents within the bridge distance of each cell (centre to centre).
    {
        const auto reach = static_cast<std::int64_t>(std::floor(o.bridge / cs));
        std::vector<std::pair<Key, double>> occupied;
        occupied.reserve(cells.size());
        for (const auto& [k, c] : cells) {
            occupied.emplace_back(k, c.value);
        }
        for (const auto& [k, v] : occupied) {
            for (std::int64_t dr = -reach; dr <= reach; ++dr) {
                for (std::int64_t dc = -reach; dc <= reach; ++dc) {
                    if (static_cast<double>(dr * dr + dc * dc) * cs * cs > o.bridge * o.bridge + 1e-9) {
                        continue;
                    }
                    cells[key_of(col_of(k) + dc, row_of(k) + dr)].nearby += v;
                }
            }
        }
    }
    // Seeds: the busiest cells (by their surroundings), at most max_seeds of them.
    std::vector<std::tuple<double, Key>> seeds;
    for (const auto& [k, c] : cells) {
        if (c.value > 0) {
            seeds.emplace_back(c.nearby + c.value, k);
        }
    }
    std::sort(seeds.begin(), seeds.end(), [](const auto& a, const auto& b) { return Better{}(b, a); });
    const std::size_t max_seeds = o.max_seeds > 0 ? o.max_seeds : 4000 + 200 * static_cast<std::size_t>(o.count);
    if (seeds.size() > max_seeds) {
        seeds.resize(max_seeds);
    }
    out.seeds_tried = seeds.size();

    const auto max_cells = static_cast<std::size_t>(std::floor(o.max_area_m2 / (cs * cs) + 1e-9));
    // Every cell centre within reach of the seed centre keeps the cell's corners within D/2 of it.
    const double reach = out.max_diameter / 2 - cs * std::sqrt(2.0) / 2;
    std::unordered_set<Key> taken;
    const Grower grower{cells, taken, cs, std::max(reach, 0.0), max_cells};

    // Lazy greedy: an entry computed before later picks is recomputed when one of them lies within reach.
    struct Entry {
        double value;
        Key seed;
        std::size_t version;
    };
    auto worse = [](const Entry& a, const Entry& b) { return Better{}({a.value, a.seed}, {b.value, b.seed}); };
    std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
    for (const auto& s : seeds) {
        heap.push(Entry{grower.grow(std::get<1>(s)).second, std::get<1>(s), 0});
    }
    std::vector<Key> picked_seeds;
    while (static_cast<int>(out.hotspots.size()) < o.count && !heap.empty()) {
        const Entry e = heap.top();
        heap.pop();
        if (taken.count(e.seed) != 0) {
            continue;
        }
        bool stale = false;
        for (std::size_t j = e.version; j < picked_seeds.size() && !stale; ++j) {
            const double dx = static_cast<double>(col_of(picked_seeds[j]) - col_of(e.seed)) * cs;
            const double dy = static_cast<double>(row_of(picked_seeds[j]) - row_of(e.seed)) * cs;
            stale = std::sqrt(dx * dx + dy * dy) <= out.max_diameter + cs;
        }
        if (stale) {
            heap.push(Entry{grower.grow(e.seed).second, e.seed, picked_seeds.size()});
            continue;
        }
        auto [region, value] = grower.grow(e.seed);
        if (!(value > 0)) {
            break;
        }
        PatrolHotspot h;
        h.expected = value;
        h.seed = PatrolCell{col_of(e.seed), row_of(e.seed)};
        h.seed_x = (static_cast<double>(h.seed.col) + 0.5) * cs;
        h.seed_y = (static_cast<double>(h.seed.row) + 0.5) * cs;
        for (const auto k : region) {
            taken.insert(k);
            h.cells.push_back(PatrolCell{col_of(k), row_of(k)});
            const auto& pts = cells.at(k).points;
            h.points.insert(h.points.end(), pts.begin(), pts.end());
        }
        std::sort(h.cells.begin(), h.cells.end(),
                  [](const PatrolCell& a, const PatrolCell& b) { return std::tie(a.row, a.col) < std::tie(b.row, b.col); });
        std::sort(h.points.begin(), h.points.end());
        out.hotspots.push_back(std::move(h));
        picked_seeds.push_back(e.seed);
    }
    return out;
}

} // namespace hotref::hotspot
