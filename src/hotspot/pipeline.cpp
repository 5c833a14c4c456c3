#include "hotspot/pipeline.hpp"

#include "hotspot/naming.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/area.hpp"
#include "geo/force_area.hpp"
#include "geo/gdal.hpp"
#include "geo/geos.hpp"
#include "hotspot/grid.hpp"
#include "hotspot/dbscan.hpp"
#include "hotspot/grid_gistar.hpp"
#include "hotspot/identity.hpp"
#include "hotspot/kde.hpp"
#include "hotspot/patrol.hpp"
#include "hotspot/trend.hpp"
#include "store/incidents.hpp"
#include "store/runs.hpp"
#include "util/sha256.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

namespace hotref::hotspot {

namespace {

constexpr double min_incidents = 30;

const std::vector<std::string>& immediate_justice_slugs() {
    // Offences Immediate Justice covers that police.uk publishes as categories.
    static const std::vector<std::string> slugs{"anti-social-behaviour", "public-order", "shoplifting", "drugs",
                                                "criminal-damage-arson"};
    return slugs;
}

int bin_for_confidence(int confidence) {
    switch (confidence) {
    case 90: return 1;
    case 95: return 2;
    case 99: return 3;
    default: throw UsageError("--confidence must be 90, 95 or 99, not " + std::to_string(confidence));
    }
}

std::string resolve_source(store::Store& store, const std::string& wanted) {
    const auto sources = store::stored_sources(store);
    if (sources.empty()) {
        throw Error("the store holds no incidents; run 'hotref ingest' first");
    }
    if (!wanted.empty()) {
        if (std::find(sources.begin(), sources.end(), wanted) == sources.end()) {
            std::string list;
            for (const auto& s : sources) {
                list += (list.empty() ? "" : ", ") + s;
            }
            throw UsageError("no incidents from source '" + wanted + "'; the store holds: " + list);
        }
        return wanted;
    }
    if (std::find(sources.begin(), sources.end(), "police.uk") != sources.end()) {
        return "police.uk";
    }
    if (sources.size() == 1) {
        return sources.front();
    }
    throw UsageError("the store holds several sources (" + sources.front() + ", " + sources[1] +
                     ", ...); choose one with --source");
}

} // namespace

std::vector<std::int64_t> resolve_categories(store::Store& store, const std::string& spec,
                                             std::vector<std::string>& names) {
    const auto all = store::categories(store);
    std::vector<std::int64_t> ids;
    names.clear();
    auto add = [&](const store::CategoryInfo& c) {
        if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) {
            ids.push_back(c.id);
            names.push_back(c.name);
        }
    };
    const std::string lower = to_lower(trim(spec));
    if (lower == "all") {
        for (const auto& c : all) {
            add(c);
        }
        return ids;
    }
    std::vector<std::string> wanted;
    if (lower == "asb") {
        wanted.emplace_back("anti-social-behaviour");
    } else if (lower == "ij" || lower == "immediate-justice") {
        wanted = immediate_justice_slugs();
    } else {
        std::size_t start = 0;
        while (start <= spec.size()) {
            const auto comma = spec.find(',', start);
            const auto part = trim(std::string_view{spec}.substr(start, comma == std::string::npos ? std::string::npos
                                                                                                    : comma - start));
            if (!part.empty()) {
                wanted.emplace_back(part);
            }
            if (comma == std::string::npos) {
                break;
            }
            start = comma + 1;
        }
    }
    for (const auto& w : wanted) {
        const std::string lw = to_lower(w);
        const auto it = std::find_if(all.begin(), all.end(),
                                     [&](const auto& c) { return to_lower(c.name) == lw || c.slug == lw; });
        if (it == all.end()) {
            std::string known = "asb, ij (Immediate Justice offences), all";
            for (const auto& c : all) {
                known += ", '" + c.name + "'";
            }
            throw UsageError("unknown category '" + w + "'; use one of: " + known);
        }
        add(*it);
    }
    if (ids.empty()) {
        throw UsageError("--categories names no category");
    }
    // One order whatever order they were given in: "A,B" and "B,A" are the same series.
    std::vector<std::pair<std::int64_t, std::string>> sorted;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        sorted.emplace_back(ids[i], names[i]);
    }
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        ids[i] = sorted[i].first;
        names[i] = sorted[i].second;
    }
    return ids;
}

RunSummary load_run_summary(store::Store& store, std::int64_t run_id) {
    const auto run = store::read_run(store, run_id);
    if (!run) {
        throw Error("no run " + std::to_string(run_id) + " in the store");
    }
    RunSummary sum;
    sum.run_id = run_id;
    sum.unchanged = true;
    sum.method = run->method;
    const auto params = nlohmann::json::parse(run->params);
    sum.period_from = run->period_from;
    sum.period_to = run->period_to;
    sum.categories = params.value("categories", std::vector<std::string>{});
    sum.source = run->source;
    sum.force = params.value("force", std::string{});
    sum.missing_months = params.value("missing_months", std::vector<std::string>{});
    sum.previous_run = params.value("continues_run", std::int64_t{0});
    sum.area = run->area;
    sum.incidents = run->incidents;
    sum.incidents_outside = run->incidents_outside;
    sum.locations = run->locations;
    sum.cell_size = run->cell_size;
    sum.cell_size_default = params.value("cell_size_rule", std::string{}) != "given";
    sum.columns = static_cast<int>(run->columns);
    sum.rows = static_cast<int>(run->rows);
    sum.study_cells = run->study_cells;
    sum.fingerprint = run->fingerprint;
    sum.seconds = run->seconds;
    sum.band = params.value("band_m", 0.0);
    sum.neighbours = params.value("neighbours_interior", 0);
    sum.mean = params.value("mean_per_cell", 0.0);
    sum.variance = params.value("variance_per_cell", 0.0);
    sum.parameters = params.value("parameters", std::string{});
    sum.kernel = params.value("kernel", std::string{});
    sum.bandwidth = params.value("bandwidth_m", 0.0);
    sum.threshold_density = params.value("threshold_density_km2", 0.0);
    sum.eps = params.value("eps_m", 0.0);
    sum.min_pts = params.value("min_pts", 0.0);
    sum.count = params.value("count", 0);
    sum.max_area_km2 = params.value("max_area_km2", 0.0);
    sum.max_diameter = params.value("max_diameter_m", 0.0);
    sum.half_life = params.value("half_life_months", 0.0);
    sum.expected_total = params.value("expected_total_per_month", 0.0);
    sum.oversized = params.value("oversized", 0);
    sum.largest_km2 = params.value("largest_km2", 0.0);
    const auto tallies = store::tally_run_cells(store, run_id);
    if (params.contains("trends")) {
        sum.trend_months = params["trends"].value("months", 0);
        for (const auto& [trend, n] : tallies.trends) {
            sum.trend_cells[trend] = n;
        }
    }
    for (const auto& [bin, n] : tallies.bins) {
        (bin >= 0 ? sum.hot_cells[bin] : sum.cold_cells[-bin]) = n;
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto& h : store::read_hotspots(store, run_id)) {
        HotspotSummary hs;
        hs.code = h.code;
        hs.rank = h.rank;
        hs.name = h.name;
        hs.cells = h.cells;
        hs.area_m2 = h.area_m2;
        hs.incidents = h.incidents;
        hs.density_km2 = h.density_km2;
        hs.share = h.share;
        hs.pai = h.pai;
        hs.mean_z = h.mean_z.value_or(nan);
        hs.max_z = h.max_z.value_or(nan);
        hs.confidence = h.confidence.value_or(0);
        hs.peak_density = h.peak_density.value_or(0);
        hs.trend = h.trend;
        hs.trend_class = h.trend_class;
        hs.expected = h.expected.value_or(nan);
        sum.hotspots.push_back(std::move(hs));
    }
    return sum;
}

