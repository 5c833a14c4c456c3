// Loading a run for publication (publish/model.hpp): everything from the store,
// as true values; the gate (gate.cpp) decides what a profile shows.

#include "publish/model.hpp"

#include "core/error.hpp"
#include "geo/geos.hpp"
#include "store/incidents.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace hotref::publish {

namespace {

store::StoredRun find_run(store::Store& store, const LoadOptions& opt) {
    std::int64_t id = opt.run_id;
    std::string force;
    if (id == 0) {
        force = store::resolve_force(store, opt.force, "", "layers");
        id = store::default_run_id(store, opt.method, opt.force.empty() ? std::string{} : force);
    }
    if (id == 0) {
        const std::string m = opt.method.empty() ? "patrol" : opt.method;
        throw Error("no " + (opt.method.empty() ? std::string{"patrol or gistar"} : opt.method) + " run" +
                    (opt.force.empty() ? std::string{} : " of " + force) + " in the store; run 'hotref hotspots " +
                    (opt.force.empty() ? std::string{} : "--force '" + force + "' ") + "--method " + m + "' first");
    }
    auto run = store::read_run(store, id);
    if (!run) {
        throw Error("no run " + std::to_string(id) + " in the store (see the runs with: hotref status)");
    }
    return std::move(*run);
}

} // namespace

RawRun load_run(store::Store& store, const LoadOptions& opt) {
    RawRun raw;
    raw.run = find_run(store, opt);
    const auto& run = raw.run;
    raw.secret = store::disclosure_secret(store);
    raw.hotspots = store::read_hotspots(store, run.id);
    const bool grid = run.method == "gistar" || run.method == "kde";
    if (grid) {
        raw.cells = store::read_run_cells(store, run.id);
    }
    if (run.method == "kde") {
        raw.kde = store::read_raster(store, run.id, "density_km2");
    }
    geo::Context ctx;
    if (!run.area_wkb.empty()) {
        raw.study_area_m2 = ctx.from_wkb(run.area_wkb).area();
    }

    store::IncidentQuery q;
    q.from = run.period_from.substr(0, 7);
    q.to = run.period_to.substr(0, 7);
    q.source = run.source;
    q.force = run.force;
    q.category_ids = store::category_ids_named(store, run.categories);
    for (const auto& c : store::categories(store)) {
        if (std::find(q.category_ids.begin(), q.category_ids.end(), c.id) != q.category_ids.end()) {
            raw.categories.push_back(c);
        }
    }
    const auto counts = store::location_month_category_counts(store, q);
    for (const auto& c : counts) {
        if (std::find(raw.months.begin(), raw.months.end(), c.month) == raw.months.end()) {
            raw.months.push_back(c.month);
        }
    }
    std::sort(raw.months.begin(), raw.months.end());
    std::vector<std::int64_t> ids;
    std::unordered_map<std::int64_t, std::size_t> place_of;
    for (const auto& c : counts) {
        if (place_of.emplace(c.location_id, ids.size()).second) {
            ids.push_back(c.location_id);
        }
    }
    const auto details = store::location_details(store, ids);
    place_of.clear();
    raw.places.reserve(details.size());
    for (const auto& d : details) {
        place_of[d.id] = raw.places.size();
        RawPlace p;
        p.x = d.easting;
        p.y = d.northing;
        p.street = d.street;
        p.lsoa_code = d.lsoa_code;
        p.lsoa_name = d.lsoa_name;
        p.exact = d.exact;
        raw.places.push_back(std::move(p));
    }
    std::map<std::int64_t, int> category_index;
    for (std::size_t i = 0; i < raw.categories.size(); ++i) {
        category_index[raw.categories[i].id] = static_cast<int>(i);
    }
    for (const auto& c : counts) {
        const auto p = place_of.find(c.location_id);
        const auto cat = category_index.find(c.category_id);
        if (p == place_of.end() || cat == category_index.end()) {
            continue;
        }
        const int m = static_cast<int>(std::find(raw.months.begin(), raw.months.end(), c.month) - raw.months.begin());
        raw.places[p->second].counts[{m, cat->second}] += c.count;
    }

    // Which hotspot (and grid cell) each place is in: grid methods by their cells, the
    // others by their polygons.
    std::map<std::string, int> hotspot_index;
    for (std::size_t h = 0; h < raw.hotspots.size(); ++h) {
        hotspot_index[raw.hotspots[h].code] = static_cast<int>(h);
    }
    if (grid && run.cell_size > 0) {
        std::unordered_map<std::int64_t, int> cell_hotspot;
        for (const auto& c : raw.cells) {
            const auto it = hotspot_index.find(c.hotspot);
            cell_hotspot[c.col + c.row * run.columns] = it == hotspot_index.end() ? -1 : it->second;
        }
        for (auto& p : raw.places) {
            const auto col = static_cast<std::int64_t>(std::floor((p.x - run.origin_x) / run.cell_size));
            const auto row = static_cast<std::int64_t>(std::floor((p.y - run.origin_y) / run.cell_size));
            if (col < 0 || row < 0 || col >= run.columns || row >= run.rows) {
                continue;
            }
            p.cell = col + row * run.columns;
            if (const auto it = cell_hotspot.find(p.cell); it != cell_hotspot.end()) {
                p.hotspot = it->second;
            }
        }
    } else {
        std::vector<geo::PreparedGeometry> shapes;
        std::vector<std::array<double, 4>> boxes;
        for (const auto& h : raw.hotspots) {
            shapes.emplace_back(ctx, ctx.from_wkb(h.wkb));
            std::array<double, 4> b{};
            shapes.back().geometry().bounds(b[0], b[1], b[2], b[3]);
            boxes.push_back(b);
        }
        for (auto& p : raw.places) {
            for (std::size_t h = 0; h < shapes.size(); ++h) {
                const auto& b = boxes[h];
                if (p.x >= b[0] && p.x <= b[2] && p.y >= b[1] && p.y <= b[3] && shapes[h].covers_point(p.x, p.y)) {
                    p.hotspot = static_cast<int>(h);
                    break;
                }
            }
        }
    }

    auto referrals = load_run_referrals(store, run.id);
    raw.referrals_linked = referrals.linked;
    raw.kpis = std::move(referrals.kpis);
    return raw;
}

RunReferrals load_run_referrals(store::Store& store, std::int64_t run_id) {
    RunReferrals out;
    out.linked = store::run_has_referral_links(store, run_id);
    if (out.linked) {
        referral::KpiOptions ko;
        ko.run_id = run_id;
        out.kpis = referral::referral_kpis(store, ko);
    }
    return out;
}

RunModel build_model(store::Store& store, const LoadOptions& load, Profile profile, const DisclosureRules& rules) {
    return disclose(load_run(store, load), profile, rules);
}

std::string method_title(const std::string& method) {
    return method == "patrol"   ? "patrol hotspots (micro-places chosen for the coming month)"
           : method == "gistar" ? "Getis-Ord Gi* with FDR"
           : method == "kde"    ? "kernel density (KDE)"
                                : "DBSCAN";
}

} // namespace hotref::publish
