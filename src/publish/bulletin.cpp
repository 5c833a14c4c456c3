#include "publish/bulletin.hpp"

#include "util/atomic_dir.hpp"
#include "publish/model.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "geo/force_area.hpp"
#include "geo/geos.hpp"
#include "geo/vector.hpp"
#include "publish/bulletin_model.hpp"
#include "publish/districts.hpp"
#include "publish/sdc.hpp"
#include "referral/kpi.hpp"
#include "store/evaluations.hpp"
#include "store/incidents.hpp"
#include "store/runs.hpp"

#include <nlohmann/json.hpp>

#include <optional>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <unordered_map>

namespace hotref::publish {

namespace {

namespace fs = std::filesystem;
using bulletin::Item;
using bulletin::Model;
using bulletin::nan;

const char* const day_names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
const char* const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

// The bulletin's period and the two it is compared with.
struct Period {
    bool dated = false;   // YYYY-MM-DD bounds (sources with dates), else whole months
    std::string from, to; // as given (YYYY-MM or YYYY-MM-DD)
    store::IncidentQuery query(const std::string& source, const std::vector<std::int64_t>& categories,
                               const std::string& force) const {
        store::IncidentQuery q;
        q.force = force;
        q.from = from.substr(0, 7);
        q.to = to.substr(0, 7);
        q.source = source;
        q.category_ids = categories;
        if (dated) {
            q.date_from = from;
            q.date_to = to;
        }
        return q;
    }
    [[nodiscard]] std::string label() const {
        if (!dated && from == to) {
            const auto m = Month::parse(from);
            return std::string{month_names[m->month() - 1]} + " " + std::to_string(m->year());
        }
        return from == to ? from : from + " to " + to;
    }
};

DateTime parse_date(const std::string& text, const char* what) {
    const auto d = parse_datetime(text, "%Y-%m-%d");
    if (!d || text.size() != 10) {
        throw UsageError(std::string{what} + " '" + text + "' is not a date (YYYY-MM-DD)");
    }
    return *d;
}

long long days_of(const std::string& date) {
    return parse_date(date, "date").days_since_epoch();
}

std::string date_of(long long days) {
    return date_from_days(days).iso();
}

Period shifted_months(const Period& p, int months) {
    Period out = p;
    const int f = Month::parse(p.from)->index() + months;
    const int t = Month::parse(p.to)->index() + months;
    out.from = Month{f / 12, f % 12 + 1}.str();
    out.to = Month{t / 12, t % 12 + 1}.str();
    return out;
}

Period shifted_days(const Period& p, long long days) {
    Period out = p;
    out.from = date_of(days_of(p.from) + days);
    out.to = date_of(days_of(p.to) + days);
    return out;
}

using RunRow = store::StoredRun;

RunRow find_run(store::Store& store, const BulletinOptions& opt) {
    std::int64_t id = opt.run_id;
    std::string force;
    if (id == 0) {
        force = store::resolve_force(store, opt.force, "", "bulletin");
        id = store::default_run_id(store, opt.method, opt.force.empty() ? std::string{} : force);
    }
    if (id == 0) {
        const std::string m = opt.method.empty() ? "patrol" : opt.method;
        throw Error("no " + (opt.method.empty() ? std::string{"patrol or gistar"} : opt.method) + " run" +
                    (opt.force.empty() ? std::string{} : " of " + force) + " in the store " + store.path() +
                    "; find hotspots first: hotref hotspots --store " + store.path() +
                    (opt.force.empty() ? std::string{} : " --force '" + force + "'") + " --method " + m);
    }
    auto run = store::read_run(store, id);
    if (!run) {
        throw Error("no run " + std::to_string(id) + " in the store " + store.path() +
                    "; give --run with the id of a stored run (hotref hotspots prints it), or leave it out for the "
                    "latest");
    }
    return std::move(*run);
}

// The area cap of a patrol run, from its parameters ("0.25").
std::string patrol_cap(const RunRow& run) {
    const auto params = nlohmann::json::parse(run.params, nullptr, false);
    char text[32];
    std::snprintf(text, sizeof text, "%g", params.is_object() ? params.value("max_area_km2", 0.25) : 0.25);
    return text;
}

// "run 12: patrol hotspots of at most 0.25 km2, 2025-01 to 2025-06": the bulletin's line about the run.
std::string run_line(const RunRow& run) {
    char cell[64] = "";
    if (run.cell_size > 0) {
        std::snprintf(cell, sizeof cell, ", %.0f m cells", run.cell_size);
    }
    const std::string m =
        run.method == "patrol" ? "patrol hotspots of at most " + patrol_cap(run) + " km2" : method_title(run.method);
    return "run " + std::to_string(run.id) + ": " + m + cell + ", " + run.period_from + " to " + run.period_to;
}

std::string strip_on_or_near(const std::string& street) {
    const std::string prefix = "On or near ";
    return street.rfind(prefix, 0) == 0 ? street.substr(prefix.size()) : street;
}

// The field of a boundary layer that holds the names: `name`, else the one field named like
// a name (ONS's LAD23NM, CTYUA21NM; district_name), else "".
std::string boundary_name_field(const std::vector<std::string>& fields) {
    std::vector<std::string> like;
    for (const auto& f : fields) {
        const auto low = to_lower(f);
        if (low == "name") {
            return f;
        }
        const bool ons = low.size() > 2 && low.compare(low.size() - 2, 2, "nm") == 0 && low.find("nmw") == std::string::npos;
        if (ons || (low.find("name") != std::string::npos && low.find("welsh") == std::string::npos)) {
            like.push_back(f);
        }
    }
    return like.size() == 1 ? like.front() : std::string{};
}

// The map's districts and force outline from `path`: the layer --boundary-layer, else
// `districts`, else the file's only polygon layer; the names from --boundary-name-field,
// else `name`, else the one field that reads as a name (ONS: LAD23NM, district_name); the
// outline from a `force_area` layer, else the run's own area. Districts outside the run's
// area are left out (a national file draws the force's only). Problems become notes.
bool read_boundaries(geo::Context& ctx, const std::string& path, const BulletinOptions& opt, const RunRow& run,
                     bool bundled, bulletin::Model& model, std::vector<District>& table) {
    std::string layer = opt.boundary_layer, field = opt.boundary_name_field, outline;
    try {
        const auto layers = geo::inspect_vector(path);
        const geo::LayerInfo* chosen = nullptr;
        for (const auto& l : layers) {
            if (l.name == "force_area" || l.name == "force_areas") {
                outline = l.name == "force_area" ? l.name : "";
            }
            if ((!layer.empty() && l.name == layer) || (layer.empty() && l.name == "districts")) {
                chosen = &l;
            }
        }
        if (chosen == nullptr && layer.empty()) {
            std::vector<const geo::LayerInfo*> polygons;
            for (const auto& l : layers) {
                if (l.geometry.find("Polygon") != std::string::npos && l.name != "force_area") {
                    polygons.push_back(&l);
                }
            }
            chosen = polygons.size() == 1 ? polygons.front() : nullptr;
        }
        std::string names;
        for (const auto& l : layers) {
            names += (names.empty() ? "'" : ", '") + l.name + "'";
        }
        if (chosen == nullptr) {
            throw InputError(path + ": " + (layer.empty() ? std::string{"no layer 'districts' and not one polygon layer"}
                                                          : "no layer '" + layer + "'") +
                             " (it has " + names + "); name the districts' layer with --boundary-layer");
        }
        layer = chosen->name;
        if (field.empty()) {
            field = boundary_name_field(chosen->fields);
        }
        if (std::find(chosen->fields.begin(), chosen->fields.end(), field) == chosen->fields.end()) {
            std::string fields;
            for (const auto& f : chosen->fields) {
                fields += (fields.empty() ? "'" : ", '") + f + "'";
            }
            throw InputError(path + ": layer '" + layer + "' has no field " +
                             (field.empty() ? std::string{"that reads as a name"} : "'" + field + "'") + " (it has " +
                             fields + "); name it with --boundary-name-field");
        }
        std::vector<District> all;
        for (auto& d : geo::read_named_polygons(path, layer, "EPSG:27700", field)) {
            all.push_back(District{std::move(d.name), {}, std::move(d.wkb), {}});
        }
        // The bundled file holds every English district: only the run's. A file of the user's
        // own is drawn whole when none of its districts lies in the run's area.
        auto inside = districts_in_area(all, run.area_wkb);
        if (!bundled && inside.empty()) {
            label_districts(all);
            inside = std::move(all);
        }
        model.districts.clear();
        for (const auto& d : inside) {
            model.districts.push_back({d.name, ctx.from_wkb(d.wkb).rings(), d.label});
        }
        table = std::move(inside);
    } catch (const Error& e) {
        if (!opt.boundaries.empty()) {
            throw; // the file the user named: say what is wrong with it, write nothing
        }
        model.notes.push_back("District boundaries not drawn: " + std::string{e.what()});
        return false;
    }
    if (!outline.empty()) {
        try {
            for (const auto& wkb : geo::read_polygons_wkb(path, outline, "EPSG:27700")) {
                for (auto& r : ctx.from_wkb(wkb).rings()) {
                    model.force_area.push_back(std::move(r));
                }
            }
        } catch (const Error&) {
            model.force_area.clear();
        }
    }
    if (model.force_area.empty() && !run.area_wkb.empty()) {
        model.force_area = ctx.from_wkb(run.area_wkb).rings(); // the run's own (derived) area
    }
    return true;
}

// The hotspots of the run with their geometry, prepared for point-in-polygon tests.
struct Shape {
    std::unique_ptr<geo::PreparedGeometry> prepared;
    std::array<double, 4> bbox{};
};

// Index of the hotspot each location falls in (-1: none), bounding boxes first.
int hotspot_of(const std::vector<Shape>& shapes, double x, double y) {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const auto& b = shapes[i].bbox;
        if (x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3] && shapes[i].prepared->covers_point(x, y)) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

// Whether the store covers the period: its months lie between the first and the last month
// stored for the source (a force export has no partition for a month without incidents).
bool months_stored(const std::vector<std::string>& stored, const Period& p) {
    return !stored.empty() && p.from.substr(0, 7) >= stored.front() && p.to.substr(0, 7) <= stored.back();
}

// The first day after the period: the day after its last date, or the first of the month
// after its last month.
std::string day_after(const Period& p) {
    if (p.dated) {
        return date_of(days_of(p.to) + 1);
    }
    const int next = Month::parse(p.to)->index() + 1;
    return Month{next / 12, next % 12 + 1}.str() + "-01";
}

constexpr std::size_t no_cell = static_cast<std::size_t>(-1);

// A figure the layers publish (the gate's), for the bulletin to show the same: one count
// never goes out with two different noises, or the two could be averaged.
struct GateFigure {
    double truth = 0;  // the true count, to check the bulletin counts the same records
    double value = nan; // published; NaN: withheld
    double lo = nan, hi = nan; // what an attacker knows of it (NaN: the ptable's box of value)
};

// The published bulletin's counts: one sdc::Table of every number it prints. A cell is known
// by what it counts ("bulletin|<code>|<month>"): the same count added twice is one cell, and
// its key comes from that identity and its value, so every bulletin (and every period, run or
// top-N that holds it) publishes the same figure for it and two bulletins cannot be differenced.
struct BulletinCells {
    std::string secret;
    sdc::Table table;
    std::map<std::string, std::size_t> by_what;

