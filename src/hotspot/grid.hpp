#pragma once
// A regular square grid over British National Grid metres, and weighted
// points binned into it. Plain data: no I/O, no third-party types.

#include <cstdint>
#include <vector>

namespace hotref::hotspot {

struct Bounds {
    double minx = 0, miny = 0, maxx = 0, maxy = 0;
    [[nodiscard]] double width() const noexcept { return maxx - minx; }
    [[nodiscard]] double height() const noexcept { return maxy - miny; }
};

/// A point with a weight: a police.uk snap point and the number of incidents there.
struct WeightedPoint {
    double x = 0;
    double y = 0;
    double weight = 1;
};

Bounds bounds_of(const std::vector<WeightedPoint>& points);

/// sfhotspot's default cell size: the shorter side of the bounding box / 50,
/// floored to a multiple of 100 m when that is above zero, otherwise unrounded.
double default_cell_size(const Bounds& b);

class Grid {
public:
    Grid() = default;
    /// Covers `b` with square cells of `cell_size` m, the origin snapped down to a
    /// multiple of the cell size (so grids of the same size line up between runs).
    Grid(const Bounds& b, double cell_size);

    [[nodiscard]] double cell_size() const noexcept { return m_cell; }
    [[nodiscard]] double origin_x() const noexcept { return m_x0; }
    [[nodiscard]] double origin_y() const noexcept { return m_y0; }
    [[nodiscard]] int columns() const noexcept { return m_nx; }
    [[nodiscard]] int rows() const noexcept { return m_ny; }
    [[nodiscard]] std::int64_t size() const noexcept { return static_cast<std::int64_t>(m_nx) * m_ny; }

    /// Cell index of a point (row-major from the south-west), or -1 outside.
    [[nodiscard]] std::int64_t index_of(double x, double y) const noexcept;
    [[nodiscard]] int column_of(std::int64_t index) const noexcept { return static_cast<int>(index % m_nx); }
    [[nodiscard]] int row_of(std::int64_t index) const noexcept { return static_cast<int>(index / m_nx); }
    [[nodiscard]] double center_x(std::int64_t index) const noexcept { return m_x0 + (column_of(index) + 0.5) * m_cell; }
    [[nodiscard]] double center_y(std::int64_t index) const noexcept { return m_y0 + (row_of(index) + 0.5) * m_cell; }
    [[nodiscard]] Bounds cell_bounds(std::int64_t index) const noexcept;

    /// Sums point weights per cell (size() values).
    [[nodiscard]] std::vector<double> counts(const std::vector<WeightedPoint>& points) const;

private:
    double m_x0 = 0, m_y0 = 0, m_cell = 1;
    int m_nx = 0, m_ny = 0;
};

} // namespace hotref::hotspot
