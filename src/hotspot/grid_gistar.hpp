#pragma once
// Gi* on a grid of cell counts: the study cells, their distance-band
// neighbours, z, p, FDR q and confidence bins; and the hot cells grouped into
// edge-connected components, ready to be dissolved into hotspot polygons.

#include "hotspot/gistar.hpp"
#include "hotspot/grid.hpp"

#include <cstdint>
#include <vector>

namespace hotref::hotspot {

struct CellResult {
    std::int64_t cell = 0; // index in the grid
    double count = 0;
    double z = 0;
    double p = 1;
    double q = 1;          // Benjamini-Hochberg adjusted p
    int bin = 0;           // -3..3 (see confidence_bin)
};

struct GistarResult {
    std::vector<CellResult> cells;   // the study cells, in grid order
    double band = 0;                 // the distance band used (m)
    int neighbours_max = 0;          // neighbours of an interior cell, itself included
    double mean = 0;                 // mean count per study cell
    double variance = 0;             // population variance of the counts
};

/// Gi* over the cells with in_area[i] != 0 (zero-count cells included), with
/// binary weights for cells whose centres lie within `band` metres (inclusive),
/// the cell itself included, exactly as spdep::localG(include.self) would.
/// With `permutations` > 0, p comes from conditional randomisation (permutation_p)
/// instead of the normal approximation; z is the analytic one either way.
GistarResult gistar_grid(const Grid& grid, const std::vector<char>& in_area, const std::vector<double>& counts,
                         double band, int permutations = 0, std::uint64_t seed = 0);

/// Groups the given grid cells into components connected through shared edges
/// (rook contiguity). Each component lists grid indices, sorted; components are
/// ordered by their first cell.
std::vector<std::vector<std::int64_t>> edge_components(const Grid& grid, const std::vector<std::int64_t>& cells);

/// Groups study cells with bin >= min_bin into components connected through
/// shared edges (rook contiguity). Each component lists grid indices, sorted;
/// components are ordered by their first cell.
std::vector<std::vector<std::int64_t>> hot_components(const Grid& grid, const GistarResult& result, int min_bin);

} // namespace hotref::hotspot