    std::size_t add_keyed(const std::string& what, const std::string& identity, double v) {
        if (const auto it = by_what.find(what); it != by_what.end()) {
            return it->second;
        }
        sdc::CellKey key;
        key.add(sdc::record_key(secret, identity));
        const auto id = table.add(std::max(0.0, std::round(v)), key);
        by_what.emplace(what, id);
        return id;
    }
    std::size_t add(const std::string& what, double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "|%.0f", v);
        return add_keyed(what, what + buf, v);
    }
    /// Shows the layers' figure for this cell when it counts the same records (else the
    /// bulletin's own); a figure the layers withhold is withheld here too.
    void pin(std::size_t id, const std::map<std::string, GateFigure>& figures, const std::string& key) {
        auto& c = table.cells[id];
        const auto it = figures.find(key);
        if (it == figures.end()) {
            return; // not a figure of the layers (a force's exact point: they show 100 m squares)
        }
        if (std::abs(it->second.truth - c.value) >= 0.5) {
            return; // another window or category set than the layers': its own figure
        }
        c.pinned = true;
        c.pinned_value = it->second.value;
        c.pinned_lo = it->second.lo;
        c.pinned_hi = it->second.hi;
    }
    /// total = sum of parts, where the true values say so (a margin that does not hold is no margin).
    void margin(std::size_t total, const std::vector<std::size_t>& parts) {
        if (total == no_cell || parts.empty()) {
            return;
        }
        double sum = 0;
        for (const auto p : parts) {
            if (p == no_cell || p == total) {
                return;
            }
            sum += table.cells[p].value;
        }
        if (std::abs(sum - table.cells[total].value) < 0.5) {
            table.add_margin(total, parts);
        }
    }
    [[nodiscard]] double pub(std::size_t id) const {
        if (id == no_cell) {
            return nan;
        }
        const auto& c = table.cells[id];
        return c.withheld ? nan : c.published;
    }
};

std::string xy_key(double x, double y) {
    char xy[64];
    std::snprintf(xy, sizeof xy, "%.0f,%.0f", x, y);
    return xy;
}

// The layers' figures for the run: each shown hotspot's incidents (by code) and each
// police.uk location's total, the sum of its published months (by "x,y"; NaN where one is
// withheld or the location is not drawn). Exact points are published only as 100 m squares,
// so they are absent here and the bulletin keeps its own figures for them.
struct GateFigures {
    std::map<std::string, GateFigure> hotspots, places;
};

GateFigures gate_figures(const RawRun& raw, const RunModel& gate, const sdc::PTable& pt) {
    GateFigures out;
    if (const auto* layer = gate.find("hotspots")) {
        const int code_f = layer->field("code"), n_f = layer->field("incidents");
        std::map<std::string, double> truth;
        for (const auto& h : raw.hotspots) {
            truth[h.code] = h.incidents;
        }
        for (const auto& f : layer->features) {
            const auto code = std::get<std::string>(f.values[static_cast<std::size_t>(code_f)]);
            const auto* v = n_f >= 0 ? std::get_if<double>(&f.values[static_cast<std::size_t>(n_f)]) : nullptr;
            out.hotspots[code] = GateFigure{truth[code], v ? *v : nan};
        }
    }
    for (const auto& p : raw.places) {
        if (!p.exact) {
            out.places[xy_key(p.x, p.y)] = GateFigure{p.total(), nan}; // withheld unless the layer has it
        }
    }
    const auto* layer = gate.find("incidents");
    if (layer == nullptr) {
        return out;
    }
    geo::Context ctx;
    const int total_f = layer->field("total");
    for (const auto& f : layer->features) {
        double x0, y0, x1, y1;
        ctx.from_wkb(f.wkb).bounds(x0, y0, x1, y1);
        const auto it = out.places.find(xy_key(x0, y0));
        if (it == out.places.end()) {
            continue; // a 100 m square of exact points
        }
        GateFigure& g = it->second;
        g.lo = g.hi = 0;
        if (const auto* v = std::get_if<double>(&f.values[static_cast<std::size_t>(total_f)])) {
            g.value = *v;
        }
        for (std::size_t i = 0; i < layer->fields.size(); ++i) {
            const auto* m = std::get_if<double>(&f.values[i]);
            if (layer->fields[i].name.rfind("m_", 0) == 0 && m != nullptr) {
                g.lo += pt.lower(*m);
                g.hi += pt.upper(*m);
            }
        }
    }
    return out;
}

std::string range_id(const std::string& from, const std::string& to) {
    return from == to ? from : from + ".." + to;
}

bool police_uk_street(const std::string& street) {
    return street.rfind("On or near ", 0) == 0;
}

} // namespace

