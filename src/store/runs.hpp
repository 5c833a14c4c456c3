#pragma once
// Hotspot runs in the store: the run with its effective parameters, its grid
// cells and its hotspots (with geometry), written in one transaction.

#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hotref::store {

struct RunRecord {
    std::string method;
    std::string params_json;
    std::string period_from;
    std::string period_to;
    std::string categories;
    std::string source;
    std::string area;
    std::string area_wkb;            // EPSG:27700
    double incidents = 0;
    double incidents_outside = 0;
    std::int64_t locations = 0;
    std::optional<double> grid_origin_x, grid_origin_y, cell_size;
    std::optional<std::int64_t> grid_columns, grid_rows, cells;
    std::int64_t hotspots = 0;
    std::string fingerprint;         // SHA-256 of the parameters and the input feeds
    double seconds = 0;
};

struct CellRecord {
    std::int64_t cell = 0;
    int col = 0;
    int row = 0;
    double count = 0;
    double z = 0;
    double p = 1;
    double q = 1;
    int bin = 0;
    std::optional<double> density;   // KDE: per km2
    std::string trend;               // Emerging Hot Spot Analysis category ("" when not computed)
    std::string trend_class;         // sfhotspot-style class
    std::optional<double> mk_tau, mk_p;
    int hotspot = -1; // index into the run's hotspots, -1 none
};

struct LocationRecord {
    std::int64_t location_id = 0;
    double incidents = 0;
    bool core = false;
    int hotspot = -1; // index into the run's hotspots, -1 none (noise, or a cluster without a hotspot)
};

struct HotspotRecord {
    std::string code;
    int rank = 0;
    std::string name;
    std::optional<std::int64_t> cells; // grid methods
    double area_m2 = 0;
    double incidents = 0;
    double density_km2 = 0;
    double share = 0;
    std::optional<double> mean_z, max_z;
    std::optional<int> confidence;
    std::optional<double> peak_density;
    std::optional<double> expected;   // patrol: expected incidents per month
    std::string trend;
    std::string trend_class;
    double pai = 0;
    std::string wkb;                 // (multi)polygon, EPSG:27700
};

struct RasterRecord {
    std::string name;                // "density_km2"
    int columns = 0;
    int rows = 0;
    double origin_x = 0;
    double origin_y = 0;
    double cell_size = 0;
    std::vector<float> values;       // row-major from the south-west cell
};

struct LineageRecord {
    std::string code;
    std::string event;
    std::string other_code;
    double overlap = 0;
};

/// Writes a run with its cells, hotspots and lineage in one transaction; returns the run id.
std::int64_t insert_run(Store& store, const RunRecord& run, const std::vector<CellRecord>& cells,
                        const std::vector<LocationRecord>& locations, const std::vector<HotspotRecord>& hotspots,
                        const std::vector<LineageRecord>& lineage, const std::vector<RasterRecord>& rasters = {});

/// A stored run as the layers, the bulletin and the service read it back.
struct StoredRun {
    std::int64_t id = 0;
    std::string method, params, period_from, period_to, categories, source, area, created_at;
    std::string area_wkb;            // EPSG:27700; empty when the run has no area geometry
    double cell_size = 0, origin_x = 0, origin_y = 0; // 0 for methods without a grid
    std::int64_t columns = 0, rows = 0;
    double incidents = 0;
    std::int64_t hotspots = 0;
    std::string force;               // the force the run is restricted to ("": an older run)
    std::string series;              // method and parameters whose codes it continues ("": an older run)
    std::int64_t continues_run = 0;  // the run whose codes it continues (0: none)
    double incidents_outside = 0;
    std::int64_t locations = 0;
    std::int64_t study_cells = 0;    // grid methods: the cells of the study area
    std::string fingerprint;
    double seconds = 0;
};

/// Run `id`, or nullopt when there is none.
std::optional<StoredRun> read_run(Store& store, std::int64_t id);
/// Every run (of `force` when given), by id.
std::vector<StoredRun> list_runs(Store& store, const std::string& force = "");

/// The latest (highest id) run of `method`; 0 when there is none.
/// With `force`, only runs restricted to that force.
std::int64_t latest_run_id(Store& store, const std::string& method, const std::string& force = "");

/// The run downstream commands use when none is named: the run of `method` (empty:
/// patrol or Gi*) whose period ends last, so the one covering the latest stored period;
/// between runs ending on the same month a patrol run before a Gi* run, then the latest
/// stored. With `force`, only runs restricted to that force. 0 when there is none.
std::int64_t default_run_id(Store& store, const std::string& method = "", const std::string& force = "");

/// A stored hotspot with its polygon and every statistic the run stored for it: what the
/// layers publish, the bulletin briefs on, the evaluation targets and referrals link to.
struct StoredHotspot {
    std::int64_t id = 0;
    std::string code;
    int rank = 0;
    std::string name;
    double incidents = 0, share = 0, area_m2 = 0, density_km2 = 0, pai = 0;
    std::optional<double> mean_z, max_z, peak_density, expected;
    std::optional<int> confidence;
    std::string trend, trend_class;
    std::int64_t cells = 0;          // grid methods: its cells
    std::string wkb;                 // EPSG:27700
};

/// The hotspots of run `run_id` with their geometry, by rank (the one query for them).
std::vector<StoredHotspot> read_hotspots(Store& store, std::int64_t run_id);

/// A grid cell of a run (Gi*, KDE) with its statistics and the code of its hotspot ("" when none).
struct RunCell {
    std::int64_t cell = 0, col = 0, row = 0;
    double count = 0;
    std::optional<double> z, p, q, density;
    int bin = 0;
    std::string trend, trend_class, hotspot;
};
std::vector<RunCell> read_run_cells(Store& store, std::int64_t run_id);
/// How many cells of run `run_id` have each Gi* bin (-3..3), and each trend other than
/// "no pattern detected".
struct CellTallies {
    std::map<int, std::int64_t> bins;
    std::map<std::string, std::int64_t> trends;
};
CellTallies tally_run_cells(Store& store, std::int64_t run_id);

/// A raster of a run, if stored.
std::optional<RasterRecord> read_raster(Store& store, std::int64_t run_id, const std::string& name);

/// SHA-256 over the effective parameters and the feeds (partition, file content) the
/// period's incidents come from: equal fingerprints mean the same result.
std::string run_fingerprint(Store& store, const std::string& params_json, const std::string& source,
                            const std::string& from, const std::string& to);

/// The latest run with this fingerprint, 0 if none.
std::int64_t run_with_fingerprint(Store& store, const std::string& fingerprint);

/// The hotspots of the latest run of a series (method, categories, source) that had any.
struct PreviousHotspots {
    std::int64_t run_id = 0;                // 0: no earlier run
    std::vector<std::string> codes;
    std::vector<double> areas;
    std::vector<std::string> wkbs;
    int max_number = 0;                     // highest code number ever given in the series
};
/// `series`: the run's series key (method, parameters, force); only runs of that series count
/// for the codes handed on, but new code numbers follow every code the method ever gave.
PreviousHotspots previous_hotspots(Store& store, const std::string& method, const std::string& categories,
                                   const std::string& source, const std::string& series);

} // namespace hotref::store
