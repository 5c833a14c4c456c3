#pragma once
// `hotref layers`: a run's results as map layers for the hotspot manager: one
// GeoPackage in EPSG:27700 with QGIS styles and metadata, GeoJSON (RFC 7946,
// WGS84) and FlatGeobuf of each vector layer, a CSV of hotspot statistics,
// vector tiles (MVT) of hotspots and cells, and the KDE surface as a GeoTIFF.
// Everything passes disclosure control first (publish/disclosure.hpp).

#include "publish/disclosure.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hotref::publish {

struct LayersOptions {
    std::int64_t run_id = 0;          // 0: the current run of `method` (store::default_run_id)
    std::string method;               // empty: the current patrol run, else the current Gi* run
    std::string out_dir = "out/layers";
    Profile profile = Profile::published;
    DisclosureRules rules;
    bool overwrite = false;
    bool vector_tiles = true;
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
};

LayersReport write_layers(store::Store& store, const LayersOptions& options);

} // namespace hotref::publish
