#pragma once
// DBSCAN (Ester, Kriegel, Sander & Xu 1996) on weighted points.
//
// police.uk points are snap points shared by many incidents, so each distinct
// location is one point with a weight (its incident count) and a location's
// neighbourhood weight counts the location itself and every incident there, as
// if each incident were a point of its own: minPts counts the point itself and
// duplicates, as PostGIS ST_ClusterDBSCAN and scikit-learn do.
//
// - neighbours: points within eps (distance <= eps), the point itself included;
// - core point: neighbourhood weight >= min_pts;
// - clusters: core points linked through chains of core points within eps;
// - border point: not core, but within eps of a core point: it joins the
//   cluster of its nearest core point (ties: the lower cluster number), so the
//   result does not depend on the order of the input;
// - noise: the rest (label -1).
// Clusters are numbered by their lowest point index.

#include "hotspot/grid.hpp"

#include <vector>

namespace hotref::hotspot {

struct DbscanResult {
    std::vector<int> label;  // per point: cluster number, or -1 for noise
    std::vector<char> core;  // per point: 1 when core
    int clusters = 0;
};

DbscanResult dbscan(const std::vector<WeightedPoint>& points, double eps, double min_pts);

} // namespace hotref::hotspot