std::vector<PatrolWindow> patrol_windows(const std::array<double, 168>& week, int count, int hours) {
    if (hours < 1 || hours > 24) {
        throw UsageError("a patrol window is 1 to 24 hours long");
    }
    std::vector<PatrolWindow> all;
    for (int start = 0; start < 168; ++start) {
        double sum = 0;
        for (int k = 0; k < hours; ++k) {
            sum += week[static_cast<std::size_t>((start + k) % 168)];
        }
        all.push_back(PatrolWindow{start / 24, start % 24, hours, sum});
    }
    // Busiest first; ties to the earlier start in the week (stable sort keeps the order).
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.incidents > b.incidents; });
    std::vector<PatrolWindow> chosen;
    std::array<bool, 168> taken{};
    for (const auto& w : all) {
        if (static_cast<int>(chosen.size()) >= count || w.incidents <= 0) {
            break;
        }
        const int start = w.weekday * 24 + w.hour;
        bool free = true;
        for (int k = 0; k < hours; ++k) {
            free = free && !taken[static_cast<std::size_t>((start + k) % 168)];
        }
        if (!free) {
            continue;
        }
        for (int k = 0; k < hours; ++k) {
            taken[static_cast<std::size_t>((start + k) % 168)] = true;
        }
        chosen.push_back(w);
    }
    return chosen;
}

std::string windows_text(const HotspotWindows& w) {
    if (!w.timed) {
        return "none: the source has no times of day";
    }
    if (w.labels.empty()) {
        return "withheld: no two-hour window holds enough incidents to publish";
    }
    std::string text;
    for (const auto& label : w.labels) {
        text += (text.empty() ? "" : "; ") + label;
    }
    return text;
}

std::string window_label(const PatrolWindow& w) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s %02d:00-%02d:00", day_names[w.weekday], w.hour, (w.hour + w.hours) % 24);
    return buf;
}

namespace bulletin {

std::string count_text(const Model& m, double v) {
    if (std::isnan(v)) {
        if (m.profile != Profile::published) {
            return "n/a";
        }
        char buf[16];
        std::snprintf(buf, sizeof buf, "<%.0f", m.min_count);
        return buf;
    }
    return with_commas(static_cast<std::int64_t>(std::llround(v)));
}

} // namespace bulletin

namespace {

// The district table's true values (protected below with the other counts when published).
void fill_district_table(bulletin::Model& model, const std::vector<District>& districts,
                         const std::vector<std::array<double, 3>>& now,
                         const std::vector<std::array<double, 3>>* prev,
                         const std::vector<std::array<double, 2>>& hotspots) {
    if (districts.empty()) {
        return;
    }
    const auto t = count_by_district(districts, now, prev, hotspots);
    for (const auto& r : t.rows) {
        model.district_rows.push_back({r.name, r.now, r.prev, r.hotspots});
    }
    model.district_outside_now = t.outside_now;
    if (t.outside_now > 0) {
        model.notes.push_back("District table: " + with_commas(std::llround(t.outside_now)) +
                              " incidents this period lie in none of the districts drawn.");
    }
}

// The district table's counts as cells of the bulletin's table: each district this period and
// the previous one, with the incidents in no district, as parts of the area's totals. Returns
// the cells of each district (now, prev).
std::vector<std::array<std::size_t, 2>> district_cells(BulletinCells& cells, const bulletin::Model& model,
                                                       const std::string& now_r, const std::string& prev_r,
                                                       std::size_t total_now, std::size_t total_prev) {
    std::vector<std::array<std::size_t, 2>> ids;
    if (model.district_rows.empty()) {
        return ids;
    }
    std::vector<std::size_t> now_parts, prev_parts;
    double outside_prev = model.total_prev;
    for (const auto& r : model.district_rows) {
        const std::string what = "bulletin|district|" + r.name + "|";
        ids.push_back({cells.add(what + now_r, r.now), model.has_previous ? cells.add(what + prev_r, r.prev) : no_cell});
        now_parts.push_back(ids.back()[0]);
        prev_parts.push_back(ids.back()[1]);
        outside_prev -= std::isnan(r.prev) ? 0 : r.prev;
    }
    now_parts.push_back(cells.add("bulletin|district|(none)|" + now_r, model.district_outside_now));
    cells.margin(total_now, now_parts);
    if (model.has_previous) {
        prev_parts.push_back(cells.add("bulletin|district|(none)|" + prev_r, std::max(0.0, outside_prev)));
        cells.margin(total_prev, prev_parts);
    }
    return ids;
}

// The Immediate Justice columns: the referrals linked to the run, as the profile publishes
// them (publish::disclose_kpis; their own table, apart from the incident counts), and the
// note when none are linked. The last note of a bulletin, so a draft takes it last.
void add_referrals(Model& model, store::Store& store, const BulletinOptions& opt) {
    model.referrals_linked = store::run_has_referral_links(store, model.run_id);
    if (!model.referrals_linked && !model.items.empty()) {
        model.notes.push_back("No Immediate Justice referrals are linked to run " + std::to_string(model.run_id) +
                              " (hotref referral link --run " + std::to_string(model.run_id) +
                              "): the IJ columns are empty.");
    }
    if (model.referrals_linked) {
        referral::KpiOptions ko;
        ko.run_id = model.run_id;
        std::map<std::string, referral::Kpis> kpis;
        for (auto& k : disclose_kpis(referral::referral_kpis(store, ko), opt.profile, opt.rules,
                                     store::disclosure_secret(store))) {
            kpis.emplace(k.group, std::move(k));
        }
        for (auto& item : model.items) {
            const auto k = kpis.find(item.code);
            if (k == kpis.end()) {
                item.ij = "none";
                continue;
            }
            const double n = k->second.referrals;
            if (std::isnan(n)) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "<%.0f", opt.rules.min_referral_count);
                item.ij = buf;
                item.ij_completion = "withheld";
                continue;
            }
            item.ij = with_commas(std::llround(n));
            const auto& c = k->second.completed;
            if (c.suppressed) {
                item.ij_completion = "withheld";
            } else if (c.denominator <= 0) {
                item.ij_completion = "none closed";
            } else {
                char buf[48];
                std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * c.numerator / c.denominator);
                item.ij_completion = buf;
            }
        }
    }
}

} // namespace

