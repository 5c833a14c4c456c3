#include "hotspot/pipeline.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/area.hpp"
#include "geo/geos.hpp"
#include "hotspot/grid.hpp"
#include "hotspot/grid_gistar.hpp"
#include "hotspot/identity.hpp"
#include "store/incidents.hpp"
#include "store/runs.hpp"
#include "util/sha256.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
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

// police.uk's anonymised "On or near <kind of place>" names: no use alone to find a
// place, so a hotspot is named after its busiest real street when it has one.
bool is_generic_place(std::string_view street) {
    static constexpr std::string_view generic[] = {
        "Supermarket", "Parking Area", "Shopping Area", "Petrol Station", "Sports/Recreation Area", "Hospital",
        "Nightclub", "Park/Open Space", "Police Station", "Further/Higher Educational Building", "Bus/Coach Station",
        "Prison", "Theatre/Concert Hall", "Conference/Exhibition Centre", "Pedestrian Subway", "Train Station",
        "Airport/Airfield/Aerodrome", "Theme/Adventure Park", "Hotel"};
    constexpr std::string_view prefix = "On or near ";
    if (street.rfind(prefix, 0) == 0) {
        street.remove_prefix(prefix.size());
    }
    return std::find(std::begin(generic), std::end(generic), street) != std::end(generic);
}

} // namespace

std::string readable_name(const std::string& street, const std::string& lsoa_name) {
    std::string s = street;
    constexpr std::string_view prefix = "On or near ";
    if (s.rfind(prefix, 0) == 0) {
        s = s.substr(prefix.size());
    }
    // LSOA names are "<district> <3 digits><letter>": keep the district.
    std::string place = lsoa_name;
    const auto space = place.find_last_of(' ');
    if (space != std::string::npos && place.size() - space == 5) {
        place = place.substr(0, space);
    }
    if (s.empty()) {
        return place;
    }
    return place.empty() ? s : s + ", " + place;
}

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
    return ids;
}

RunSummary load_run_summary(store::Store& store, std::int64_t run_id) {
    auto& db = store.db();
    RunSummary sum;
    store::Statement r{db, "SELECT method, params, period_from, period_to, categories, source, area, incidents, "
                           "incidents_outside, locations, cell_size, grid_columns, grid_rows, cells, fingerprint, "
                           "seconds FROM run WHERE id = ?"};
    r.bind(1, run_id);
    if (!r.step()) {
        throw Error("no run " + std::to_string(run_id) + " in the store");
    }
    sum.run_id = run_id;
    sum.unchanged = true;
    sum.method = r.column_text(0);
    const auto params = nlohmann::json::parse(r.column_text(1));
    sum.period_from = r.column_text(2);
    sum.period_to = r.column_text(3);
    sum.categories = params.value("categories", std::vector<std::string>{});
    sum.source = r.column_text(5);
    sum.area = r.column_text(6);
    sum.incidents = r.column_double(7);
    sum.incidents_outside = r.column_double(8);
    sum.locations = r.column_int(9);
    sum.cell_size = r.column_double(10);
    sum.cell_size_default = params.value("cell_size_rule", std::string{}) != "given";
    sum.columns = static_cast<int>(r.column_int(11));
    sum.rows = static_cast<int>(r.column_int(12));
    sum.study_cells = r.column_int(13);
    sum.fingerprint = r.column_text(14);
    sum.seconds = r.column_double(15);
    sum.band = params.value("band_m", 0.0);
    sum.neighbours = params.value("neighbours_interior", 0);
    sum.mean = params.value("mean_per_cell", 0.0);
    sum.variance = params.value("variance_per_cell", 0.0);
    store::Statement c{db, "SELECT bin, count(*) FROM run_cell WHERE run_id = ? GROUP BY bin"};
    c.bind(1, run_id);
    while (c.step()) {
        const auto bin = static_cast<int>(c.column_int(0));
        (bin >= 0 ? sum.hot_cells[bin] : sum.cold_cells[-bin]) = c.column_int(1);
    }
    store::Statement h{db, "SELECT code, rank, coalesce(name, ''), cells, area_m2, incidents, density_km2, share, pai, "
                           "coalesce(mean_z, 0), coalesce(max_z, 0), coalesce(confidence, 0) FROM hotspot "
                           "WHERE run_id = ? ORDER BY rank"};
    h.bind(1, run_id);
    while (h.step()) {
        HotspotSummary hs;
        hs.code = h.column_text(0);
        hs.rank = static_cast<int>(h.column_int(1));
        hs.name = h.column_text(2);
        hs.cells = h.column_int(3);
        hs.area_m2 = h.column_double(4);
        hs.incidents = h.column_double(5);
        hs.density_km2 = h.column_double(6);
        hs.share = h.column_double(7);
        hs.pai = h.column_double(8);
        hs.mean_z = h.column_double(9);
        hs.max_z = h.column_double(10);
        hs.confidence = static_cast<int>(h.column_int(11));
        sum.hotspots.push_back(std::move(hs));
    }
    return sum;
}

