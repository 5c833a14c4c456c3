#pragma once
// `hotref hotspots`: read the period's incidents from the store (per
// location), run a method, dissolve hot cells into hotspot polygons, name and
// rank them, and store the run.

#include "store/store.hpp"

#include "hotspot/naming.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hotref::hotspot {

struct HotspotOptions {
    std::string method = "gistar"; // patrol, gistar, kde, dbscan (the command line defaults to patrol)
    std::string from;          // YYYY-MM; empty: the first month stored
    std::string to;            // YYYY-MM; empty: the last month stored
    std::string categories = "asb";
    std::string source;        // empty: police.uk when stored, else the only source
    std::string force;         // "Reported by" name (or a unique part of it): only its incidents; empty:
                               // the only force stored (a store of several refuses and lists them)
    bool allow_gaps = false;   // run over a period with months not stored (named in the notes)
    std::string area_path;     // empty: derived from the bundled force areas (geo/force_area.hpp)
    std::string area_layer;
    double cell_size = 0;      // 0: sfhotspot's rule
    double band = 0;           // 0: cell size x sqrt(2)
    int confidence = 95;       // 90, 95 or 99: cells at or above it form hotspots
    // KDE
    std::string kernel = "quartic";
    double bandwidth = 0;      // 0: rule of thumb
    std::string threshold = "mean:3"; // mean:K (K x the mean density of study cells) or top:F (top share F of cells)
    std::string geotiff;       // write the density surface (per km2) here
    // DBSCAN
    double eps = 100;          // metres
    double min_pts = 15;       // incidents, the point itself included
    bool rerun = false;        // compute and store even when an identical run is stored
    bool trends = false;       // gistar: monthly Gi*, Emerging Hot Spot categories and classes
    int permutations = 0;      // gistar: > 0 for pseudo p-values by conditional randomisation
    std::uint64_t seed = 1;    // gistar: the permutations' seed
    // patrol
    int count = 20;            // K hotspots
    double max_area_km2 = 0;   // the largest area of any one hotspot (0: 0.25 km2; for the
                               // analytical methods 0 only reports larger hotspots, > 0 splits them)
    double max_diameter = 0;   // metres; 0: 1.6 x sqrt(max area)
    double half_life = 6;      // months: the weight of a month halves every half_life months back
    double patrol_cell = 50;   // metres: the fine cells hotspots are made of
};

/// The default area cap of a patrol hotspot (km2).
constexpr double default_max_area_km2 = 0.25;

struct HotspotSummary {
    std::string code;
    int rank = 0;
    std::string name;
    std::int64_t cells = 0;
    double area_m2 = 0;
    double incidents = 0;
    double density_km2 = 0;
    double share = 0;
    double pai = 0;
    double mean_z = 0;         // Gi*; NaN for other methods
    double max_z = 0;
    int confidence = 0;        // Gi*; 0 for other methods
    double peak_density = 0;   // KDE: highest cell density (per km2); 0 for other methods
    double expected = 0;       // patrol: expected incidents per month (recency-weighted rate); NaN for others
    std::string trend;         // Emerging Hot Spot Analysis category of most of its incidents
    std::string trend_class;   // sfhotspot-style class of most of its incidents
};

struct RunSummary {
    std::int64_t run_id = 0;
    bool unchanged = false;          // an identical run (same request and feeds) was already stored
    std::string fingerprint;
    std::string method;
    std::string period_from, period_to;
    std::vector<std::string> categories;
    std::string source;
    std::string force;                // the force the run is restricted to ("" when the store holds one)
    std::vector<std::string> missing_months; // months of the period not stored (only with allow_gaps)
    std::string area;
    double incidents = 0;
    double incidents_outside = 0;
    std::int64_t locations = 0;
    double cell_size = 0;
    bool cell_size_default = false;
    double band = 0;
    int neighbours = 0;
    int columns = 0, rows = 0;
    std::int64_t study_cells = 0;
    std::string parameters;           // the method's own parameters, one line for people
    std::int64_t hot_cells[4] = {0, 0, 0, 0};  // by bin 0..3
    std::int64_t cold_cells[4] = {0, 0, 0, 0};
    double mean = 0, variance = 0;
    // KDE
    std::string kernel;
    double bandwidth = 0;
    bool bandwidth_default = false;
    double threshold_density = 0;     // per km2
    // DBSCAN
    double eps = 0, min_pts = 0;
    int clusters = 0;
    double noise = 0;                 // incidents in noise points
    // patrol
    int count = 0;
    double max_area_km2 = 0, max_diameter = 0, half_life = 0;
    double expected_total = 0;        // expected incidents per month in the whole area
    int not_significant = 0;          // hotspots whose core is not a Gi* hot spot at 95 %
    std::int64_t stray_points = 0;    // locations far outside the derived study area, left out
    double stray_km = 0;              // the farthest of them (km)
    int oversized = 0;                // analytical methods: hotspots larger than the cap
    double largest_km2 = 0;
    int trend_months = 0;             // time steps of the trend analysis (0: none)
    std::map<std::string, std::int64_t> trend_cells; // study cells per EHSA category (hot and cold ones)
    std::vector<HotspotSummary> hotspots;
    std::vector<std::string> notes; // warnings worth reading (parameter checks)
    int empty_hot_areas = 0;         // groups of hot cells without incidents (not hotspots)
    std::int64_t previous_run = 0;   // the run whose hotspot codes were carried over (0: none)
    std::map<std::string, int> lineage_counts; // continues, split, merged, new, retired
    double seconds = 0;
};

/// Runs and stores a hotspot analysis. Throws UsageError for inconsistent
/// parameters and Error when the data cannot support the method.
RunSummary run_hotspots(store::Store& store, const HotspotOptions& options);

/// A stored run, read back for display.
RunSummary load_run_summary(store::Store& store, std::int64_t run_id);

/// The category names a --categories value stands for: "asb", "ij" (the
/// offences Immediate Justice covers), "all", or a comma-separated list of
/// names or slugs. Throws UsageError naming an unknown one and the known ones.
std::vector<std::int64_t> resolve_categories(store::Store& store, const std::string& spec,
                                             std::vector<std::string>& names);

} // namespace hotref::hotspot