BulletinDraft draft_bulletin(store::Store& store, const BulletinOptions& opt) {
    const auto started = std::chrono::steady_clock::now();
    if (opt.top < 1 || opt.top > 20) {
        throw UsageError("--top must be 1 to 20 (the hotspots a bulletin can brief on)");
    }
    if (opt.profile == Profile::published && opt.rules.min_count < 5) {
        throw UsageError("a minimum count below 5 is not allowed for the published profile");
    }
    const RunRow run = find_run(store, opt);
    BulletinReport report;
    report.run_id = run.id;
    const bool run_dated = run.period_to.size() == 10;

    // --- the period and the two it is compared with ---
    Period period;
    period.from = opt.from.empty() ? (opt.to.empty() ? run.period_to.substr(0, 7) : opt.to) : opt.from;
    period.to = opt.to.empty() ? period.from : opt.to;
    if (period.from.size() != period.to.size()) {
        throw UsageError("--from and --to must both be months (YYYY-MM) or both dates (YYYY-MM-DD)");
    }
    period.dated = period.from.size() == 10;
    if (period.dated) {
        if (run.source == "police.uk" || run.source == "police.uk-api") {
            throw UsageError("run " + std::to_string(run.id) + " is on " + run.source +
                             " data, which has months only: give the period as months (--month YYYY-MM, or --from "
                             "and --to YYYY-MM)");
        }
        if (days_of(period.to) < days_of(period.from)) {
            throw UsageError("the period ends (" + period.to + ") before it starts (" + period.from + ")");
        }
    } else {
        const auto f = Month::parse(period.from);
        const auto t = Month::parse(period.to);
        if (!f || !t) {
            throw UsageError("the period '" + period.from + "' to '" + period.to +
                             "' is not months (YYYY-MM) or dates (YYYY-MM-DD)");
        }
        if (*t < *f) {
            throw UsageError("the period ends (" + period.to + ") before it starts (" + period.from + ")");
        }
    }
    const Period previous =
        period.dated
            ? shifted_days(period, -(days_of(period.to) - days_of(period.from) + 1))
            : shifted_months(period, -(Month::parse(period.to)->index() - Month::parse(period.from)->index() + 1));
    // A year before: whole months shift by 12; dates by 52 weeks, so the days of the week match.
    const Period last_year = period.dated ? shifted_days(period, -364) : shifted_months(period, -12);
    const auto stored = store::stored_months(store, run.source, run.force);
    if (stored.empty() || !months_stored(stored, period)) {
        throw Error("the store holds no " + run.source + " incidents for " + period.from + " to " + period.to +
                    (stored.empty() ? std::string{} : " (it holds " + stored.front() + " to " + stored.back() + ")") +
                    "; give a period inside it with --month or --from/--to");
    }
    // Never a silent zero: every month of the period must be stored (police.uk publishes every
    // month; a force export has no partition for a quiet month, which counts as zero).
    if (const auto missing = store::missing_months(store, run.source, period.from, period.to, run.force);
        !missing.empty() && run.source != "force-export") {
        throw Error("the store holds no " + run.source + " incidents" +
                    (run.force.empty() ? std::string{} : " of " + run.force) + " for " + store::month_list(missing) +
                    " (stored: " + stored.front() + " to " + stored.back() + ", without " +
                    store::month_list(store::missing_months(store, run.source, stored.front(), stored.back(),
                                                            run.force)) +
                    "); ingest it, or give a stored period with --month or --from/--to");
    }
    report.period_from = period.from;
    report.period_to = period.to;
    const auto categories = store::category_ids_named(store, run.categories);

    Model model;
    model.title = "ASB patrol bulletin";
    if (run.categories != "Anti-social behaviour") {
        model.title = "Patrol bulletin";
    }
    for (const auto& f : store::stored_forces(store, run.source, "0000-00", "9999-99")) {
        model.force += (model.force.empty() ? "" : ", ") + f;
    }
    if (!run.force.empty()) {
        model.force = run.force; // a run of one force in a store of several
    }
    model.period = period.label();
    model.period_from_month = period.from.substr(0, 7);
    model.period_to_month = period.to.substr(0, 7);
    model.previous = previous.label();
    model.last_year = last_year.label();
    model.classification = classification(opt.profile);
    model.profile = opt.profile;
    model.min_count = opt.rules.min_count;
    model.categories = run.categories;
    model.source = run.source;
    {
        Period evidence;
        evidence.from = run.period_from;
        evidence.to = run.period_to;
        evidence.dated = run_dated;
        model.evidence = evidence.label();
        if (run.method == "patrol") {
            model.ranking = "ranked by expected ASB, from";
        }
    }
    model.run_line = run_line(run);
    model.run_id = run.id;
    model.run_hotspots = static_cast<int>(run.hotspots);

    // Validity: from the given date, else the day after the period (a December bulletin from
    // 1 January), for as long as the period.
    model.valid_from = opt.valid_from.empty() ? day_after(period) : parse_date(opt.valid_from, "--valid-from").iso();
    if (!opt.valid_to.empty()) {
        model.valid_to = parse_date(opt.valid_to, "--valid-to").iso();
    } else if (period.dated) {
        model.valid_to = date_of(days_of(model.valid_from) + days_of(period.to) - days_of(period.from));
    } else {
        const int months = Month::parse(period.to)->index() - Month::parse(period.from)->index() + 1;
        auto v = parse_date(model.valid_from, "--valid-from");
        const int idx = v.year * 12 + (v.month - 1) + months;
        DateTime end{idx / 12, idx % 12 + 1, std::min(v.day, days_in_month(idx / 12, idx % 12 + 1))};
        end.has_time = false;
        model.valid_to = date_of(end.days_since_epoch() - 1);
    }
    if (days_of(model.valid_to) < days_of(model.valid_from)) {
        throw UsageError("the bulletin's validity ends (" + model.valid_to + ") before it starts (" + model.valid_from +
                         ")");
    }

    // --- the run's hotspots ---
    // Published: only the hotspots the disclosure gate publishes (at least k locations and k
    // incidents), with its names (police.uk streets only) and its outlines; incidents are still
    // counted inside the stored outline, and every count then passes through the sdc table below.
    const bool published = opt.profile == Profile::published;
    struct PublishedHotspot {
        std::string name, wkb;
    };
    std::map<std::string, PublishedHotspot> published_hotspots;
    GateFigures gate_figs;
    if (published) {
        std::optional<RawRun> own_raw;
        std::optional<RunModel> own_gate;
        const bool given = opt.loaded != nullptr && opt.published_model != nullptr && opt.loaded->run.id == run.id;
        if (!given) {
            LoadOptions load;
            load.run_id = run.id;
            load.method = run.method;
            own_raw.emplace(load_run(store, load));
            own_gate.emplace(disclose(*own_raw, Profile::published, opt.rules));
        }
        const RawRun& raw = given ? *opt.loaded : *own_raw;
        const RunModel& gate = given ? *opt.published_model : *own_gate;
        gate_figs = gate_figures(raw, gate,
                                 sdc::PTable{static_cast<int>(opt.rules.min_count), opt.rules.max_noise});
        if (const auto* layer = gate.find("hotspots")) {
            const int code_f = layer->field("code"), name_f = layer->field("name");
            for (const auto& f : layer->features) {
                PublishedHotspot h;
                if (name_f >= 0) {
                    if (const auto* n = std::get_if<std::string>(&f.values[static_cast<std::size_t>(name_f)])) {
                        h.name = *n;
                    }
                }
                h.wkb = f.wkb;
                published_hotspots.emplace(std::get<std::string>(f.values[static_cast<std::size_t>(code_f)]),
                                           std::move(h));
            }
        }
        if (gate.disclosure.hotspots_withheld > 0) {
            model.notes.push_back(std::to_string(gate.disclosure.hotspots_withheld) + " of the run's hotspots have "
                                  "fewer than " + std::to_string(static_cast<int>(opt.rules.min_count)) +
                                  " locations or incidents: withheld from the published bulletin.");
        }
    }
    geo::Context ctx;
    std::vector<Shape> shapes;
    std::vector<std::array<double, 2>> hotspot_points; // one inside point per hotspot shown
    for (const auto& hotspot : store::read_hotspots(store, run.id)) {
        const auto pub = published_hotspots.find(hotspot.code);
        if (published && pub == published_hotspots.end()) {
            continue;  // withheld by the gate: neither drawn nor counted as a hotspot
        }
        auto g = ctx.from_wkb(hotspot.wkb);
        hotspot_points.push_back(published && !pub->second.wkb.empty()
                                     ? ctx.from_wkb(pub->second.wkb).interior_point()
                                     : g.interior_point());
        Shape shape;
        g.bounds(shape.bbox[0], shape.bbox[1], shape.bbox[2], shape.bbox[3]);
        if (static_cast<int>(model.items.size()) < opt.top) {
            Item item;
            item.code = hotspot.code;
            item.rank = hotspot.rank;
            item.name = published ? pub->second.name : hotspot.name;
            item.run_incidents = hotspot.incidents;
            if (hotspot.confidence) {
                item.confidence = *hotspot.confidence;
            }
            item.trend_class = hotspot.trend_class;
            if (published && !pub->second.wkb.empty()) {
                const auto outline = ctx.from_wkb(pub->second.wkb);
                item.rings = outline.rings();
                item.anchor = outline.interior_point();
            } else {
                item.rings = g.rings();
                item.anchor = g.interior_point();
            }
            item.bbox = shape.bbox;
            model.items.push_back(std::move(item));
        } else {
            model.others.push_back(published && !pub->second.wkb.empty() ? ctx.from_wkb(pub->second.wkb).rings()
                                                                          : g.rings());
        }
        shape.prepared = std::make_unique<geo::PreparedGeometry>(ctx, std::move(g));
        shapes.push_back(std::move(shape));
    }
    report.hotspots = static_cast<int>(model.items.size());
    if (model.items.empty()) {
        model.notes.push_back("Run " + std::to_string(run.id) + " found no hotspots in " + model.evidence +
                              ": there are no hotspot patrol areas to brief on. Patrol as usual, and run "
                              "'hotref hotspots' again when new data arrives.");
    }

    // --- the map: force area and districts (read before the counts: the district table) ---
    bool have_districts = false;
    std::vector<District> table_districts;
    std::string boundaries = opt.boundaries;
    if (!boundaries.empty() && !fs::exists(boundaries)) {
        throw Error(boundaries + ": no such boundaries file; give --boundaries a polygon file of the force's "
                                 "districts (for example ONS Local Authority Districts, with --boundary-layer and "
                                 "--boundary-name-field when its names differ)");
    }
    if (boundaries.empty() && fs::exists(run.area)) {
        boundaries = run.area;
    }
    bool bundled = false;
    if (boundaries.empty()) {
        // A study area derived from the bundled force areas (no --area): their districts.
        try {
            boundaries = geo::bundled_geodata();
            bundled = true;
        } catch (const Error&) {
            // not bundled here: said below
        }
    }
    if (boundaries.empty()) {
        model.notes.push_back("District boundaries not drawn: the run's area (" + run.area +
                              ") is not a file here and the bundled force areas were not found; give --boundaries "
                              "with a polygon file of the force's districts (for example ONS Local Authority "
                              "Districts, --boundary-name-field LAD23NM).");
    }
    if (!boundaries.empty()) {
        have_districts = read_boundaries(ctx, boundaries, opt, run, bundled, model, table_districts);
    }
    if (model.force_area.empty() && !run.area_wkb.empty()) {
        model.force_area = ctx.from_wkb(run.area_wkb).rings();
        model.area_label = "Study area of the run";
    }
    if (model.districts.empty() && run.area.rfind("the hull", 0) == 0) {
        // No boundaries fitted (a Welsh force): never call the hull the force area.
        model.area_label = "Study area: a hull of the points";
        model.notes.push_back(std::string{geo::is_welsh_force(model.force) ? "Welsh force: its" : "The force's"} +
                              " boundaries are not bundled, so the map shows a hull of the incident points, not the "
                              "force area; give --boundaries with its districts (for example ONS Local Authority "
                              "Districts) for a force map.");
    }
    // --- incidents this period, the previous one and a year before, per hotspot ---
    // Each location's count goes into `points` too, for the district table.
    auto per_hotspot = [&](const Period& p, double& total, std::vector<std::array<double, 3>>* points = nullptr) {
        std::vector<double> out(shapes.size(), 0.0);
        total = 0;
        for (const auto& c : store::location_counts(store, p.query(run.source, categories, run.force))) {
            total += c.count;
            if (points != nullptr) {
                points->push_back({c.easting, c.northing, c.count});
            }
            const int h = hotspot_of(shapes, c.easting, c.northing);
            if (h >= 0) {
                out[static_cast<std::size_t>(h)] += c.count;
            }
        }
        return out;
    };
    // A comparison period with a month not stored is not compared (never a silent zero).
    auto gaps_of = [&](const Period& p) {
        return run.source == "force-export" ? std::vector<std::string>{}
                                            : store::missing_months(store, run.source, p.from, p.to, run.force);
    };
    auto not_stored = [&](const Period& p, const std::string& label) {
        const auto gaps = months_stored(stored, p) ? gaps_of(p) : std::vector<std::string>{};
        return gaps.empty() ? label + " is not in the store"
                            : label + " is not wholly in the store (" + store::month_list(gaps) + " missing)";
    };
    {
        std::vector<std::array<double, 3>> now_points, prev_points;
        const auto now = per_hotspot(period, model.total_now, &now_points);
        double in_top = 0;
        for (std::size_t i = 0; i < model.items.size(); ++i) {
            model.items[i].now = now[i];
            in_top += now[i];
        }
        model.rest_now = model.total_now - in_top;
        if (months_stored(stored, previous) && gaps_of(previous).empty()) {
            const auto prev = per_hotspot(previous, model.total_prev, &prev_points);
            for (std::size_t i = 0; i < model.items.size(); ++i) {
                model.items[i].prev = prev[i];
            }
            report.previous_from = previous.from;
            report.previous_to = previous.to;
        } else {
            model.has_previous = false;
            model.notes.push_back(not_stored(previous, "The previous period (" + model.previous + ")") +
                                  ": no change shown.");
        }
        if (months_stored(stored, last_year) && gaps_of(last_year).empty()) {
            double total = 0;
            const auto ly = per_hotspot(last_year, total);
            for (std::size_t i = 0; i < model.items.size(); ++i) {
                model.items[i].last_year = ly[i];
            }
        } else {
            model.has_last_year = false;
            model.notes.push_back(not_stored(last_year, "The same period a year before (" + model.last_year + ")") +
                                  ": no change against last year.");
        }
        fill_district_table(model, table_districts, now_points, model.has_previous ? &prev_points : nullptr,
                            hotspot_points);
    }

    // --- insets, streets, monthly trends and times: over the run's period (the hotspots' evidence) ---
    Period evidence;
    evidence.from = run.period_from;
    evidence.to = run.period_to;
    evidence.dated = run_dated;
    if (!model.items.empty()) {
        const auto counts = store::location_counts(store, evidence.query(run.source, categories, run.force));
        std::vector<std::int64_t> ids;
        for (const auto& c : counts) {
            ids.push_back(c.location_id);
        }
        std::unordered_map<std::int64_t, bool> exact;
        for (const auto& l : store::location_details(store, ids)) {
            exact[l.id] = l.exact;
        }
        const auto labels = store::location_labels(store, ids);
        std::unordered_map<std::int64_t, int> hotspot_of_location;
        std::vector<std::pair<double, std::size_t>> busiest(model.items.size(), {0.0, 0}); // count, index in counts
        for (std::size_t k = 0; k < counts.size(); ++k) {
            const auto& c = counts[k];
            const int h = hotspot_of(shapes, c.easting, c.northing);
            hotspot_of_location[c.location_id] = h;
            for (std::size_t i = 0; i < model.items.size(); ++i) {
                auto& item = model.items[i];
                // The inset shows the hotspot and a margin around it.
                const double margin =
                    std::max({item.bbox[2] - item.bbox[0], item.bbox[3] - item.bbox[1], 400.0}) * 0.35;
                if (c.easting < item.bbox[0] - margin || c.easting > item.bbox[2] + margin ||
                    c.northing < item.bbox[1] - margin || c.northing > item.bbox[3] + margin) {
                    continue;
                }
                const bool inside = h == static_cast<int>(i);
                if (inside && c.count > busiest[i].first) {
                    busiest[i] = {c.count, k};
                }
                bulletin::Place place;
                place.x = c.easting;
                place.y = c.northing;
                place.count = c.count;
                place.inside = inside;
                if (!published) {
                    place.street = strip_on_or_near(labels[k].street);
                    item.places.push_back(std::move(place));
                    continue;
                }
                // Published: every place is a cell of the sdc table below (small ones are withheld
                // there). A force's exact point is never published as it is: it is folded into the
                // centre of its 100 m square, without its free-text street; police.uk snap points keep
                // their "On or near" street.
                if (exact[c.location_id]) {
                    place.x = (std::floor(place.x / 100) + 0.5) * 100;
                    place.y = (std::floor(place.y / 100) + 0.5) * 100;
                } else if (police_uk_street(labels[k].street)) {
                    place.street = strip_on_or_near(labels[k].street);
                }
                const auto same = std::find_if(item.places.begin(), item.places.end(), [&](const auto& q) {
                    return q.x == place.x && q.y == place.y;
                });
                if (same != item.places.end()) {
                    same->count += place.count;
                    same->inside = same->inside || place.inside;
                    if (same->street != place.street) {
                        same->street.clear();
                    }
                } else {
                    item.places.push_back(std::move(place));
                }
            }
        }
        for (auto& item : model.items) {
            // Streets by incidents (a street can have several snap points); published: below, from the sdc table.
            std::map<std::string, double> by_street;
            for (const auto& p : item.places) {
                if (p.inside && !p.street.empty()) {
                    by_street[p.street] += p.count;
                }
            }
            std::vector<std::pair<std::string, double>> sorted(by_street.begin(), by_street.end());
            std::stable_sort(sorted.begin(), sorted.end(),
                             [](const auto& a, const auto& b) { return a.second > b.second; });
            for (std::size_t k = 0; k < sorted.size() && k < 5 && !published; ++k) {
                item.streets.push_back(sorted[k].first + " (" + with_commas(std::llround(sorted[k].second)) + ")");
            }
            std::sort(item.places.begin(), item.places.end(),
                      [](const auto& a, const auto& b) { return a.count > b.count; });
            // A readable name where the run has none: the busiest location's street, else its LSOA
            // (a name, not a count: it is given whatever the profile, as the run's own names are).
            const auto i = static_cast<std::size_t>(&item - model.items.data());
            // Published: a police.uk street only, never a force's free text.
            const bool nameable =
                busiest[i].first > 0 &&
                (!published || (police_uk_street(labels[busiest[i].second].street) &&
                                !exact[counts[busiest[i].second].location_id]));
            if (item.name.empty() && nameable) {
                const auto& label = labels[busiest[i].second];
                const std::string street = strip_on_or_near(label.street);
                item.name = !street.empty() ? street + (label.lsoa_name.empty() ? "" : ", " + label.lsoa_name)
                                            : label.lsoa_name;
            }
        }
        // Monthly trend: the run's months, and the bulletin's period when it comes later.
        {
            Period months = evidence;
            months.dated = false;
            months.from = run.period_from.substr(0, 7);
            months.to = std::max(run.period_to.substr(0, 7), period.to.substr(0, 7));
            for (auto m = *Month::parse(months.from); m <= *Month::parse(months.to);
                 m = Month{(m.index() + 1) / 12, (m.index() + 1) % 12 + 1}) {
                for (auto& item : model.items) {
                    item.months.push_back(m.str());
                }
            }
            const auto gaps = gaps_of(months);
            for (auto& item : model.items) {
                item.per_month.assign(item.months.size(), 0.0);
                item.month_missing.assign(item.months.size(), 0);
                for (std::size_t k = 0; k < item.months.size(); ++k) {
                    item.month_missing[k] = std::binary_search(gaps.begin(), gaps.end(), item.months[k]) ? 1 : 0;
                }
            }
            for (const auto& c : store::location_month_counts(store, months.query(run.source, categories, run.force))) {
                const auto it = hotspot_of_location.find(c.location_id);
                int h = it != hotspot_of_location.end() ? it->second : -2;
                if (h == -2) {
                    // A location with incidents only after the run's period.
                    const auto at = store::location_details(store, {c.location_id});
                    h = at.empty() ? -1 : hotspot_of(shapes, at.front().easting, at.front().northing);
                    hotspot_of_location[c.location_id] = h;
                }
                if (h >= 0 && h < static_cast<int>(model.items.size())) {
                    auto& item = model.items[static_cast<std::size_t>(h)];
                    const auto pos = std::find(item.months.begin(), item.months.end(), c.month) - item.months.begin();
                    if (pos < static_cast<std::ptrdiff_t>(item.months.size())) {
                        item.per_month[static_cast<std::size_t>(pos)] += c.count;
                    }
                }
            }
        }
        // Day of the week x hour, where the source recorded times.
        const auto timed = store::location_weekday_hour_counts(store, evidence.query(run.source, categories, run.force));
        for (const auto& t : timed.counts) {
            const auto it = hotspot_of_location.find(t.location_id);
            if (it == hotspot_of_location.end() || it->second < 0 ||
                it->second >= static_cast<int>(model.items.size())) {
                continue;
            }
            auto& item = model.items[static_cast<std::size_t>(it->second)];
            item.week[static_cast<std::size_t>(t.weekday * 24 + t.hour)] += t.count;
            item.timed_total += t.count;
        }
        for (auto& item : model.items) {
            item.untimed = std::max(0.0, item.run_incidents - item.timed_total);
            item.timed = item.timed_total > 0;
            if (item.timed && !published) {
                item.windows = patrol_windows(item.week, 3, 2);
            }
            // Published: replaced below by what the sdc table publishes.
            item.per_month_shown = item.per_month;
            item.week_shown = item.week;
        }
    }

    // The published profile's counts (filled below, protected before the map).
    BulletinCells cells;
    if (published) {
        cells.secret = store::disclosure_secret(store);
    }
    // Published evaluations: their two target counts are cells of the table (keyed as the gate's
    // disclose_evaluation keys them, so they carry the same noise); the text is written after protect().
    struct PendingEvaluation {
        int item = -1;  // -1: the scheme
        std::string prefix;
        std::size_t before = no_cell, after = no_cell;
    };
    std::vector<PendingEvaluation> pending_evaluations;

    // --- the latest before/after evaluation of the series (its codes are the same places) ---
    if (!model.items.empty()) {
        if (const auto latest = store::latest_evaluation_of_series(store, run.method, run.categories, run.source)) {
            const auto evaluation_id = latest->id;
            const auto params = nlohmann::json::parse(latest->params, nullptr, false);
            std::string when =
                "evaluation " + std::to_string(evaluation_id) + " (run " + std::to_string(latest->run_id) + ")";
            if (params.is_object() && params.contains("before") && params.contains("after")) {
                when += ", " + params["before"][0].get<std::string>() + " to " +
                        params["before"][1].get<std::string>() + " against " + params["after"][0].get<std::string>() +
                        " to " + params["after"][1].get<std::string>();
            }
            std::string windows[2];
            if (params.is_object() && params.contains("before") && params.contains("after")) {
                windows[0] = params["before"][0].get<std::string>() + ".." + params["before"][1].get<std::string>();
                windows[1] = params["after"][0].get<std::string>() + ".." + params["after"][1].get<std::string>();
            }
            auto describe = [&](const nlohmann::json& m, const std::string& code, int item,
                                const std::string& prefix) -> std::string {
                const double before = m.value("target_before", nan), after = m.value("target_after", nan);
                if (!std::isfinite(before) || !std::isfinite(after)) {
                    return "";
                }
                if (published) {
                    if (windows[0].empty()) {
                        return "";
                    }
                    PendingEvaluation pe;
                    pe.item = item;
                    pe.prefix = prefix;
                    const double v[2] = {before, after};
                    std::size_t* ids[2] = {&pe.before, &pe.after};
                    for (int w = 0; w < 2; ++w) {
                        char value[48];
                        std::snprintf(value, sizeof value, "|%.3f", v[w]);
                        const std::string what = "evaluation|" + code + "|target|" + windows[w];
                        *ids[w] = cells.add_keyed(what, what + value, v[w]);
                    }
                    pending_evaluations.push_back(std::move(pe));
                    return "";
                }
                const double p = m.value("p_exact", nan);
                char p_text[32] = "p n/a";
                if (std::isfinite(p)) {
                    std::snprintf(p_text, sizeof p_text, p < 0.001 ? "p < 0.001" : "p = %.3f", p);
                }
                char buf[200];
                std::snprintf(buf, sizeof buf, "%s to %s (%+.0f%%), rate ratio %.2f, %s",
                              with_commas(std::llround(before)).c_str(), with_commas(std::llround(after)).c_str(),
                              m.value("percent_change", nan), m.value("rate_ratio", nan), p_text);
                std::string text = buf;
                if (const auto reading = m.value("wdq_reading", std::string{}); !reading.empty()) {
                    text += "; WDQ: " + reading;
                }
                return text;
            };
            for (const auto& area : store::read_evaluation_areas(store, evaluation_id)) {
                const auto& code = area.code;
                const auto measures = nlohmann::json::parse(area.measures, nullptr, false);
                if (!measures.is_object()) {
                    continue;
                }
                if (code == "scheme") {
                    const auto text = describe(measures, code, -1, "All hotspots, " + when + ": ");
                    if (!text.empty()) {
                        model.evaluation = "All hotspots, " + when + ": " + text + ".";
                    }
                }
                for (auto& item : model.items) {
                    if (item.code == code) {
                        const auto text =
                            describe(measures, code, static_cast<int>(&item - model.items.data()),
                                     "Last evaluated (" + when + "): ");
                        if (!text.empty()) {
                            item.evaluation = "Last evaluated (" + when + "): " + text + ".";
                        }
                    }
                }
            }
        }
    }

    // --- the published profile: every printed count from one sdc table ---
    // Cells: the area's totals, each hotspot's counts for the period, the previous one and a year
    // before, its monthly series, its total for the run, its places and streets, its weekday x hour
    // cells and its timed and untimed totals; margins wherever one printed figure is the sum of
    // others (the run's total = its months = its places = timed + untimed; a period of several
    // months = its months; timed = its week; a street = its places). protect() perturbs, withholds
    // 1..k-1 and withholds complements until the audit leaves every withheld count an interval at
    // least k wide. Everything derived (changes, shares, windows) is computed from what it publishes.
    if (published) {
        const std::string now_r = range_id(period.from, period.to);
        const std::string prev_r = range_id(previous.from, previous.to);
        const std::string ly_r = range_id(last_year.from, last_year.to);
        const std::string ev_r = run_dated ? range_id(run.period_from, run.period_to)
                                           : range_id(run.period_from.substr(0, 7), run.period_to.substr(0, 7));
        struct Ids {
            std::size_t now = no_cell, prev = no_cell, ly = no_cell, run = no_cell, timed = no_cell,
                        untimed = no_cell;
            std::vector<std::size_t> months, places;
            std::vector<std::pair<std::string, std::size_t>> streets;
            std::array<std::size_t, 168> week{};
        };
        std::vector<Ids> ids(model.items.size());
        const std::size_t total_now_id = cells.add("bulletin|area|" + now_r, model.total_now);
        const std::size_t total_prev_id =
            model.has_previous ? cells.add("bulletin|area|" + prev_r, model.total_prev) : no_cell;
        // The months of a whole-month range that the series holds (empty: not all of them).
        auto months_of = [](const Item& item, const Ids& id, const std::string& from, const std::string& to) {
            std::vector<std::size_t> parts;
            const auto f = Month::parse(from), t = Month::parse(to);
            if (!f || !t) {
                return parts;
            }
            for (auto m = *f; m <= *t; m = Month{(m.index() + 1) / 12, (m.index() + 1) % 12 + 1}) {
                const auto pos = std::find(item.months.begin(), item.months.end(), m.str()) - item.months.begin();
                if (pos >= static_cast<std::ptrdiff_t>(item.months.size())) {
                    return std::vector<std::size_t>{};
                }
                parts.push_back(id.months[static_cast<std::size_t>(pos)]);
            }
            return parts;
        };
        for (std::size_t i = 0; i < model.items.size(); ++i) {
            const auto& item = model.items[i];
            auto& id = ids[i];
            const std::string code = "bulletin|" + item.code + "|";
            for (std::size_t k = 0; k < item.months.size(); ++k) {
                id.months.push_back(cells.add(code + item.months[k], item.per_month[k]));
            }
            // A single month is the same count as its month in the series: the same cell.
            id.now = cells.add(code + now_r, item.now);
            if (!period.dated) {
                cells.margin(id.now, months_of(item, id, period.from, period.to));
            }
            if (model.has_previous) {
                id.prev = cells.add(code + prev_r, item.prev);
                if (!previous.dated) {
                    cells.margin(id.prev, months_of(item, id, previous.from, previous.to));
                }
            }
            if (model.has_last_year) {
                id.ly = cells.add(code + ly_r, item.last_year);
                if (!last_year.dated) {
                    cells.margin(id.ly, months_of(item, id, last_year.from, last_year.to));
                }
            }
            id.run = cells.add(code + ev_r, item.run_incidents);
            cells.pin(id.run, gate_figs.hotspots, item.code);
            if (!run_dated) {
                cells.margin(id.run, months_of(item, id, run.period_from.substr(0, 7), run.period_to.substr(0, 7)));
            }
            // Places (the same place in two insets is one cell) and the streets they are on.
            std::vector<std::size_t> inside;
            std::map<std::string, std::vector<std::size_t>> streets;
            std::map<std::string, double> street_sum;
            for (const auto& p : item.places) {
                const auto xy = xy_key(p.x, p.y);
                id.places.push_back(cells.add("bulletin|place|" + xy + "|" + ev_r, p.count));
                cells.pin(id.places.back(), gate_figs.places, xy);
                if (p.inside) {
                    inside.push_back(id.places.back());
                    if (!p.street.empty()) {
                        streets[p.street].push_back(id.places.back());
                        street_sum[p.street] += p.count;
                    }
                }
            }
            cells.margin(id.run, inside);
            for (const auto& [street, parts] : streets) {
                const auto sid = cells.add(code + ev_r + "|street|" + street, street_sum[street]);
                cells.margin(sid, parts);
                id.streets.emplace_back(street, sid);
            }
            if (item.timed) {
                std::vector<std::size_t> week;
                for (std::size_t w = 0; w < 168; ++w) {
                    id.week[w] = cells.add(code + ev_r + "|wh" + std::to_string(w), item.week[w]);
                    week.push_back(id.week[w]);
                }
                id.timed = cells.add(code + ev_r + "|timed", item.timed_total);
                cells.margin(id.timed, week);
                id.untimed = cells.add(code + ev_r + "|untimed", item.untimed);
                cells.margin(id.run, {id.timed, id.untimed});
            }
        }
        // Outside the top hotspots (the denominator of their share is top + rest, never above 100 %),
        // and the districts: both partition the area's total.
        std::string top_codes;
        std::vector<std::size_t> top_parts;
        for (std::size_t i = 0; i < model.items.size(); ++i) {
            top_codes += model.items[i].code + ",";
            top_parts.push_back(ids[i].now);
        }
        const std::size_t rest_id = cells.add("bulletin|outside-top|" + top_codes + "|" + now_r, model.rest_now);
        top_parts.push_back(rest_id);
        cells.margin(total_now_id, top_parts);
        const auto district_ids = district_cells(cells, model, now_r, prev_r, total_now_id, total_prev_id);
        sdc::protect(cells.table, sdc::PTable{static_cast<int>(opt.rules.min_count), opt.rules.max_noise}, true);

        model.total_now = cells.pub(total_now_id);
        model.total_prev = cells.pub(total_prev_id);
        model.rest_now = cells.pub(rest_id);
        for (std::size_t d = 0; d < model.district_rows.size(); ++d) {
            model.district_rows[d].now = cells.pub(district_ids[d][0]);
            model.district_rows[d].prev = cells.pub(district_ids[d][1]);
        }
        const double k = opt.rules.min_count;
        for (std::size_t i = 0; i < model.items.size(); ++i) {
            auto& item = model.items[i];
            const auto& id = ids[i];
            item.now = cells.pub(id.now);
            item.prev = cells.pub(id.prev);
            item.last_year = cells.pub(id.ly);
            item.run_incidents = cells.pub(id.run);
            for (std::size_t m = 0; m < item.months.size(); ++m) {
                item.per_month[m] = item.per_month_shown[m] = cells.pub(id.months[m]);
            }
            std::vector<bulletin::Place> shown;
            item.places_withheld = 0;
            for (std::size_t p = 0; p < item.places.size(); ++p) {
                const double v = cells.pub(id.places[p]);
                if (std::isnan(v) || v <= 0) {
                    item.places_withheld += item.places[p].inside && std::isnan(v) ? 1 : 0;
                    continue;
                }
                auto place = item.places[p];
                place.count = v;
                shown.push_back(std::move(place));
            }
            std::sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
            item.places = std::move(shown);
            // Streets by their published counts; withheld ones last, as "<k".
            std::vector<std::pair<std::string, double>> streets;
            for (const auto& [street, sid] : id.streets) {
                streets.emplace_back(street, cells.pub(sid));
            }
            std::stable_sort(streets.begin(), streets.end(), [](const auto& a, const auto& b) {
                const double x = std::isnan(a.second) ? -1 : a.second, y = std::isnan(b.second) ? -1 : b.second;
                return x > y;
            });
            item.streets.clear();
            for (std::size_t s = 0; s < streets.size() && s < 5; ++s) {
                item.streets.push_back(streets[s].first + " (" + bulletin::count_text(model, streets[s].second) + ")");
            }
            if (item.timed) {
                std::array<double, 168> published_week{};
                for (std::size_t w = 0; w < 168; ++w) {
                    item.week[w] = item.week_shown[w] = cells.pub(id.week[w]);
                    published_week[w] = std::isnan(item.week[w]) ? 0.0 : item.week[w];
                }
                item.timed_total = cells.pub(id.timed);
                item.untimed = cells.pub(id.untimed);
                // Windows from the published cells only, and only those holding at least k incidents.
                item.windows.clear();
                for (const auto& w : patrol_windows(published_week, 3, 2)) {
                    if (w.incidents >= k) {
                        item.windows.push_back(w);
                    }
                }
                item.windows_withheld = item.windows.size() < 3;
            }
        }
        // Evaluations: the published target counts, and the change between them; the rate ratio,
        // p and WDQ are left to the evaluation's own published output (hotref evaluate).
        for (const auto& pe : pending_evaluations) {
            const double before = cells.pub(pe.before), after = cells.pub(pe.after);
            std::string text;
            if (std::isnan(before) || std::isnan(after)) {
                text = "withheld (small counts)";
            } else {
                text = with_commas(std::llround(before)) + " to " + with_commas(std::llround(after));
                if (before > 0) {
                    char buf[32];
                    std::snprintf(buf, sizeof buf, " (%+.0f%%)", 100.0 * (after - before) / before);
                    text += buf;
                }
                text += "; published counts (within +/-" + std::to_string(opt.rules.max_noise) + ")";
            }
            if (pe.item < 0) {
                model.evaluation = pe.prefix + text + ".";
            } else {
                model.items[static_cast<std::size_t>(pe.item)].evaluation = pe.prefix + text + ".";
            }
        }
    }

    {
        double minx = 1e300, miny = 1e300, maxx = -1e300, maxy = -1e300;
        auto grow = [&](const bulletin::Rings& rings) {
            for (const auto& ring : rings) {
                for (const auto& p : ring) {
                    minx = std::min(minx, p[0]);
                    miny = std::min(miny, p[1]);
                    maxx = std::max(maxx, p[0]);
                    maxy = std::max(maxy, p[1]);
                }
            }
        };
        grow(model.force_area);
        for (const auto& d : model.districts) {
            grow(d.rings);
        }
        for (const auto& i : model.items) {
            grow(i.rings);
        }
        for (const auto& o : model.others) {
            grow(o);
        }
        if (minx > maxx) {
            minx = miny = 0;
            maxx = maxy = 1000;
        }
        model.extent = {minx, miny, maxx, maxy};
    }

    // --- sources and licences ---
    model.sources.push_back(run.source == "force-export"
                                ? "Incidents: " + (model.force.empty() ? std::string{"the force"} : model.force) +
                                      " incident export (force data, not open data)."
                                : "Incidents: data.police.uk street-level crime and ASB. Contains public sector "
                                  "information licensed under the Open Government Licence v3.0.");
    if (have_districts) {
        model.sources.push_back("Boundaries: " + opt.boundaries_attribution);
    }
    model.sources.push_back("Hotspots, maps, trends and patrol windows: hotref " HOTREF_VERSION ", " + model.run_line +
                            " (the hotspots' evidence period).");

    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    BulletinDraft draft;
    draft.model = std::make_shared<const Model>(std::move(model));
    draft.report = std::move(report);
    return draft;
}

