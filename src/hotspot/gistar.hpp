#pragma once
// Getis-Ord local G statistics (Getis & Ord 1992; Ord & Getis 1995) as
// computed by R spdep's localG and PySAL esda's G_Local, with
// Benjamini-Hochberg false discovery rate control and ArcGIS-style
// confidence bins. Plain arrays in, plain arrays out.

#include <cstdint>
#include <vector>

namespace hotref::hotspot {

/// Sparse binary neighbour lists (compressed rows): the neighbours of i are
/// index[offset[i] .. offset[i+1]).
struct Neighbours {
    std::vector<std::int64_t> offset{0};
    std::vector<std::int32_t> index;

    [[nodiscard]] std::size_t size() const noexcept { return offset.size() - 1; }
    void add_row(const std::vector<std::int32_t>& row) {
        index.insert(index.end(), row.begin(), row.end());
        offset.push_back(static_cast<std::int64_t>(index.size()));
    }
};

/// Binary distance-band neighbours of points: j is a neighbour of i when their
/// distance is at most `band` (inclusive). With `include_self` each point is
/// its own neighbour (Gi*). O(n^2): for small inputs and tests.
Neighbours distance_band(const std::vector<double>& x, const std::vector<double>& y, double band, bool include_self);

/// z-scores of Gi* (include_self = true; `w` must contain each i in its own
/// row) or of Gi (include_self = false; `w` must not). NaN where undefined
/// (all values equal, or a cell with no neighbours).
std::vector<double> local_g(const std::vector<double>& values, const Neighbours& w, bool include_self);

/// Pseudo p-values of Gi* by conditional randomisation (Anselin 1995): for each
/// i, its own value is held and its other neighbours' values are drawn at random,
/// without replacement, from the other n - 1 values, `permutations` times. With
/// `above` the draws whose local sum is at least the observed one and `below` at
/// most, p = min(1, 2 (min(above, below) + 1) / (permutations + 1)) (two-sided).
/// Each i has its own random stream from (seed, i), so results do not depend on
/// how the work is split over threads.
std::vector<double> permutation_p(const std::vector<double>& values, const Neighbours& w, int permutations,
                                  std::uint64_t seed, int threads = 2);

/// Two-sided p-values of standard normal z-scores.
std::vector<double> two_sided_p(const std::vector<double>& z);

/// Benjamini-Hochberg adjusted p-values (q-values), in the input order; NaN stays NaN
/// and does not count towards the number of tests.
std::vector<double> benjamini_hochberg(const std::vector<double>& p);

/// ArcGIS's Gi_Bin: +-3, +-2, +-1 for significance at 99, 95, 90 % (judged on
/// `q`, the FDR-adjusted p), signed by z; 0 otherwise.
int confidence_bin(double z, double q) noexcept;

} // namespace hotref::hotspot
