#include "hotspot/grid.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hotref::hotspot {

Bounds bounds_of(const std::vector<WeightedPoint>& points) {
    Bounds b{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
             std::numeric_limits<double>::lowest(), std::numeric_limits<double>::lowest()};
    for (const auto& p : points) {
        b.minx = std::min(b.minx, p.x);
        b.miny = std::min(b.miny, p.y);
        b.maxx = std::max(b.maxx, p.x);
        b.maxy = std::max(b.maxy, p.y);
    }
    return b;
}

double default_cell_size(const Bounds& b) {
    const double raw = std::min(b.width(), b.height()) / 50.0;
    const double floored = std::floor(raw / 100.0) * 100.0;
    return floored > 0 ? floored : raw;
}

Grid::Grid(const Bounds& b, double cell_size) : m_cell(cell_size) {
    if (!(cell_size > 0) || !std::isfinite(cell_size)) {
        throw Error("the cell size must be a positive number of metres");
    }
    m_x0 = std::floor(b.minx / cell_size) * cell_size;
    m_y0 = std::floor(b.miny / cell_size) * cell_size;
    // At least one cell; a point on the far edge falls in the last cell.
    const double nx = std::max(1.0, std::floor((b.maxx - m_x0) / cell_size) + 1);
    const double ny = std::max(1.0, std::floor((b.maxy - m_y0) / cell_size) + 1);
    if (nx * ny > 50e6) {
        throw Error("a grid of " + std::to_string(static_cast<long long>(nx * ny)) + " cells (" +
                    std::to_string(static_cast<long long>(nx)) + " x " + std::to_string(static_cast<long long>(ny)) +
                    ") at " + std::to_string(static_cast<long long>(cell_size)) +
                    " m is too large; a stray point far away can cause this: limit the area (--area) or use a "
                    "larger --cell-size");
    }
    m_nx = static_cast<int>(nx);
    m_ny = static_cast<int>(ny);
}

std::int64_t Grid::index_of(double x, double y) const noexcept {
    const double cx = std::floor((x - m_x0) / m_cell);
    const double cy = std::floor((y - m_y0) / m_cell);
    if (cx < 0 || cy < 0 || cx >= m_nx || cy >= m_ny) {
        return -1;
    }
    return static_cast<std::int64_t>(cy) * m_nx + static_cast<std::int64_t>(cx);
}

Bounds Grid::cell_bounds(std::int64_t index) const noexcept {
    const double x = m_x0 + column_of(index) * m_cell;
    const double y = m_y0 + row_of(index) * m_cell;
    return Bounds{x, y, x + m_cell, y + m_cell};
}

std::vector<double> Grid::counts(const std::vector<WeightedPoint>& points) const {
    std::vector<double> c(static_cast<std::size_t>(size()), 0.0);
    for (const auto& p : points) {
        const auto i = index_of(p.x, p.y);
        if (i >= 0) {
            c[static_cast<std::size_t>(i)] += p.weight;
        }
    }
    return c;
}

} // namespace hotref::hotspot
