#pragma once
// A QGIS project file (.qgs) that opens a run's GeoPackage with every layer
// styled, in a sensible order (incidents over hotspots over cells over the
// study area) and zoomed to the study area: one double-click for the whole picture.

#include <array>
#include <string>
#include <vector>

namespace hotref::publish {

struct ProjectLayer {
    std::string table;   // layer name in the GeoPackage
    std::string title;   // shown in the layers panel
    std::string geometry; // Point, Polygon
    std::string qml;     // its style
};

/// Writes `path` referring to `gpkg_name` (a path relative to the project's folder).
/// `layers` are listed top first; `extent` is minx, miny, maxx, maxy in EPSG:27700.
void write_qgis_project(const std::string& path, const std::string& title, const std::string& gpkg_name,
                        const std::vector<ProjectLayer>& layers, const std::array<double, 4>& extent);

} // namespace hotref::publish
