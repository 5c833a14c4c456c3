#include "hotspot/grid_gistar.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace hotref::hotspot {

GistarResult gistar_grid(const Grid& grid, const std::vector<char>& in_area, const std::vector<double>& counts,
                         double band, int permutations, std::uint64_t seed) {
    GistarResult out;
    out.band = band;
    // Study cells and a grid -> study index map.
    std::vector<std::int32_t> study_of(static_cast<std::size_t>(grid.size()), -1);
    std::vector<double> values;
    for (std::int64_t i = 0; i < grid.size(); ++i) {
        if (in_area[static_cast<std::size_t>(i)] != 0) {
            study_of[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(out.cells.size());
            CellResult c;
            c.cell = i;
            c.count = counts[static_cast<std::size_t>(i)];
            out.cells.push_back(c);
            values.push_back(c.count);
        }
    }
    // Neighbour offsets within the band (centre distances are whole multiples of the cell size).
    const double cs = grid.cell_size();
    const int reach = static_cast<int>(std::floor(band / cs + 1e-9));
    std::vector<std::pair<int, int>> offsets;
    for (int dy = -reach; dy <= reach; ++dy) {
        for (int dx = -reach; dx <= reach; ++dx) {
            if (std::hypot(dx * cs, dy * cs) <= band * (1 + 1e-12)) {
                offsets.emplace_back(dx, dy);
            }
        }
    }
    out.neighbours_max = static_cast<int>(offsets.size());
    Neighbours w;
    w.offset.reserve(out.cells.size() + 1);
    w.index.reserve(out.cells.size() * offsets.size());
    std::vector<std::int32_t> row;
    for (const auto& c : out.cells) {
        row.clear();
        const int cx = grid.column_of(c.cell);
        const int cy = grid.row_of(c.cell);
        for (const auto& [dx, dy] : offsets) {
            const int x = cx + dx;
            const int y = cy + dy;
            if (x < 0 || y < 0 || x >= grid.columns() || y >= grid.rows()) {
                continue;
            }
            const auto s = study_of[static_cast<std::size_t>(static_cast<std::int64_t>(y) * grid.columns() + x)];
            if (s >= 0) {
                row.push_back(s);
            }
        }
        w.add_row(row);
    }
    const auto z = local_g(values, w, true);
    const auto p = permutations > 0 ? permutation_p(values, w, permutations, seed) : two_sided_p(z);
    const auto q = benjamini_hochberg(p);
    double sum = 0;
    double sum2 = 0;
    for (std::size_t i = 0; i < out.cells.size(); ++i) {
        auto& c = out.cells[i];
        c.z = z[i];
        c.p = p[i];
        c.q = q[i];
        c.bin = confidence_bin(z[i], q[i]);
        sum += c.count;
        sum2 += c.count * c.count;
    }
    if (!out.cells.empty()) {
        const auto n = static_cast<double>(out.cells.size());
        out.mean = sum / n;
        out.variance = std::max(0.0, sum2 / n - out.mean * out.mean);
    }
    return out;
}

std::vector<std::vector<std::int64_t>> hot_components(const Grid& grid, const GistarResult& result, int min_bin) {
    std::vector<std::int64_t> hot;
    for (const auto& c : result.cells) {
        if (c.bin >= min_bin) {
            hot.push_back(c.cell);
        }
    }
    return edge_components(grid, hot);
}

std::vector<std::vector<std::int64_t>> edge_components(const Grid& grid, const std::vector<std::int64_t>& cells) {
    std::unordered_map<std::int64_t, bool> selected; // grid index -> visited
    for (const auto cell : cells) {
        selected.emplace(cell, false);
    }
    std::vector<std::int64_t> seeds = cells;
    std::sort(seeds.begin(), seeds.end());
    std::vector<std::vector<std::int64_t>> components;
    std::vector<std::int64_t> stack;
    for (const auto seed : seeds) {
        auto it = selected.find(seed);
        if (it->second) {
            continue;
        }
        it->second = true;
        std::vector<std::int64_t> comp;
        stack.assign(1, seed);
        while (!stack.empty()) {
            const auto cell = stack.back();
            stack.pop_back();
            comp.push_back(cell);
            const int cx = grid.column_of(cell);
            const int cy = grid.row_of(cell);
            const int nx[4] = {cx - 1, cx + 1, cx, cx};
            const int ny[4] = {cy, cy, cy - 1, cy + 1};
            for (int k = 0; k < 4; ++k) {
                if (nx[k] < 0 || ny[k] < 0 || nx[k] >= grid.columns() || ny[k] >= grid.rows()) {
                    continue;
                }
                const auto next = static_cast<std::int64_t>(ny[k]) * grid.columns() + nx[k];
                auto n = selected.find(next);
                if (n != selected.end() && !n->second) {
                    n->second = true;
                    stack.push_back(next);
                }
            }
        }
        std::sort(comp.begin(), comp.end());
        components.push_back(std::move(comp));
    }
    return components;
}

} // namespace hotref::hotspot
