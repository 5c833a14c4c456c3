#pragma once
// `hotref layers`: a run's results as map layers for the hotspot manager: one
// GeoPackage in EPSG:27700 with QGIS styles and metadata, GeoJSON (RFC 7946,
// WGS84) and FlatGeobuf of each vector layer, a CSV of hotspot statistics,
// vector tiles (MVT) of hotspots and cells, and the KDE surface as a GeoTIFF.
// They are written from the publication model (publish/model.hpp), which has
// passed disclosure control already: this file only serialises it.

#include "publish/disclosure.hpp"
#include "publish/model.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hotref::publish {

struct LayersOptions {
    std::int64_t run_id = 0;          // 0: the current run of `method` (store::default_run_id)
    std::string method;               // empty: the current patrol run, else the current Gi* run
    std::string force;                // the current run of this force; empty: the only force stored
    std::string out_dir = "out/layers";
    Profile profile = Profile::published;
    DisclosureRules rules;
    bool overwrite = false;
    bool vector_tiles = true;
    bool xlsx = false;                // also hotref.xlsx (publish/workbook.hpp)
    int tiles_min_zoom = 8;
    int tiles_max_zoom = 14;
};

struct LayersReport {
    std::int64_t run_id = 0;
    std::string method;
    std::string gpkg;
    std::vector<std::string> files;          // everything written, in order
    std::map<std::string, std::int64_t> features; // per layer
    std::int64_t suppressed_primary = 0;
    std::int64_t suppressed_secondary = 0;
    std::int64_t locations_withheld = 0;     // incident locations with fewer than min_count incidents
    std::int64_t points_generalised = 0;     // exact points folded into 100 m squares
    std::int64_t perturbed = 0;              // published counts carrying cell-key noise
    std::int64_t hotspots_withheld = 0;      // hotspots of fewer than k locations or incidents
    std::vector<std::string> notes;          // layers left out of the profile and why
};

/// build_model + write_model.
LayersReport write_layers(store::Store& store, const LayersOptions& options);

struct WorkbookInputs;

/// Writes a model's layers into options.out_dir (run_id, method, profile and rules are the model's);
/// with `workbook`, hotref.xlsx too.
LayersReport write_model(const RunModel& model, const LayersOptions& options,
                         const WorkbookInputs* workbook = nullptr);

/// The model's layers (all, or those named in `only`) as a GeoPackage at `path` (a file or
/// /vsimem/...): `tiled_only` keeps the features drawn in tiles; `with_styles` adds QGIS styles.
void write_model_gpkg(const RunModel& model, const std::string& path, const std::vector<std::string>& only = {},
                      bool tiled_only = false, bool with_styles = true);

/// The QGIS style (QML) of a model layer, as the GeoPackage stores it (empty when it has none).
std::string layer_style(const RunModel& model, const ModelLayer& layer);

/// A fresh /vsimem/ path for a GeoPackage.
std::string vsimem_name(const std::string& stem);

} // namespace hotref::publish
