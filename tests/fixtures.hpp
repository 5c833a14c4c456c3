#pragma once
// Shared fixtures: stores filled from the real data in geodata/.

#include "geo/area.hpp"
#include "hotspot/pipeline.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

namespace hotref::test {

/// Ingests the twelve Derbyshire 2025 files with the force area, as the demo does.
inline void ingest_geodata(store::Store& store) {
    const auto area = geo::StudyArea::from_file(geodata("derbyshire_force_area.gpkg"), "force_area");
    ingest::IngestOptions options;
    options.area = &area;
    ingest::Ingester ingester{store, std::move(options)};
    for (const auto& f : ingest::plan_inputs({geodata("police-uk/derbyshire-2025")}, false).files) {
        REQUIRE(ingester.ingest(f).status == "stored");
    }
}

/// Gi* over the Derbyshire force area on cells of `cell_size` metres, as the demo runs it.
inline hotspot::HotspotOptions force_area_gistar(double cell_size) {
    hotspot::HotspotOptions options;
    options.area_path = geodata("derbyshire_force_area.gpkg");
    options.cell_size = cell_size;
    return options;
}

} // namespace hotref::test