namespace {

// A hotspot before ranking, naming and identity.
struct Candidate {
    HotspotSummary s;
    std::string wkb;
    std::vector<std::int64_t> cells;      // grid methods
    std::vector<std::size_t> points;      // indices of the points inside (for names)
};

// Thresholds for KDE hotspots: "mean:K" or "top:F".
double kde_threshold(const std::string& spec, std::vector<double> densities, std::string& described) {
    const auto colon = spec.find(':');
    const std::string kind = spec.substr(0, colon);
    const auto value = colon == std::string::npos ? std::optional<double>{} : parse_double(spec.substr(colon + 1));
    if (!value || !(*value > 0)) {
        throw UsageError("--threshold must be mean:K (K x the mean density) or top:F (the top share F of cells), not '" +
                         spec + "'");
    }
    if (kind == "mean") {
        double sum = 0;
        for (const double d : densities) {
            sum += d;
        }
        const double mean = densities.empty() ? 0 : sum / static_cast<double>(densities.size());
        char text[96];
        std::snprintf(text, sizeof text, "%g x the mean density of the study cells", *value);
        described = text;
        return *value * mean;
    }
    if (kind == "top") {
        if (*value >= 1) {
            throw UsageError("--threshold top:F needs a share F between 0 and 1, such as top:0.01");
        }
        std::sort(densities.begin(), densities.end(), std::greater<>());
        const auto k = static_cast<std::size_t>(std::ceil(*value * static_cast<double>(densities.size())));
        char text[96];
        std::snprintf(text, sizeof text, "the top %g %% of study cells by density", *value * 100);
        described = text;
        return k == 0 ? densities.front() : densities[std::min(k, densities.size()) - 1];
    }
    throw UsageError("--threshold must be mean:K or top:F, not '" + spec + "'");
}

// The study cells: those whose square intersects the area. Blocks of 32 x 32
// cells are tested first, so only cells near the boundary cost a GEOS test.
std::vector<char> study_mask(const Grid& grid, const geo::StudyArea& area) {
    std::vector<char> mask(static_cast<std::size_t>(grid.size()), 1);
    if (!area.has_polygon()) {
        return mask;
    }
    constexpr int block = 32;
    const double cs = grid.cell_size();
    for (int by = 0; by < grid.rows(); by += block) {
        for (int bx = 0; bx < grid.columns(); bx += block) {
            const int ex = std::min(bx + block, grid.columns());
            const int ey = std::min(by + block, grid.rows());
            const double x0 = grid.origin_x() + bx * cs;
            const double y0 = grid.origin_y() + by * cs;
            const double x1 = grid.origin_x() + ex * cs;
            const double y1 = grid.origin_y() + ey * cs;
            char fill = -1; // -1: mixed, test each cell
            if (!area.intersects_box(x0, y0, x1, y1)) {
                fill = 0;
            } else if (area.covers_box(x0, y0, x1, y1)) {
                fill = 1;
            }
            for (int y = by; y < ey; ++y) {
                for (int x = bx; x < ex; ++x) {
                    const auto i = static_cast<std::int64_t>(y) * grid.columns() + x;
                    if (fill >= 0) {
                        mask[static_cast<std::size_t>(i)] = fill;
                    } else {
                        const auto b = grid.cell_bounds(i);
                        mask[static_cast<std::size_t>(i)] = area.intersects_box(b.minx, b.miny, b.maxx, b.maxy) ? 1 : 0;
                    }
                }
            }
        }
    }
    return mask;
}

// Monthly Gi* on the run's grid, then per study cell: the Emerging Hot Spot
// Analysis category, the Mann-Kendall trend of its z-scores and an
// sfhotspot-style class. Significance per month: FDR-adjusted q <= 0.05.
void add_trends(store::Store& store, const store::IncidentQuery& query, const Grid& grid,
                const std::vector<char>& in_area, double band, const std::vector<WeightedPoint>& points,
                const std::vector<std::int64_t>& point_location, const std::vector<std::string>& stored,
                RunSummary& sum, std::vector<store::CellRecord>& cells, nlohmann::json& params) {
    std::vector<std::string> months;
    for (const auto& m : stored) {
        if (m >= query.from && m <= query.to) {
            months.push_back(m);
        }
    }
    if (months.size() < 3) {
        throw UsageError("trends need at least 3 months; the period has " + std::to_string(months.size()));
    }
    std::unordered_map<std::int64_t, std::size_t> point_of_location;
    for (std::size_t i = 0; i < point_location.size(); ++i) {
        point_of_location.emplace(point_location[i], i);
    }
    std::unordered_map<std::string, std::size_t> month_index;
    for (std::size_t m = 0; m < months.size(); ++m) {
        month_index.emplace(months[m], m);
    }
    std::vector<std::vector<double>> counts(months.size(), std::vector<double>(static_cast<std::size_t>(grid.size()), 0.0));
    for (const auto& lm : store::location_month_counts(store, query)) {
        const auto p = point_of_location.find(lm.location_id);
        const auto m = month_index.find(lm.month);
        if (p == point_of_location.end() || m == month_index.end()) {
            continue; // outside the area
        }
        const auto cell = grid.index_of(points[p->second].x, points[p->second].y);
        if (cell >= 0) {
            counts[m->second][static_cast<std::size_t>(cell)] += lm.count;
        }
    }
    const auto n_cells = cells.size();
    std::vector<CellSeries> series(n_cells);
    std::vector<std::vector<bool>> hot(n_cells, std::vector<bool>(months.size()));
    std::vector<std::vector<bool>> cold(n_cells, std::vector<bool>(months.size()));
    for (std::size_t m = 0; m < months.size(); ++m) {
        const auto r = gistar_grid(grid, in_area, counts[m], band);
        for (std::size_t i = 0; i < n_cells; ++i) {
            const auto& c = r.cells[i];
            series[i].z.push_back(c.z);
            series[i].p.push_back(c.q);
            const bool sig = !std::isnan(c.q) && c.q <= 0.05;
            hot[i][m] = sig && c.z > 0;
            cold[i][m] = sig && c.z < 0;
        }
    }
    for (std::size_t i = 0; i < n_cells; ++i) {
        auto& cell = cells[i];
        cell.trend = emerging_category(series[i], 0.05);
        cell.trend_class = classify_category(hot[i], cold[i]);
        std::vector<double> z = series[i].z;
        for (double& v : z) {
            if (std::isnan(v)) {
                v = 0;
            }
        }
        const auto mk = mann_kendall(z);
        cell.mk_tau = mk.tau;
        cell.mk_p = mk.p;
        if (cell.trend != "no pattern detected") {
            ++sum.trend_cells[cell.trend];
        }
    }
    sum.trend_months = static_cast<int>(months.size());
    params["trends"] = {{"time_step", "month"},
                        {"months", months.size()},
                        {"significance", "FDR-adjusted q <= 0.05 within each month"},
                        {"emerging", "ArcGIS Pro Emerging Hot Spot Analysis rules, Mann-Kendall on monthly z"},
                        {"classify", "sfhotspot-style: hotspot_prop 0.1, persistent_prop 0.8, recent_prop 0.2"}};
}

} // namespace

