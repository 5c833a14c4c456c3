#pragma once
// The force's districts (or neighbourhood-team areas) and what happened in each:
// shared by the bulletin's district table, the layers' workbook (through the
// bulletin's published figures) and the service's districts collection.
//
// A district belongs to the force's area when a point inside it (GEOS
// PointOnSurface) lies in the area: districts that only touch the area along
// its edge, or overlap it by a sliver of generalisation, are the neighbours'.
// Incidents are counted per district by point-in-polygon (GEOS prepared
// geometries, bounding boxes first); each hotspot belongs to the district that
// holds its own PointOnSurface. True values: disclosure control is the caller's
// (the bulletin's sdc table).

#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace hotref::publish {

struct District {
    std::string name;
    std::string code;                // ONS code ("" when the file has none)
    std::string wkb;                 // EPSG:27700
    std::array<double, 2> label{};   // a point inside it
};

/// The districts of `all` that lie in the area `area_wkb` (EPSG:27700 WKB; empty: all of them).
std::vector<District> districts_in_area(const std::vector<District>& all, const std::string& area_wkb);

/// Each district's label point, computed from its geometry (PointOnSurface).
void label_districts(std::vector<District>& districts);

struct DistrictCount {
    std::string name;
    double now = 0;                                       // incidents this period
    double prev = std::numeric_limits<double>::quiet_NaN(); // the previous period (NaN: not compared)
    int hotspots = 0;                                     // current hotspots whose inside point is here
};

struct DistrictTable {
    std::vector<DistrictCount> rows;                       // in the order of the districts
    double outside_now = 0;                                // incidents in no district
    double outside_prev = std::numeric_limits<double>::quiet_NaN();
    int hotspots_outside = 0;
};

/// Points are (easting, northing, count); `prev` may be null (the previous period not
/// compared); `hotspots` are one inside point per hotspot.
DistrictTable count_by_district(const std::vector<District>& districts,
                                const std::vector<std::array<double, 3>>& now,
                                const std::vector<std::array<double, 3>>* prev,
                                const std::vector<std::array<double, 2>>& hotspots);

} // namespace hotref::publish
