#pragma once
// Patrol hotspots: K compact, non-overlapping micro-places, each no larger than
// a patrol can cover, chosen to hold the most expected ASB of the coming period.
//
// The expected rate at each police.uk location is its recency-weighted mean
// monthly count (see recency_weights). Locations are binned into fine square
// cells (50 m by default). A hotspot is a rook-connected union of fine cells
// grown from a seed cell: it takes the neighbouring cell with the most expected
// incidents first, crosses empty cells only within `bridge` metres of an
// incident, keeps every cell within max_diameter / 2 of its seed, and stops at
// max_area. Hotspots are picked greedily (lazy greedy maximum coverage): the
// region with the largest expected count first, then the best region among
// the cells not yet taken, and so on, so no two hotspots share a cell.
// Plain data in and out: no I/O, no third-party types (docs/hotspots.md).

#include "hotspot/grid.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hotref::hotspot {

struct PatrolOptions {
    int count = 20;               // K
    double max_area_m2 = 250000;  // the largest area of any one hotspot
    double max_diameter_m = 0;    // 0: 1.6 x sqrt(max_area) (800 m for 0.25 km2)
    double cell_size = 50;        // fine cells (m)
    double bridge = 100;          // empty cells are crossed only within this distance of an incident (m)
    std::size_t max_seeds = 0;    // 0: 4,000 + 200 K of the busiest cells are tried as seeds
};

/// The effective maximum diameter of a hotspot for these options (m).
double patrol_max_diameter(const PatrolOptions& options);

struct PatrolCell {
    std::int64_t col = 0;  // fine-grid column: x from col * cell_size to (col + 1) * cell_size
    std::int64_t row = 0;
};

/// The square of a fine cell: minx, miny, maxx, maxy (m).
inline std::array<double, 4> cell_box(const PatrolCell& c, double cell_size) noexcept {
    const double x0 = static_cast<double>(c.col) * cell_size;
    const double y0 = static_cast<double>(c.row) * cell_size;
    return {x0, y0, x0 + cell_size, y0 + cell_size};
}

struct PatrolHotspot {
    std::vector<PatrolCell> cells;       // sorted by (row, col)
    std::vector<std::size_t> points;     // indices into the input of the points inside, sorted
    double expected = 0;                 // sum of the point weights inside
    PatrolCell seed;                     // the cell it was grown from
    double seed_x = 0, seed_y = 0;       // the seed cell's centre
};

struct PatrolResult {
    std::vector<PatrolHotspot> hotspots; // in the order picked: largest expected first
    double total = 0;                    // sum of all point weights
    double max_diameter = 0;
    std::size_t seeds_tried = 0;
};

/// Picks up to options.count hotspots from points weighted by their expected
/// incidents. Deterministic: ties are broken by cell position. Throws
/// UsageError for a non-positive count, area, cell size or a cell larger than
/// the area cap.
PatrolResult patrol_hotspots(const std::vector<WeightedPoint>& points, const PatrolOptions& options);

/// Recency weights for `months` (sorted YYYY-MM strings, gaps allowed): weight
/// 2^(-age / half_life) where age is the number of calendar months before the
/// last one. Months not stored get no weight (a gap is unknown, not zero).
std::vector<double> recency_weights(const std::vector<std::string>& months, double half_life_months);

} // namespace hotref::hotspot