namespace {

// Patrol hotspots (hotspot/patrol.hpp): each location weighted by its recency-weighted
// mean monthly count over the stored months of the period; the core of each hotspot
// tested with Gi* on 100 m cells (band 100 x sqrt(2) m: the 3 x 3 block) with FDR.
void patrol_candidates(store::Store& store, const store::IncidentQuery& query, const std::vector<std::string>& months,
                       const std::string& month_from, const std::string& month_to, const HotspotOptions& opt,
                       const geo::StudyArea& area, const std::vector<WeightedPoint>& points,
                       const std::vector<std::int64_t>& point_location, const geo::Context& ctx, RunSummary& sum,
                       nlohmann::json& params, std::vector<Candidate>& candidates) {
    std::vector<std::string> period_months;
    for (const auto& m : months) {
        if (m >= month_from && m <= month_to) {
            period_months.push_back(m);
        }
    }
    const auto weights = recency_weights(period_months, opt.half_life);
    double weight_sum = 0;
    std::unordered_map<std::string, double> weight_of;
    for (std::size_t i = 0; i < period_months.size(); ++i) {
        weight_of.emplace(period_months[i], weights[i]);
        weight_sum += weights[i];
    }
    std::unordered_map<std::int64_t, double> rate;
    for (const auto& c : store::location_month_counts(store, query)) {
        if (const auto it = weight_of.find(c.month); it != weight_of.end()) {
            rate[c.location_id] += it->second * c.count / weight_sum;
        }
    }
    std::vector<WeightedPoint> expected(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto it = rate.find(point_location[i]);
        expected[i] = WeightedPoint{points[i].x, points[i].y, it == rate.end() ? 0.0 : it->second};
    }
    PatrolOptions po;
    po.count = opt.count;
    po.max_area_m2 = (opt.max_area_km2 > 0 ? opt.max_area_km2 : default_max_area_km2) * 1e6;
    po.max_diameter_m = opt.max_diameter;
    po.cell_size = opt.patrol_cell;
    const auto result = patrol_hotspots(expected, po);
    sum.count = opt.count;
    sum.max_area_km2 = po.max_area_m2 / 1e6;
    sum.max_diameter = result.max_diameter;
    sum.half_life = opt.half_life;
    sum.expected_total = result.total;
    sum.cell_size = 0;

    // Gi* of the cores: 100 m cells over the study area.
    constexpr double core_cell = 100;
    const auto ab = area.bounds();
    const Grid grid{Bounds{ab[0], ab[1], ab[2], ab[3]}, core_cell};
    std::optional<GistarResult> gi;
    std::unordered_map<std::int64_t, std::size_t> gi_pos;
    if (grid.size() <= 40'000'000) {
        const auto mask = study_mask(grid, area);
        gi.emplace(gistar_grid(grid, mask, grid.counts(points), core_cell * std::sqrt(2.0)));
        for (std::size_t i = 0; i < gi->cells.size(); ++i) {
            gi_pos.emplace(gi->cells[i].cell, i);
        }
    } else {
        sum.notes.push_back("the study area is too large for the Gi* test of the hotspot cores (" +
                            with_commas(grid.size()) + " cells of 100 m): give --area");
    }
    for (const auto& h : result.hotspots) {
        Candidate cand;
        std::vector<std::array<double, 4>> boxes;
        for (const auto& c : h.cells) {
            boxes.push_back(cell_box(c, po.cell_size));
        }
        cand.wkb = ctx.dissolve_boxes(boxes).wkb();
        cand.points = h.points;
        cand.s.cells = static_cast<std::int64_t>(h.cells.size());
        cand.s.area_m2 = static_cast<double>(h.cells.size()) * po.cell_size * po.cell_size;
        cand.s.expected = h.expected;
        std::map<std::int64_t, double> per_core;
        for (const auto i : h.points) {
            cand.s.incidents += points[i].weight;
            per_core[grid.index_of(points[i].x, points[i].y)] += points[i].weight;
        }
        cand.s.mean_z = cand.s.max_z = std::numeric_limits<double>::quiet_NaN();
        if (gi) {
            // The core: the 100 m cell holding most of the hotspot's incidents.
            const auto core = std::max_element(per_core.begin(), per_core.end(),
                                               [](const auto& a, const auto& b) { return a.second < b.second; });
            double zsum = 0;
            int zn = 0;
            for (const auto& [cell, n] : per_core) {
                if (const auto it = gi_pos.find(cell); it != gi_pos.end()) {
                    zsum += gi->cells[it->second].z;
                    ++zn;
                }
            }
            if (zn > 0) {
                cand.s.mean_z = zsum / zn;
            }
            if (core != per_core.end()) {
                if (const auto it = gi_pos.find(core->first); it != gi_pos.end()) {
                    const auto& c = gi->cells[it->second];
                    cand.s.max_z = c.z;
                    cand.s.confidence = c.bin >= 3 ? 99 : c.bin == 2 ? 95 : c.bin == 1 ? 90 : 0;
                }
            }
            if (cand.s.confidence < 95) {
                ++sum.not_significant;
            }
        }
        candidates.push_back(std::move(cand));
    }
    if (static_cast<int>(result.hotspots.size()) < opt.count) {
        sum.notes.push_back("only " + std::to_string(result.hotspots.size()) + " of the " + std::to_string(opt.count) +
                            " hotspots asked for: the other places hold no incidents in the period");
    }
    if (sum.not_significant > 0) {
        sum.notes.push_back(std::to_string(sum.not_significant) +
                            " hotspot(s) are not significant: the core (the 100 m cell holding most of the "
                            "hotspot's incidents) is not a Gi* hot spot at 95 % after the FDR adjustment; "
                            "read them as busy places, not as proven concentrations");
    }
    params["count"] = opt.count;
    params["max_area_km2"] = sum.max_area_km2;
    params["max_diameter_m"] = sum.max_diameter;
    params["fine_cell_m"] = po.cell_size;
    params["bridge_m"] = po.bridge;
    params["half_life_months"] = opt.half_life;
    params["weighting"] = "expected rate per location = sum_m w_m n_m / sum_m w_m, w_m = 2^(-age_m / half_life), "
                          "over the stored months of the period";
    params["selection"] = "lazy greedy maximum coverage of rook-connected fine cells grown from seeds";
    params["core_test"] = "Gi* on 100 m cells, band 141.4 m, normal p, Benjamini-Hochberg FDR";
    params["months_weighted"] = period_months.size();
    params["expected_total_per_month"] = result.total;
    char line[240];
    std::snprintf(line, sizeof line,
                  "%d hotspots of at most %.2f km2 and %.0f m across, %g m cells, recency half-life %g months",
                  opt.count, sum.max_area_km2, sum.max_diameter, po.cell_size, opt.half_life);
    sum.parameters = line;
}

} // namespace