std::vector<HotspotWindows> BulletinDraft::windows() const {
    std::vector<HotspotWindows> out;
    if (!model) {
        return out;
    }
    for (const auto& item : model->items) {
        out.push_back({item.code, {}, item.timed});
        for (const auto& w : item.windows) {
            out.back().labels.push_back(window_label(w));
        }
    }
    return out;
}

BulletinDocuments finish_bulletin(store::Store& store, const BulletinDraft& draft, const BulletinOptions& opt) {
    if (!draft.model) {
        throw Error("internal: finish_bulletin on an empty draft");
    }
    const auto started = std::chrono::steady_clock::now();
    Model model = *draft.model;
    model.generated = store::utc_now();
    add_referrals(model, store, opt);
    BulletinDocuments docs;
    if (opt.pdf) {
        docs.pdf = bulletin::render_pdf(model);
    }
    if (opt.html) {
        docs.html = bulletin::render_html(model);
    }
    docs.report = draft.report;
    auto& report = docs.report;
    report.notes = model.notes;
    for (const auto& d : model.district_rows) {
        report.districts.push_back({d.name, d.now, d.prev, d.hotspots});
    }
    report.windows = draft.windows();
    report.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return docs;
}

BulletinDocuments render_bulletin(store::Store& store, const BulletinOptions& opt) {
    return finish_bulletin(store, draft_bulletin(store, opt), opt);
}

BulletinReport write_bulletin(store::Store& store, const BulletinOptions& opt) {
    const auto started = std::chrono::steady_clock::now();
    auto docs = render_bulletin(store, opt);
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec) {
        throw Error(opt.out_dir + ": cannot create the output folder (" + ec.message() + ")");
    }
    // Each file is written whole under a temporary name and renamed into place.
    auto write = [](const std::string& path, const std::string& bytes, const char* what) {
        write_file_atomically(path, bytes, std::string{what} + " bulletin");
    };
    if (opt.pdf) {
        docs.report.pdf = (fs::path{opt.out_dir} / (opt.stem + ".pdf")).string();
        write(docs.report.pdf, docs.pdf, "PDF");
    }
    if (opt.html) {
        docs.report.html = (fs::path{opt.out_dir} / (opt.stem + ".html")).string();
        write(docs.report.html, docs.html, "HTML");
    }
    docs.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return docs.report;
}

} // namespace hotref::publish
