#pragma once
// Trends of a cell over time steps (months): the Mann-Kendall test, ArcGIS Pro's
// Emerging Hot Spot Analysis categories, and sfhotspot's hotspot_classify
// categories. Plain data in, plain data out; docs/hotspots.md gives the rules.

#include <string>
#include <vector>

namespace hotref::hotspot {

struct MannKendall {
    double s = 0;        // sum of signs of all later-minus-earlier differences
    double variance = 0; // with the correction for ties
    double z = 0;        // continuity-corrected
    double p = 1;        // two-sided
    double tau = 0;      // Kendall's tau-a: s / (n (n - 1) / 2)
};

/// Mann (1945), Kendall (1975): monotonic trend in a series.
MannKendall mann_kendall(const std::vector<double>& series);

/// One cell's Gi* over the time steps, oldest first.
struct CellSeries {
    std::vector<double> z;
    std::vector<double> p;
};

/// ArcGIS Pro Emerging Hot Spot Analysis category ("new hot spot", ...,
/// "no pattern detected"). A time step counts as hot (cold) when z > 0 (< 0)
/// and p <= alpha; the Mann-Kendall test on z is judged at alpha too.
std::string emerging_category(const CellSeries& s, double alpha = 0.05);

/// sfhotspot hotspot_classify-style category over periods ("persistent hotspot",
/// "emerging hotspot", "former hotspot", "intermittent hotspot", the same for
/// coldspots, or "no pattern"): `hot[i]` / `cold[i]` says whether the cell was a
/// significant hot (cold) spot in period i, oldest first.
std::string classify_category(const std::vector<bool>& hot, const std::vector<bool>& cold,
                              double hotspot_prop = 0.1, double persistent_prop = 0.8, double recent_prop = 0.2);

} // namespace hotref::hotspot