namespace {

// The series a run's hotspot codes continue: the method with the parameters that shape its
// hotspots, and the force ("gistar cell 250 m, band 0 m, 95%"; 0 is the default rule). Runs of
// one series hand codes on; a trial with other parameters starts its own series.
std::string series_key(const HotspotOptions& opt, const std::string& force) {
    auto value = [](double v, const char* unit) {
        char text[48];
        std::snprintf(text, sizeof text, "%g%s", v, unit);
        return v == 0 ? std::string{"default"} : std::string{text};
    };
    std::string key;
    if (opt.method == "gistar") {
        key = "gistar cell " + value(opt.cell_size, " m") + ", band " + value(opt.band, " m") + ", " +
              std::to_string(opt.confidence) + "%";
    } else if (opt.method == "kde") {
        key = "kde cell " + value(opt.cell_size, " m") + ", " + opt.kernel + ", bandwidth " +
              value(opt.bandwidth, " m") + ", " + opt.threshold;
    } else if (opt.method == "dbscan") {
        key = "dbscan eps " + value(opt.eps, " m") + ", min-pts " + value(opt.min_pts, "");
    } else {
        key = "patrol count " + std::to_string(opt.count) + ", diameter " + value(opt.max_diameter, " m") +
              ", half-life " + value(opt.half_life, " months");
    }
    key += ", max-area " + value(opt.max_area_km2, " km2");
    return force.empty() ? key : key + "; " + force;
}

// The study area of a run without --area, derived from the bundled force areas; the
// points far outside it are reported (how many, how far, where) and left out.
std::optional<geo::StudyArea> derived_area(store::Store& store, const store::IncidentQuery& query,
                                           const std::vector<store::LocationCount>& located, RunSummary& sum) {
    std::string path;
    try {
        path = geo::bundled_geodata();
    } catch (const Error& e) {
        sum.notes.push_back(std::string{"no study area: "} + e.what() +
                            "; the data's extent is used, so stray points stretch the grid: give --area");
        return std::nullopt;
    }
    std::vector<std::array<double, 3>> xyw;
    xyw.reserve(located.size());
    for (const auto& l : located) {
        xyw.push_back({l.easting, l.northing, l.count});
    }
    if (xyw.empty()) {
        return std::nullopt;
    }
    const auto forces = query.force.empty() ? store::stored_forces(store, query.source, query.from, query.to)
                                            : std::vector<std::string>{query.force};
    auto d = geo::derive_study_area(xyw, forces, path);
    sum.notes.push_back("study area: " + d.how);
    const bool welsh = std::any_of(forces.begin(), forces.end(), geo::is_welsh_force);
    if (d.hull && welsh) {
        sum.notes.push_back("Welsh force: hotref bundles the boundaries of the 39 English forces only, so the study "
                            "area is a hull of the points, not the force area; give --area with the force's boundary "
                            "(for example its districts from ONS) for PAI and Gi* over the true force area");
    } else if (d.hull) {
        sum.notes.push_back("no bundled boundary fits this feed: the study area is a hull of its points; give --area "
                            "with the force's own boundary for PAI and Gi* over the true force area");
    }
    if (d.outside_points > 0) {
        std::vector<std::size_t> by_weight = d.outside;
        std::sort(by_weight.begin(), by_weight.end(), [&](std::size_t a, std::size_t b) {
            return located[a].count != located[b].count ? located[a].count > located[b].count : a < b;
        });
        by_weight.resize(std::min<std::size_t>(by_weight.size(), 3));
        std::vector<std::int64_t> ids;
        for (const auto i : by_weight) {
            ids.push_back(located[i].location_id);
        }
        const auto labels = store::location_labels(store, ids);
        std::string where;
        for (std::size_t k = 0; k < by_weight.size(); ++k) {
            char one[200];
            std::snprintf(one, sizeof one, "%s%s (%.0f, %.0f: %s)", k == 0 ? "" : "; ",
                          labels[k].lsoa_name.empty() ? "?" : labels[k].lsoa_name.c_str(),
                          located[by_weight[k]].easting, located[by_weight[k]].northing,
                          with_commas(static_cast<std::int64_t>(located[by_weight[k]].count)).c_str());
            where += one;
        }
        char msg[600];
        std::snprintf(msg, sizeof msg,
                      "%s incident(s) at %zu location(s) lie outside the study area, up to %.1f km away, and are left "
                      "out of the grid (busiest: %s); 'hotref status --rejects' lists lines rejected at ingest",
                      with_commas(static_cast<std::int64_t>(d.outside_weight)).c_str(), d.outside_points,
                      d.farthest_km, where.c_str());
        sum.notes.push_back(msg);
        sum.stray_points = static_cast<std::int64_t>(d.outside_points);
        sum.stray_km = d.farthest_km;
    }
    return std::move(d.area);
}

// Splits hotspots larger than `cap` m2: patrol hotspots grown from the parent's own
// incidents (as many as it takes), each clipped to the parent's polygon.
std::vector<Candidate> split_oversized(std::vector<Candidate> candidates, const std::vector<WeightedPoint>& points,
                                       double cap, const geo::Context& ctx) {
    std::vector<Candidate> out;
    for (auto& c : candidates) {
        if (!(c.s.area_m2 > cap + 1e-6)) {
            out.push_back(std::move(c));
            continue;
        }
        std::vector<WeightedPoint> own;
        for (const auto i : c.points) {
            own.push_back(points[i]);
        }
        PatrolOptions po;
        po.count = 100000;
        po.max_area_m2 = cap;
        po.cell_size = std::min(50.0, std::sqrt(cap));
        const auto pieces = patrol_hotspots(own, po);
        const geo::PreparedGeometry parent{ctx, ctx.from_wkb(c.wkb)};
        for (const auto& piece : pieces.hotspots) {
            // The piece's fine cells whose centres lie in the parent (cells of 50 m nest in grid
            // cells of multiples of 50 m, so a grid hotspot's piece lies wholly inside it).
            std::vector<std::array<double, 4>> boxes;
            std::set<std::pair<std::int64_t, std::int64_t>> kept;
            for (const auto& cell : piece.cells) {
                const auto b = cell_box(cell, po.cell_size);
                if (parent.covers_point((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)) {
                    boxes.push_back(b);
                    kept.emplace(cell.col, cell.row);
                }
            }
            if (boxes.empty()) {
                continue;
            }
            const auto clipped = ctx.dissolve_boxes(boxes);
            Candidate part;
            part.s = c.s;
            part.s.cells = 0;
            part.s.incidents = 0;
            part.s.area_m2 = clipped.area();
            if (!(part.s.area_m2 > 0)) {
                continue;
            }
            for (const auto j : piece.points) {
                const auto& pt = points[c.points[j]];
                const auto col = static_cast<std::int64_t>(std::floor(pt.x / po.cell_size));
                const auto row = static_cast<std::int64_t>(std::floor(pt.y / po.cell_size));
                if (kept.count({col, row}) != 0) {
                    part.points.push_back(c.points[j]);
                    part.s.incidents += pt.weight;
                }
            }
            part.wkb = clipped.wkb();
            out.push_back(std::move(part));
        }
    }
    return out;
}

} // namespace

RunSummary run_hotspots(store::Store& store, const HotspotOptions& opt) {
    const auto start = std::chrono::steady_clock::now();
    if (opt.method != "patrol" && opt.method != "gistar" && opt.method != "kde" && opt.method != "dbscan") {
        throw UsageError("unknown method '" + opt.method + "'; use patrol, gistar, kde or dbscan");
    }
    if (opt.method == "patrol") {
        if (opt.count < 1 || opt.count > 500) {
            throw UsageError("--count must be between 1 and 500, not " + std::to_string(opt.count));
        }
        if (opt.max_area_km2 < 0 || opt.max_area_km2 > 25) {
            throw UsageError("--max-area is in km2 and must be above 0 and at most 25 (a patrol covers 0.05 to 1 km2)");
        }
        if (opt.max_diameter < 0) {
            throw UsageError("--max-diameter must be above 0 metres");
        }
        if (!(opt.half_life > 0)) {
            throw UsageError("--half-life must be above 0 months");
        }
        if (opt.cell_size > 0 || opt.band > 0) {
            throw UsageError("--cell-size and --band are for --method gistar or kde; patrol hotspots are made of " +
                             std::to_string(static_cast<int>(opt.patrol_cell)) + " m cells (size them with --max-area)");
        }
    } else if (opt.max_area_km2 < 0) {
        throw UsageError("--max-area must be above 0 km2");
    }
    const int min_bin = bin_for_confidence(opt.confidence);
    const Kernel kernel = kernel_from_name(opt.kernel);
    if (!opt.geotiff.empty() && opt.method != "kde") {
        throw UsageError("--geotiff writes the KDE surface: use it with --method kde");
    }
    if (opt.trends && opt.method != "gistar") {
        throw UsageError("--trends works with --method gistar (monthly Gi* per cell)");
    }
    if (opt.method == "dbscan" && (!(opt.eps > 0) || !(opt.min_pts >= 1))) {
        throw UsageError("DBSCAN needs --eps above 0 metres and --min-pts of at least 1");
    }
    RunSummary sum;
    sum.method = opt.method;
    sum.source = resolve_source(store, opt.source);

    // --- The force, and the period: whole months (YYYY-MM), or dates where the source has times ---
    sum.force = store::resolve_force(store, opt.force, sum.source, "hotspots");
    const auto months = store::stored_months(store, sum.source, sum.force);
    if (months.empty()) {
        throw Error("the store holds no " + sum.source + " incidents" +
                    (sum.force.empty() ? std::string{} : " of " + sum.force) + "; ingest them first (hotref ingest)");
    }
    if (!opt.from.empty() && opt.to.empty() && opt.from.substr(0, 7) > months.back()) {
        throw Error("nothing stored from " + opt.from + " on: the store holds " + months.front() + " to " +
                    months.back());
    }
    if (!opt.to.empty() && opt.from.empty() && opt.to.substr(0, 7) < months.front()) {
        throw Error("nothing stored up to " + opt.to + ": the store holds " + months.front() + " to " + months.back());
    }
    sum.period_from = opt.from.empty() ? months.front() : opt.from;
    sum.period_to = opt.to.empty() ? months.back() : opt.to;
    const bool dated = sum.period_from.size() == 10 || sum.period_to.size() == 10;
    std::string month_from = sum.period_from.substr(0, 7);
    std::string month_to = sum.period_to.substr(0, 7);
    for (const auto* m : {&sum.period_from, &sum.period_to}) {
        const bool ok = m->size() == 10 ? parse_datetime(*m, "%Y-%m-%d").has_value() : Month::parse(*m).has_value();
        if (!ok) {
            throw UsageError("bad period bound '" + *m + "' (expected YYYY-MM, or YYYY-MM-DD where the source has times)");
        }
    }
    if (dated && sum.source != "force-export") {
        throw UsageError("dates need incident times, which " + sum.source +
                         " does not publish (it gives months): use YYYY-MM, or --source force-export");
    }
    if (sum.period_to < sum.period_from) {
        throw UsageError("the period ends (" + sum.period_to + ") before it starts (" + sum.period_from + ")");
    }
    const auto in_period = std::count_if(months.begin(), months.end(), [&](const auto& m) {
        return m >= month_from && m <= month_to;
    });
    if (in_period == 0) {
        throw Error("no months stored between " + sum.period_from + " and " + sum.period_to + " (stored: " +
                    months.front() + " to " + months.back() + ")");
    }
    // Never a silent zero: a month of the period that is not stored is named, and refused
    // unless the user accepts the gap.
    sum.missing_months = store::missing_months(store, sum.source, month_from, month_to, sum.force);
    if (!sum.missing_months.empty()) {
        const auto named = store::month_list(sum.missing_months);
        if (!opt.allow_gaps) {
            throw Error("the period " + month_from + " to " + month_to + " has " +
                        std::to_string(sum.missing_months.size()) + " month(s) not in the store: " + named +
                        "; ingest them, give a period without them (--from/--to), or --allow-gaps to run on the " +
                        std::to_string(in_period) + " stored month(s)");
        }
        sum.notes.push_back("months not in the store, left out (--allow-gaps): " + named);
    }

    // --- Incidents per location, the area, and the fingerprint ------------------
    store::IncidentQuery query;
    query.from = month_from;
    query.to = month_to;
    query.source = sum.source;
    query.force = sum.force;
    if (dated) {
        query.date_from = sum.period_from.size() == 10 ? sum.period_from : sum.period_from + "-01";
        query.date_to = sum.period_to.size() == 10 ? sum.period_to : sum.period_to + "-31";
    }
    query.category_ids = resolve_categories(store, opt.categories, sum.categories);
    std::string categories_text;
    for (const auto& c : sum.categories) {
        categories_text += (categories_text.empty() ? "" : ",") + c;
    }
    std::optional<geo::StudyArea> area;
    if (!opt.area_path.empty()) {
        area.emplace(geo::StudyArea::from_file(opt.area_path, opt.area_layer));
    }
    const auto located = store::location_counts(store, query);
    if (!area) {
        // Never the bounding box of every point: the force's own districts (geo/force_area.hpp).
        area = derived_area(store, query, located, sum);
    }
    {
        // Same request, same feeds, same software: the stored run is the answer.
        nlohmann::json request{{"method", opt.method}, {"from", sum.period_from},   {"to", sum.period_to},
                               {"categories", sum.categories}, {"source", sum.source},
                               {"area", area ? Sha256::of(area->wkb()) : ""}, {"software", HOTREF_VERSION}};
        if (opt.method == "gistar") {
            request["cell_size"] = opt.cell_size;
            request["band"] = opt.band;
            request["confidence"] = opt.confidence;
            request["trends"] = opt.trends;
            request["permutations"] = opt.permutations;
            request["seed"] = opt.seed;
        } else if (opt.method == "kde") {
            request["cell_size"] = opt.cell_size;
            request["kernel"] = kernel_name(kernel);
            request["bandwidth"] = opt.bandwidth;
            request["threshold"] = opt.threshold;
        } else if (opt.method == "dbscan") {
            request["eps"] = opt.eps;
            request["min_pts"] = opt.min_pts;
        } else {
            request["count"] = opt.count;
            request["max_diameter"] = opt.max_diameter;
            request["half_life"] = opt.half_life;
            request["patrol_cell"] = opt.patrol_cell;
        }
        request["max_area_km2"] = opt.max_area_km2;
        request["force"] = sum.force;
        request["missing_months"] = sum.missing_months;
        sum.fingerprint = store::run_fingerprint(store, request.dump(), sum.source, month_from, month_to);
        if (!opt.rerun && opt.geotiff.empty()) {
            if (const auto existing = store::run_with_fingerprint(store, sum.fingerprint)) {
                return load_run_summary(store, existing);
            }
        }
    }
    std::vector<WeightedPoint> points;
    std::vector<std::int64_t> point_location;
    points.reserve(located.size());
    for (const auto& l : located) {
        if (area && !area->contains(l.easting, l.northing)) {
            sum.incidents_outside += l.count;
            continue;
        }
        points.push_back(WeightedPoint{l.easting, l.northing, l.count});
        point_location.push_back(l.location_id);
        sum.incidents += l.count;
    }
    sum.locations = static_cast<std::int64_t>(points.size());
    if (sum.incidents < min_incidents || points.size() < 3) {
        const char* label = opt.method == "gistar" ? "Gi*" : opt.method == "kde" ? "KDE" : opt.method == "dbscan" ? "DBSCAN" : "patrol hotspots";
        throw Error(std::string{"too few incidents for "} + label + " to mean anything: " +
                    with_commas(static_cast<std::int64_t>(sum.incidents)) + " at " + std::to_string(points.size()) +
                    " locations (at least " + std::to_string(static_cast<int>(min_incidents)) +
                    " needed); widen the period or the categories");
    }
    const Bounds data_bounds = bounds_of(points);
    if (!area) {
        area.emplace(geo::StudyArea::envelope("data extent", data_bounds.minx, data_bounds.miny, data_bounds.maxx,
                                              data_bounds.maxy));
    }
    sum.area = area->name();
    geo::Context ctx;
    nlohmann::json params{{"method", sum.method}, {"period_from", sum.period_from}, {"period_to", sum.period_to},
                          {"categories", sum.categories}, {"source", sum.source}, {"area", sum.area},
                          {"force", sum.force}, {"series", series_key(opt, sum.force)}};
    if (!sum.missing_months.empty()) {
        params["missing_months"] = sum.missing_months;
    }

    // --- The method --------------------------------------------------------------
    std::vector<Candidate> candidates;
    std::vector<store::CellRecord> cells;
    std::vector<store::LocationRecord> location_records;
    std::vector<store::RasterRecord> rasters;
    std::optional<Grid> grid;
    double study_area_m2 = area->has_polygon() ? area->area_m2() : 0;

    if (opt.method == "gistar" || opt.method == "kde") {
        sum.cell_size_default = opt.cell_size <= 0;
        sum.cell_size = sum.cell_size_default ? default_cell_size(data_bounds) : opt.cell_size;
        if (!(sum.cell_size > 0)) {
            throw Error("all incidents are at one place; a grid needs incidents spread over an area");
        }
        const auto ab = area->bounds();
        grid.emplace(area->has_polygon() ? Bounds{ab[0], ab[1], ab[2], ab[3]} : data_bounds, sum.cell_size);
        sum.columns = grid->columns();
        sum.rows = grid->rows();
        const std::vector<char> in_area = study_mask(*grid, *area);
        const auto counts = grid->counts(points);
        std::vector<std::vector<std::int64_t>> components;
        std::unordered_map<std::int64_t, std::size_t> cell_pos;
        params["cell_size_m"] = sum.cell_size;
        params["cell_size_rule"] = sum.cell_size_default
                                       ? "sfhotspot: shorter side of the data's bounding box / 50, floored to 100 m"
                                       : "given";
        params["grid_origin"] = {grid->origin_x(), grid->origin_y()};
        params["grid_size"] = {grid->columns(), grid->rows()};
        params["contiguity"] = "rook (shared edges)";

        if (opt.method == "gistar") {
            sum.band = opt.band > 0 ? opt.band : sum.cell_size * std::sqrt(2.0);
            if (sum.band < sum.cell_size) {
                char msg[160];
                std::snprintf(msg, sizeof msg,
                              "a band of %g m is smaller than a cell (%g m): each cell would be its own only neighbour",
                              sum.band, sum.cell_size);
                throw UsageError(msg);
            }
            if (opt.permutations < 0 || opt.permutations > 99999) {
                throw UsageError("--permutations must be between 0 and 99999");
            }
            const auto result = gistar_grid(*grid, in_area, counts, sum.band, opt.permutations, opt.seed);
            sum.study_cells = static_cast<std::int64_t>(result.cells.size());
            sum.neighbours = result.neighbours_max;
            sum.mean = result.mean;
            sum.variance = result.variance;
            if (!(result.variance > 0)) {
                throw Error("every cell has the same count; Gi* cannot find hot or cold spots in uniform data");
            }
            for (std::size_t i = 0; i < result.cells.size(); ++i) {
                const auto& c = result.cells[i];
                (c.bin >= 0 ? sum.hot_cells[c.bin] : sum.cold_cells[-c.bin]) += 1;
                cell_pos.emplace(c.cell, i);
                store::CellRecord r;
                r.cell = c.cell;
                r.col = grid->column_of(c.cell);
                r.row = grid->row_of(c.cell);
                r.count = c.count;
                r.z = c.z;
                r.p = c.p;
                r.q = c.q;
                r.bin = c.bin;
                cells.push_back(r);
            }
            components = hot_components(*grid, result, min_bin);
            if (opt.trends) {
                add_trends(store, query, *grid, in_area, sum.band, points, point_location, months, sum, cells, params);
            }
            params["band_m"] = sum.band;
            params["weights"] = "binary, self included (Gi*)";
            params["neighbours_interior"] = sum.neighbours;
            if (opt.permutations > 0) {
                const double p_min = 2.0 / (opt.permutations + 1.0);
                const double alpha = opt.confidence == 99 ? 0.01 : opt.confidence == 95 ? 0.05 : 0.10;
                const double needed = std::ceil(p_min * static_cast<double>(sum.study_cells) / alpha);
                if (needed > 1) {
                    sum.notes.push_back("with " + std::to_string(opt.permutations) + " permutations the smallest pseudo p is " +
                                        std::to_string(p_min) + ": after the FDR adjustment over " +
                                        with_commas(sum.study_cells) + " cells, " + std::to_string(opt.confidence) +
                                        " % needs at least " + with_commas(static_cast<std::int64_t>(needed)) +
                                        " cells that small; use more permutations for a fine grid");
                }
                params["inference"] = "conditional randomisation, two-sided pseudo p";
                params["permutations"] = opt.permutations;
                params["seed"] = opt.seed;
            } else {
                params["inference"] = "normal approximation, two-sided";
            }
            params["multiple_testing"] = "Benjamini-Hochberg FDR";
            params["hotspot_confidence"] = opt.confidence;
            params["mean_per_cell"] = sum.mean;
            params["variance_per_cell"] = sum.variance;
            char line[160];
            std::snprintf(line, sizeof line, "band %.1f m (%d cells with itself), binary weights, %s, hotspots at %d%%",
                          sum.band, sum.neighbours,
                          opt.permutations > 0 ? ("p from " + std::to_string(opt.permutations) + " permutations").c_str()
                                               : "normal p",
                          opt.confidence);
            sum.parameters = line;
        } else {
            sum.kernel = kernel_name(kernel);
            sum.bandwidth_default = opt.bandwidth <= 0;
            sum.bandwidth = sum.bandwidth_default ? rule_of_thumb_bandwidth(points) : opt.bandwidth;
            if (sum.bandwidth < sum.cell_size) {
                throw UsageError("a bandwidth of " + std::to_string(static_cast<long long>(sum.bandwidth)) +
                                 " m is smaller than a cell (" + std::to_string(static_cast<long long>(sum.cell_size)) +
                                 " m): the surface would be spikes at the incidents; use a larger --bandwidth or a "
                                 "smaller --cell-size");
            }
            if (sum.bandwidth_default && sum.bandwidth > 2000) {
                char msg[240];
                std::snprintf(msg, sizeof msg,
                              "the rule-of-thumb bandwidth is %.0f m: the rule assumes one cluster, and spread-out data "
                              "give a county-wide blur; for hotspots in towns give --bandwidth (300 to 500 m is usual)",
                              sum.bandwidth);
                sum.notes.push_back(msg);
            }
            const auto surface = kde(*grid, points, sum.bandwidth, kernel);
            std::vector<double> study_densities;
            for (std::int64_t i = 0; i < grid->size(); ++i) {
                if (in_area[static_cast<std::size_t>(i)] != 0) {
                    study_densities.push_back(surface.scaled[static_cast<std::size_t>(i)] * 1e6);
                }
            }
            sum.study_cells = static_cast<std::int64_t>(study_densities.size());
            std::string described;
            sum.threshold_density = kde_threshold(opt.threshold, study_densities, described);
            std::vector<std::int64_t> above;
            for (std::int64_t i = 0; i < grid->size(); ++i) {
                if (in_area[static_cast<std::size_t>(i)] == 0) {
                    continue;
                }
                const double d = surface.scaled[static_cast<std::size_t>(i)] * 1e6;
                const bool hot = d >= sum.threshold_density && d > 0;
                if (hot) {
                    above.push_back(i);
                    sum.hot_cells[1] += 1;
                }
                if (!hot) {
                    continue; // the whole surface is stored as a raster; cells only where hot
                }
                cell_pos.emplace(i, cells.size());
                store::CellRecord r;
                r.cell = i;
                r.col = grid->column_of(i);
                r.row = grid->row_of(i);
                r.count = counts[static_cast<std::size_t>(i)];
                r.z = r.p = r.q = std::numeric_limits<double>::quiet_NaN();
                r.bin = hot ? 1 : 0;
                r.density = d;
                cells.push_back(r);
            }
            components = edge_components(*grid, above);
            {
                store::RasterRecord raster;
                raster.name = "density_km2";
                raster.columns = grid->columns();
                raster.rows = grid->rows();
                raster.origin_x = grid->origin_x();
                raster.origin_y = grid->origin_y();
                raster.cell_size = sum.cell_size;
                raster.values.resize(surface.scaled.size());
                for (std::size_t i = 0; i < raster.values.size(); ++i) {
                    raster.values[i] = in_area[i] != 0 ? static_cast<float>(surface.scaled[i] * 1e6)
                                                       : std::numeric_limits<float>::quiet_NaN();
                }
                store::RasterRecord raw = raster;
                raw.name = "raw";
                for (std::size_t i = 0; i < raw.values.size(); ++i) {
                    raw.values[i] = in_area[i] != 0 ? static_cast<float>(surface.raw[i])
                                                    : std::numeric_limits<float>::quiet_NaN();
                }
                rasters.push_back(std::move(raster));
                rasters.push_back(std::move(raw));
            }
            if (!opt.geotiff.empty()) {
                std::vector<double> per_km2(surface.scaled.size());
                for (std::size_t i = 0; i < per_km2.size(); ++i) {
                    per_km2[i] = in_area[i] != 0 ? surface.scaled[i] * 1e6 : std::numeric_limits<double>::quiet_NaN();
                }
                geo::write_geotiff(opt.geotiff, per_km2, grid->columns(), grid->rows(), grid->origin_x(),
                                   grid->origin_y(), sum.cell_size,
                                   "incidents per km2 (" + std::string{kernel_name(kernel)} + " KDE)");
            }
            params["kernel"] = sum.kernel;
            params["kernel_formula"] = "scaled to integrate to 1; density in incidents per km2";
            params["bandwidth_m"] = sum.bandwidth;
            params["bandwidth_rule"] = sum.bandwidth_default
                                           ? "4 x 1.06 x min(sd, IQR/1.34) x n^-1/5, weighted, mean of x and y"
                                           : "given";
            params["threshold"] = opt.threshold;
            params["threshold_described"] = described;
            params["threshold_density_km2"] = sum.threshold_density;
            char line[200];
            std::snprintf(line, sizeof line, "%s kernel, bandwidth %.0f m%s; hotspots: density >= %.1f per km2 (%s)",
                          sum.kernel.c_str(), sum.bandwidth, sum.bandwidth_default ? " (rule of thumb)" : "",
                          sum.threshold_density, described.c_str());
            sum.parameters = line;
        }
        if (!area->has_polygon()) {
            study_area_m2 = static_cast<double>(sum.study_cells) * sum.cell_size * sum.cell_size;
        }
        if (opt.method == "gistar" && opt.permutations == 0 && sum.study_cells > 0 &&
            sum.incidents / static_cast<double>(sum.study_cells) < 1.0) {
            char msg[320];
            std::snprintf(msg, sizeof msg,
                          "counts are sparse (%.2f incidents per cell on average): the normal approximation of Gi* "
                          "overstates significance for small counts; read single-incident hotspots with care, or use "
                          "a larger --cell-size, a longer period or --permutations",
                          sum.incidents / static_cast<double>(sum.study_cells));
            sum.notes.push_back(msg);
        }
        // Components -> candidates.
        std::unordered_map<std::int64_t, std::size_t> comp_of_cell;
        for (const auto& comp : components) {
            Candidate cand;
            std::vector<std::array<double, 4>> boxes;
            double zsum = 0;
            cand.s.max_z = -1e300;
            int min_level = 3;
            for (const auto cell : comp) {
                const auto& c = cells[cell_pos.at(cell)];
                const auto cb = grid->cell_bounds(cell);
                boxes.push_back({cb.minx, cb.miny, cb.maxx, cb.maxy});
                cand.s.incidents += c.count;
                zsum += c.z;
                cand.s.max_z = std::max(cand.s.max_z, c.z);
                min_level = std::min(min_level, c.bin);
                cand.s.peak_density = std::max(cand.s.peak_density, c.density.value_or(0));
            }
            if (cand.s.incidents <= 0) {
                ++sum.empty_hot_areas; // hot only through its neighbours: nothing of its own to patrol
                continue;
            }
            cand.s.cells = static_cast<std::int64_t>(comp.size());
            cand.s.area_m2 = static_cast<double>(comp.size()) * sum.cell_size * sum.cell_size;
            if (opt.method == "gistar") {
                cand.s.mean_z = zsum / static_cast<double>(comp.size());
                cand.s.confidence = min_level == 3 ? 99 : min_level == 2 ? 95 : 90;
            } else {
                cand.s.mean_z = cand.s.max_z = std::numeric_limits<double>::quiet_NaN();
            }
            cand.wkb = ctx.dissolve_boxes(boxes).wkb();
            cand.cells = comp;
            if (opt.trends) {
                // The category and class that most of the hotspot's incidents are in (cells without
                // incidents count with a small weight, so an empty tie still has an answer).
                std::map<std::string, double> by_trend;
                std::map<std::string, double> by_class;
                for (const auto cell : comp) {
                    const auto& c = cells[cell_pos.at(cell)];
                    by_trend[c.trend] += c.count + 1e-6;
                    by_class[c.trend_class] += c.count + 1e-6;
                }
                auto top = [](const std::map<std::string, double>& m) {
                    return std::max_element(m.begin(), m.end(), [](const auto& a, const auto& b) {
                               return a.second < b.second;
                           })->first;
                };
                cand.s.trend = top(by_trend);
                cand.s.trend_class = top(by_class);
            }
            for (const auto cell : comp) {
                comp_of_cell.emplace(cell, candidates.size());
            }
            candidates.push_back(std::move(cand));
        }
        for (std::size_t i = 0; i < points.size(); ++i) {
            const auto it = comp_of_cell.find(grid->index_of(points[i].x, points[i].y));
            if (it != comp_of_cell.end()) {
                candidates[it->second].points.push_back(i);
            }
        }
        if (sum.empty_hot_areas > 0) {
            sum.notes.push_back(std::to_string(sum.empty_hot_areas) +
                                " group(s) of hot cells hold no incident of their own (hot only through their "
                                "neighbours): kept in the cells, not made hotspots");
        }
    } else if (opt.method == "patrol") {
        patrol_candidates(store, query, months, month_from, month_to, opt, *area, points, point_location, ctx, sum,
                          params, candidates);
        if (!area->has_polygon()) {
            study_area_m2 = (data_bounds.width() + 100) * (data_bounds.height() + 100);
        }
    } else {
        // DBSCAN on the weighted locations.
        sum.eps = opt.eps;
        sum.min_pts = opt.min_pts;
        const auto result = dbscan(points, opt.eps, opt.min_pts);
        sum.clusters = result.clusters;
        std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(result.clusters));
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (result.label[i] >= 0) {
                members[static_cast<std::size_t>(result.label[i])].push_back(i);
            } else {
                sum.noise += points[i].weight;
            }
        }
        std::vector<int> candidate_of_cluster(members.size(), -1);
        for (std::size_t c = 0; c < members.size(); ++c) {
            Candidate cand;
            std::vector<std::array<double, 2>> xy;
            for (const auto i : members[c]) {
                xy.push_back({points[i].x, points[i].y});
                cand.s.incidents += points[i].weight;
            }
            const auto hull = ctx.hull_of_points(xy, 0.3, opt.eps / 2);
            cand.s.area_m2 = hull.area();
            cand.s.mean_z = cand.s.max_z = std::numeric_limits<double>::quiet_NaN();
            cand.wkb = hull.wkb();
            cand.points = members[c];
            candidate_of_cluster[c] = static_cast<int>(candidates.size());
            candidates.push_back(std::move(cand));
        }
        for (std::size_t i = 0; i < points.size(); ++i) {
            store::LocationRecord l;
            l.location_id = point_location[i];
            l.incidents = points[i].weight;
            l.core = result.core[i] != 0;
            l.hotspot = result.label[i] >= 0 ? candidate_of_cluster[static_cast<std::size_t>(result.label[i])] : -1;
            location_records.push_back(l);
        }
        if (!area->has_polygon()) {
            study_area_m2 = (data_bounds.width() + opt.eps) * (data_bounds.height() + opt.eps);
        }
        params["eps_m"] = opt.eps;
        params["min_pts"] = opt.min_pts;
        params["min_pts_counts"] = "the point itself and every incident at the same location";
        params["border_points"] = "join the cluster of their nearest core point (ties: lower cluster number)";
        params["polygons"] = "GEOS concave hull (ratio 0.3) of the cluster's locations, widened by eps/2";
        char line[200];
        std::snprintf(line, sizeof line, "eps %.0f m, minPts %.0f (itself and co-located incidents counted); "
                      "%d clusters, %s incidents as noise",
                      opt.eps, opt.min_pts, result.clusters, with_commas(static_cast<std::int64_t>(sum.noise)).c_str());
        sum.parameters = line;
    }

    // --- Hotspots too big for a patrol: reported, and split around their peaks with --max-area ---
    if (opt.method != "patrol") {
        const double cap = (opt.max_area_km2 > 0 ? opt.max_area_km2 : default_max_area_km2) * 1e6;
        for (const auto& c : candidates) {
            if (c.s.area_m2 > cap + 1e-6) {
                ++sum.oversized;
                sum.largest_km2 = std::max(sum.largest_km2, c.s.area_m2 / 1e6);
            }
        }
        params["oversized"] = sum.oversized;
        params["largest_km2"] = sum.largest_km2;
        if (opt.max_area_km2 > 0 && sum.oversized > 0) {
            candidates = split_oversized(std::move(candidates), points, cap, ctx);
            params["split"] = "hotspots over " + std::to_string(opt.max_area_km2) +
                              " km2 split into patrol hotspots of their own incidents (hotspot/patrol.hpp), "
                              "keeping the fine cells whose centres lie in the hotspot";
            sum.notes.push_back(std::to_string(sum.oversized) + " hotspot(s) larger than the cap were split around "
                                "their local peaks into pieces of at most " + std::to_string(opt.max_area_km2) +
                                " km2; their cells without incidents are left out");
            sum.oversized = 0;
        }
    }

    // --- Rank, measure and name ---------------------------------------------------
    for (auto& c : candidates) {
        c.s.density_km2 = c.s.incidents / (c.s.area_m2 / 1e6);
        c.s.share = c.s.incidents / sum.incidents;
        c.s.pai = study_area_m2 > 0 ? c.s.share / (c.s.area_m2 / study_area_m2) : 0;
    }
    std::vector<std::size_t> order(candidates.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const auto& x = candidates[a].s;
        const auto& y = candidates[b].s;
        if (opt.method == "patrol" && x.expected != y.expected) {
            return x.expected > y.expected; // the order picked: most expected incidents first
        }
        if (x.incidents != y.incidents) {
            return x.incidents > y.incidents;
        }
        return x.density_km2 > y.density_km2;
    });
    std::vector<Candidate> built;
    std::vector<int> new_index(candidates.size(), -1);
    for (const auto i : order) {
        new_index[i] = static_cast<int>(built.size());
        built.push_back(std::move(candidates[i]));
    }
    for (auto& c : cells) {
        // cells refer to candidates through the cell -> hotspot map built below
        c.hotspot = -1;
    }
    for (auto& l : location_records) {
        if (l.hotspot >= 0) {
            l.hotspot = new_index[static_cast<std::size_t>(l.hotspot)];
        }
    }
    {
        std::unordered_map<std::int64_t, int> hotspot_of_cell;
        for (std::size_t h = 0; h < built.size(); ++h) {
            for (const auto cell : built[h].cells) {
                hotspot_of_cell.emplace(cell, static_cast<int>(h));
            }
        }
        for (auto& c : cells) {
            if (const auto it = hotspot_of_cell.find(c.cell); it != hotspot_of_cell.end()) {
                c.hotspot = it->second;
            }
        }
    }
    {
        std::vector<std::int64_t> label_ids;
        std::vector<std::pair<std::size_t, double>> label_weight; // hotspot, weight
        for (std::size_t h = 0; h < built.size(); ++h) {
            for (const auto i : built[h].points) {
                label_ids.push_back(point_location[i]);
                label_weight.emplace_back(h, points[i].weight);
            }
        }
        const auto labels = store::location_labels(store, label_ids);
        std::vector<NameVotes> votes(built.size());
        for (std::size_t i = 0; i < labels.size(); ++i) {
            votes[label_weight[i].first].add(labels[i].street, labels[i].lsoa_name, label_weight[i].second);
        }
        for (std::size_t h = 0; h < built.size(); ++h) {
            built[h].s.name = votes[h].name();
            built[h].s.rank = static_cast<int>(h + 1);
        }
        // Two hotspots of one name ("High Street, Belper" twice): add each one's next street.
        std::map<std::string, int> uses;
        for (const auto& b : built) {
            ++uses[b.s.name];
        }
        for (std::size_t h = 0; h < built.size(); ++h) {
            auto& name = built[h].s.name;
            const auto second = votes[h].second_street();
            if (uses[name] < 2 || second.empty()) {
                continue;
            }
            const auto comma = name.find(", ");
            name = comma == std::string::npos ? name + " at " + second
                                              : name.substr(0, comma) + " at " + second + name.substr(comma);
        }
    }

    // --- Identity: codes carried over from the previous run of the same series ------
    const auto prev =
        store::previous_hotspots(store, sum.method, categories_text, sum.source, params["series"].get<std::string>());
    std::vector<geo::Geometry> new_geoms;
    std::vector<double> new_areas;
    for (const auto& b : built) {
        new_geoms.push_back(ctx.from_wkb(b.wkb));
        new_areas.push_back(b.s.area_m2);
    }
    // Envelopes first: GEOS only for pairs whose boxes meet (thousands of DBSCAN clusters).
    std::vector<std::array<double, 4>> new_boxes(new_geoms.size());
    for (std::size_t i = 0; i < new_geoms.size(); ++i) {
        new_geoms[i].bounds(new_boxes[i][0], new_boxes[i][1], new_boxes[i][2], new_boxes[i][3]);
    }
    std::vector<Overlap> overlaps;
    for (std::size_t j = 0; j < prev.wkbs.size(); ++j) {
        const auto old_geom = ctx.from_wkb(prev.wkbs[j]);
        std::array<double, 4> ob{};
        old_geom.bounds(ob[0], ob[1], ob[2], ob[3]);
        for (std::size_t i = 0; i < new_geoms.size(); ++i) {
            const auto& nb = new_boxes[i];
            if (nb[2] < ob[0] || nb[0] > ob[2] || nb[3] < ob[1] || nb[1] > ob[3]) {
                continue;
            }
            if (ctx.intersects(new_geoms[i], old_geom)) {
                const double shared = ctx.intersection_area(new_geoms[i], old_geom);
                if (shared > 0) {
                    overlaps.push_back(Overlap{i, j, shared});
                }
            }
        }
    }
    const auto identity = assign_identity(new_areas, prev.areas, prev.codes, overlaps, prev.max_number + 1);
    for (std::size_t h = 0; h < built.size(); ++h) {
        built[h].s.code = identity.codes[h];
    }
    std::vector<store::LineageRecord> lineage;
    for (const auto& e : identity.lineage) {
        lineage.push_back(store::LineageRecord{e.code, e.event, e.other_code, e.overlap});
        sum.lineage_counts[e.event] += 1;
    }
    sum.previous_run = prev.run_id;
    params["continues_run"] = prev.run_id;
    params["identity"] = "codes kept when shared area >= 25% of the smaller hotspot, largest overlaps first";
    params["parameters"] = sum.parameters;

    // --- Store ------------------------------------------------------------------
    store::RunRecord run;
    run.method = sum.method;
    run.params_json = params.dump();
    run.period_from = sum.period_from;
    run.period_to = sum.period_to;
    run.categories = categories_text;
    run.source = sum.source;
    run.area = sum.area;
    run.area_wkb = area->wkb();
    run.incidents = sum.incidents;
    run.incidents_outside = sum.incidents_outside;
    run.locations = sum.locations;
    if (grid) {
        run.grid_origin_x = grid->origin_x();
        run.grid_origin_y = grid->origin_y();
        run.cell_size = sum.cell_size;
        run.grid_columns = grid->columns();
        run.grid_rows = grid->rows();
        run.cells = sum.study_cells;
    }
    run.hotspots = static_cast<std::int64_t>(built.size());
    run.fingerprint = sum.fingerprint;
    std::vector<store::HotspotRecord> records;
    for (const auto& b : built) {
        store::HotspotRecord r;
        r.code = b.s.code;
        r.rank = b.s.rank;
        r.name = b.s.name;
        if (!b.cells.empty()) {
            r.cells = b.s.cells;
        }
        r.area_m2 = b.s.area_m2;
        r.incidents = b.s.incidents;
        r.density_km2 = b.s.density_km2;
        r.share = b.s.share;
        if (opt.method == "gistar") {
            r.mean_z = b.s.mean_z;
            r.max_z = b.s.max_z;
            r.confidence = b.s.confidence;
        }
        if (opt.method == "kde") {
            r.peak_density = b.s.peak_density;
        }
        if (opt.method == "patrol") {
            r.mean_z = b.s.mean_z;
            r.max_z = b.s.max_z;
            r.confidence = b.s.confidence;
            r.expected = b.s.expected;
        }
        r.trend = b.s.trend;
        r.trend_class = b.s.trend_class;
        r.pai = b.s.pai;
        r.wkb = b.wkb;
        records.push_back(std::move(r));
        sum.hotspots.push_back(b.s);
    }
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.seconds = sum.seconds;
    sum.run_id = store::insert_run(store, run, cells, location_records, records, lineage, rasters);
    return sum;
}

} // namespace hotref::hotspot
