#pragma once
// The study area of a feed when the user gives none: never the bounding box of
// all points, which a few stray points at the far end of England stretch to
// hundreds of kilometres. Built from the bundled geography of the English
// police forces (geodata/england_force_areas.gpkg, tools/make_force_areas.sh):
//
//  1. The feed names one force ("Falls within") that the bundled table knows,
//     and its districts hold at least half of the incidents: that force's
//     districts.
//  2. Otherwise (no name, several, an unknown one, or a name whose districts
//     hold too little): the districts that each hold at least 1% of the
//     incidents, plus any district enclosed by those (every neighbour chosen).
//  3. Welsh forces (no boundaries bundled), or when the districts of step 2
//     hold less than half of the incidents (points mostly outside England): a
//     concave hull of the points, without those farther from the weighted
//     median than twice the distance within which 95% of the incidents lie, and
//     without isolated ones (the 15 x 15 km around them hold under 0.2% of the
//     incidents). Flagged (hull).
//
// Points outside the area are counted and listed, so the caller can report them.

#include "geo/area.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace hotref::geo {

struct DerivedArea {
    StudyArea area;                     // the union of the chosen districts, or the hull
    std::string how;                    // one line for people: what was chosen and why
    std::vector<std::string> districts; // the chosen districts, sorted (empty for a hull)
    std::size_t outside_points = 0;     // input points outside `area`
    double outside_weight = 0;          // their total weight
    double farthest_km = 0;             // the farthest of them, km from `area` (0: none)
    std::vector<std::size_t> outside;   // their indices in the input, ascending
    bool hull = false;                  // true: no districts fitted, `area` is a hull of the points
};

/// The thresholds of the rules above (the defaults are the documented ones).
struct DeriveOptions {
    double min_district_share = 0.01;    // rule 2: a district's share of the weight
    double min_inside_share = 0.5;       // rules 1-3: the chosen districts must hold this share
    double hull_quantile = 0.95;         // rule 3: the distance within which this share lies ...
    double hull_factor = 2.0;            // ... times this is the farthest a kept point may be
    double hull_min_radius_m = 5000;     // ... but never less than this
    double hull_cell_m = 5000;           // and a point is isolated when the 3 x 3 cells of this size
    double hull_min_local_share = 0.002; // around it hold less than this share of the weight
    double hull_ratio = 0.3;             // GEOS concave hull ratio (1 = convex), as hotspots' outlines
    double hull_buffer_m = 1000;         // the hull widened by this
};

/// Derives the study area of `points` (British National Grid easting, northing,
/// weight; points with non-finite values are ignored) from the bundled force
/// areas at `geodata_path`. `forces` are the feed's "Falls within" names
/// (duplicates and empty names are ignored; may be empty). Throws InputError
/// naming the file when it cannot be read or is not a force areas GeoPackage,
/// and when no point has finite coordinates.
DerivedArea derive_study_area(const std::vector<std::array<double, 3>>& points, const std::vector<std::string>& forces,
                              const std::string& geodata_path, const DeriveOptions& options = {});

/// Where a bundled geodata file is: $HOTREF_GEODATA/`file` when the variable is
/// set (a folder), else the repository's geodata/ folder this build was made
/// from. Throws InputError naming the path when the file is not there.
std::string bundled_geodata(const std::string& file = "england_force_areas.gpkg");

/// True for the four Welsh forces (their boundaries are not bundled).
bool is_welsh_force(const std::string& name);

} // namespace hotref::geo