RunSummary run_hotspots(store::Store& store, const HotspotOptions& opt) {
    const auto start = std::chrono::steady_clock::now();
    if (opt.method != "gistar") {
        throw UsageError("unknown method '" + opt.method + "'; this version has: gistar");
    }
    const int min_bin = bin_for_confidence(opt.confidence);
    RunSummary sum;
    sum.method = opt.method;
    sum.source = resolve_source(store, opt.source);

    // Period.
    const auto months = store::stored_months(store, sum.source);
    sum.period_from = opt.from.empty() ? months.front() : opt.from;
    sum.period_to = opt.to.empty() ? months.back() : opt.to;
    for (const auto* m : {&sum.period_from, &sum.period_to}) {
        if (!Month::parse(*m)) {
            throw UsageError("bad month '" + *m + "' (expected YYYY-MM)");
        }
    }
    if (sum.period_to < sum.period_from) {
        throw UsageError("the period ends (" + sum.period_to + ") before it starts (" + sum.period_from + ")");
    }
    const auto in_period = std::count_if(months.begin(), months.end(), [&](const auto& m) {
        return m >= sum.period_from && m <= sum.period_to;
    });
    if (in_period == 0) {
        throw Error("no months stored between " + sum.period_from + " and " + sum.period_to + " (stored: " +
                    months.front() + " to " + months.back() + ")");
    }

    // Incidents per location.
    store::IncidentQuery query;
    query.from = sum.period_from;
    query.to = sum.period_to;
    query.source = sum.source;
    query.category_ids = resolve_categories(store, opt.categories, sum.categories);
    auto located = store::location_counts(store, query);

    // Study area: a boundary layer, or the data's extent.
    std::optional<geo::StudyArea> area;
    if (!opt.area_path.empty()) {
        area.emplace(geo::StudyArea::from_file(opt.area_path, opt.area_layer));
    }
    // Same request, same feeds, same software: the stored run is the answer.
    {
        const nlohmann::json request{{"method", opt.method},         {"from", sum.period_from},
                                     {"to", sum.period_to},          {"categories", sum.categories},
                                     {"source", sum.source},         {"area", area ? Sha256::of(area->wkb()) : ""},
                                     {"cell_size", opt.cell_size},   {"band", opt.band},
                                     {"confidence", opt.confidence}, {"software", HOTREF_VERSION}};
        sum.fingerprint = store::run_fingerprint(store, request.dump(), sum.source, sum.period_from, sum.period_to);
        if (!opt.rerun) {
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
        throw Error("too few incidents for Gi* to mean anything: " + with_commas(static_cast<std::int64_t>(sum.incidents)) +
                    " at " + std::to_string(points.size()) + " locations (at least " +
                    std::to_string(static_cast<int>(min_incidents)) +
                    " needed); widen the period or the categories");
    }
    const Bounds data_bounds = bounds_of(points);
    if (!area) {
        area.emplace(geo::StudyArea::envelope("data extent", data_bounds.minx, data_bounds.miny, data_bounds.maxx,
                                              data_bounds.maxy));
    }
    sum.area = area->name();

    // Grid and band, checked against each other.
    sum.cell_size_default = opt.cell_size <= 0;
    sum.cell_size = sum.cell_size_default ? default_cell_size(data_bounds) : opt.cell_size;
    if (!(sum.cell_size > 0)) {
        throw Error("all incidents are at one place; a grid needs incidents spread over an area");
    }
    sum.band = opt.band > 0 ? opt.band : sum.cell_size * std::sqrt(2.0);
    if (sum.band < sum.cell_size) {
        throw UsageError("a band of " + std::to_string(sum.band) + " m is smaller than a cell (" +
                         std::to_string(sum.cell_size) + " m): each cell would be its own only neighbour");
    }
    const auto ab = area->bounds();
    const Bounds grid_bounds = area->has_polygon() ? Bounds{ab[0], ab[1], ab[2], ab[3]} : data_bounds;
    const Grid grid{grid_bounds, sum.cell_size};
    sum.columns = grid.columns();
    sum.rows = grid.rows();

    std::vector<char> in_area(static_cast<std::size_t>(grid.size()), 1);
    if (area->has_polygon()) {
        for (std::int64_t i = 0; i < grid.size(); ++i) {
            const auto b = grid.cell_bounds(i);
            in_area[static_cast<std::size_t>(i)] = area->intersects_box(b.minx, b.miny, b.maxx, b.maxy) ? 1 : 0;
        }
    }
    const auto counts = grid.counts(points);
    const auto result = gistar_grid(grid, in_area, counts, sum.band);
    sum.study_cells = static_cast<std::int64_t>(result.cells.size());
    sum.neighbours = result.neighbours_max;
    sum.mean = result.mean;
    sum.variance = result.variance;
    if (!(result.variance > 0)) {
        throw Error("every cell has the same count; Gi* cannot find hot or cold spots in uniform data");
    }
    for (const auto& c : result.cells) {
        (c.bin >= 0 ? sum.hot_cells[c.bin] : sum.cold_cells[-c.bin]) += 1;
    }
    if (sum.study_cells > 0 && sum.incidents / static_cast<double>(sum.study_cells) < 0.05) {
        sum.notes.push_back("on average a cell holds " + std::to_string(sum.incidents / static_cast<double>(sum.study_cells)) +
                            " incidents: the grid may be too fine for the data (try a larger --cell-size)");
    }

    // Hot cells -> hotspots.
    const auto components = hot_components(grid, result, min_bin);
    std::unordered_map<std::int64_t, std::size_t> cell_pos;
    for (std::size_t i = 0; i < result.cells.size(); ++i) {
        cell_pos.emplace(result.cells[i].cell, i);
    }
    const double study_area_m2 = area->has_polygon()
                                     ? area->area_m2()
                                     : static_cast<double>(sum.study_cells) * sum.cell_size * sum.cell_size;
    geo::Context ctx;
    struct Built {
        HotspotSummary s;
        std::string wkb;
        std::vector<std::int64_t> cells;
    };
    std::vector<Built> built;
    for (const auto& comp : components) {
        Built b;
        std::vector<std::array<double, 4>> boxes;
        double zsum = 0;
        b.s.max_z = -1e300;
        int min_level = 3;
        for (const auto cell : comp) {
            const auto& c = result.cells[cell_pos.at(cell)];
            const auto cb = grid.cell_bounds(cell);
            boxes.push_back({cb.minx, cb.miny, cb.maxx, cb.maxy});
            b.s.incidents += c.count;
            zsum += c.z;
            b.s.max_z = std::max(b.s.max_z, c.z);
            min_level = std::min(min_level, c.bin);
        }
        if (b.s.incidents <= 0) {
            // Hot only through its neighbours: no incident of its own to patrol.
            ++sum.empty_hot_areas;
            continue;
        }
        b.s.cells = static_cast<std::int64_t>(comp.size());
        b.s.area_m2 = static_cast<double>(comp.size()) * sum.cell_size * sum.cell_size;
        b.s.mean_z = zsum / static_cast<double>(comp.size());
        b.s.confidence = min_level == 3 ? 99 : min_level == 2 ? 95 : 90;
        b.s.density_km2 = b.s.incidents / (b.s.area_m2 / 1e6);
        b.s.share = b.s.incidents / sum.incidents;
        b.s.pai = b.s.share / (b.s.area_m2 / study_area_m2);
        b.wkb = ctx.dissolve_boxes(boxes).wkb();
        b.cells = comp;
        built.push_back(std::move(b));
    }
    if (sum.empty_hot_areas > 0) {
        sum.notes.push_back(std::to_string(sum.empty_hot_areas) +
                            " group(s) of hot cells hold no incident of their own (hot only through their "
                            "neighbours): kept in the cells, not made hotspots");
    }
    std::sort(built.begin(), built.end(), [](const Built& a, const Built& b) {
        return a.s.incidents != b.s.incidents ? a.s.incidents > b.s.incidents : a.s.mean_z > b.s.mean_z;
    });

    // Names: the street with most incidents inside each hotspot.
    std::unordered_map<std::int64_t, int> hotspot_of_cell;
    for (std::size_t h = 0; h < built.size(); ++h) {
        for (const auto cell : built[h].cells) {
            hotspot_of_cell.emplace(cell, static_cast<int>(h));
        }
    }
    std::vector<std::int64_t> label_ids;
    std::vector<std::pair<int, double>> label_weight; // hotspot, weight
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto it = hotspot_of_cell.find(grid.index_of(points[i].x, points[i].y));
        if (it != hotspot_of_cell.end()) {
            label_ids.push_back(point_location[i]);
            label_weight.emplace_back(it->second, points[i].weight);
        }
    }
    const auto labels = store::location_labels(store, label_ids);
    std::vector<std::map<std::string, std::pair<double, std::string>>> streets(built.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        auto& entry = streets[static_cast<std::size_t>(label_weight[i].first)][labels[i].street];
        entry.first += label_weight[i].second;
        if (entry.second.empty()) {
            entry.second = labels[i].lsoa_name;
        }
    }
    for (std::size_t h = 0; h < built.size(); ++h) {
        // The busiest named street; a generic place ("Supermarket") only when there is nothing else.
        const auto best = std::max_element(streets[h].begin(), streets[h].end(), [](const auto& a, const auto& b) {
            const bool ga = is_generic_place(a.first);
            const bool gb = is_generic_place(b.first);
            return ga != gb ? ga : a.second.first < b.second.first;
        });
        if (best != streets[h].end()) {
            built[h].s.name = readable_name(best->first, best->second.second);
        }
        built[h].s.rank = static_cast<int>(h + 1);
    }

    // Identity: codes carried over from the previous run of the same series.
    std::string categories_text;
    for (const auto& c : sum.categories) {
        categories_text += (categories_text.empty() ? "" : ",") + c;
    }
    const auto prev = store::previous_hotspots(store, sum.method, categories_text, sum.source);
    std::vector<geo::Geometry> new_geoms;
    std::vector<double> new_areas;
    for (const auto& b : built) {
        new_geoms.push_back(ctx.from_wkb(b.wkb));
        new_areas.push_back(b.s.area_m2);
    }
    std::vector<Overlap> overlaps;
    for (std::size_t j = 0; j < prev.wkbs.size(); ++j) {
        const auto old_geom = ctx.from_wkb(prev.wkbs[j]);
        for (std::size_t i = 0; i < new_geoms.size(); ++i) {
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

    // Store the run.
    nlohmann::json params{{"method", sum.method},
                          {"period_from", sum.period_from},
                          {"period_to", sum.period_to},
                          {"categories", sum.categories},
                          {"source", sum.source},
                          {"area", sum.area},
                          {"cell_size_m", sum.cell_size},
                          {"cell_size_rule", sum.cell_size_default ? "sfhotspot: shorter side of the data's bounding box / 50, floored to 100 m" : "given"},
                          {"band_m", sum.band},
                          {"weights", "binary, self included (Gi*)"},
                          {"neighbours_interior", sum.neighbours},
                          {"inference", "normal approximation, two-sided"},
                          {"multiple_testing", "Benjamini-Hochberg FDR"},
                          {"hotspot_confidence", opt.confidence},
                          {"contiguity", "rook (shared edges)"},
                          {"identity", "codes kept when shared area >= 25% of the smaller hotspot, largest overlaps first"},
                          {"grid_origin", {grid.origin_x(), grid.origin_y()}},
                          {"grid_size", {grid.columns(), grid.rows()}},
                          {"mean_per_cell", sum.mean},
                          {"variance_per_cell", sum.variance}};
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
    run.grid_origin_x = grid.origin_x();
    run.grid_origin_y = grid.origin_y();
    run.cell_size = sum.cell_size;
    run.grid_columns = grid.columns();
    run.grid_rows = grid.rows();
    run.cells = sum.study_cells;
    run.hotspots = static_cast<std::int64_t>(built.size());
    run.fingerprint = sum.fingerprint;
    std::vector<store::CellRecord> cells;
    cells.reserve(result.cells.size());
    for (const auto& c : result.cells) {
        store::CellRecord r;
        r.cell = c.cell;
        r.col = grid.column_of(c.cell);
        r.row = grid.row_of(c.cell);
        r.count = c.count;
        r.z = c.z;
        r.p = c.p;
        r.q = c.q;
        r.bin = c.bin;
        if (const auto it = hotspot_of_cell.find(c.cell); it != hotspot_of_cell.end()) {
            r.hotspot = it->second;
        }
        cells.push_back(r);
    }
    std::vector<store::HotspotRecord> records;
    for (const auto& b : built) {
        store::HotspotRecord r;
        r.code = b.s.code;
        r.rank = b.s.rank;
        r.name = b.s.name;
        r.cells = b.s.cells;
        r.area_m2 = b.s.area_m2;
        r.incidents = b.s.incidents;
        r.density_km2 = b.s.density_km2;
        r.share = b.s.share;
        r.mean_z = b.s.mean_z;
        r.max_z = b.s.max_z;
        r.confidence = b.s.confidence;
        r.pai = b.s.pai;
        r.wkb = b.wkb;
        records.push_back(std::move(r));
        sum.hotspots.push_back(b.s);
    }
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.seconds = sum.seconds;
    sum.run_id = store::insert_run(store, run, cells, records, lineage);
    return sum;
}

} // namespace hotref::hotspot
