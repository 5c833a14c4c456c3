#include "publish/bulletin.hpp"
#include "publish/model.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "geo/force_area.hpp"
#include "geo/geos.hpp"
#include "publish/bulletin_model.hpp"
#include "referral/kpi.hpp"
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
    store::IncidentQuery query(const std::string& source, const std::vector<std::int64_t>& categories) const {
        store::IncidentQuery q;
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
    const std::int64_t id = opt.run_id != 0 ? opt.run_id : store::default_run_id(store, opt.method);
    if (id == 0) {
        const std::string m = opt.method.empty() ? "patrol" : opt.method;
        throw Error("no " + (opt.method.empty() ? std::string{"patrol or gistar"} : opt.method) + " run in the store " +
                    store.path() + "; find hotspots first: hotref hotspots --store " + store.path() + " --method " + m);
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

std::string method_title(const RunRow& run) {
    char cell[64] = "";
    if (run.cell_size > 0) {
        std::snprintf(cell, sizeof cell, ", %.0f m cells", run.cell_size);
    }
    const std::string m = run.method == "patrol"   ? "patrol hotspots of at most " + patrol_cap(run) + " km2"
                          : run.method == "gistar" ? "Getis-Ord Gi* with FDR"
                          : run.method == "kde"    ? "kernel density (KDE)"
                                                   : "DBSCAN";
    return "run " + std::to_string(run.id) + ": " + m + cell + ", " + run.period_from + " to " + run.period_to;
}

std::string strip_on_or_near(const std::string& street) {
    const std::string prefix = "On or near ";
    return street.rfind(prefix, 0) == 0 ? street.substr(prefix.size()) : street;
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

std::string today_utc() {
    return store::utc_now().substr(0, 10);
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

std::string window_label(const PatrolWindow& w) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s %02d:00-%02d:00", day_names[w.weekday], w.hour, (w.hour + w.hours) % 24);
    return buf;
}

namespace bulletin {

std::string count_text(const Model& m, double v) {
    if (std::isnan(v)) {
        return "n/a";
    }
    if (m.profile == Profile::published && std::isnan(suppress_value(v, m.min_count))) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "<%.0f", m.min_count);
        return buf;
    }
    return with_commas(static_cast<std::int64_t>(std::llround(v)));
}

} // namespace bulletin

BulletinDocuments render_bulletin(store::Store& store, const BulletinOptions& opt) {
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
    auto& db = store.db();
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
    const auto stored = store::stored_months(store, run.source);
    if (stored.empty() || !months_stored(stored, period)) {
        throw Error("the store holds no " + run.source + " incidents for " + period.from + " to " + period.to +
                    (stored.empty() ? std::string{} : " (it holds " + stored.front() + " to " + stored.back() + ")") +
                    "; give a period inside it with --month or --from/--to");
    }
    report.period_from = period.from;
    report.period_to = period.to;
    const auto categories = store::category_ids_named(store, run.categories);

    Model model;
    model.title = "ASB patrol bulletin";
    if (run.categories != "Anti-social behaviour") {
        model.title = "Patrol bulletin";
    }
    {
        store::Statement st{db, "SELECT group_concat(name, ', ') FROM (SELECT DISTINCT f.name FROM feed_partition p "
                                "JOIN force f ON f.id = p.force_id WHERE p.source = ? ORDER BY f.name)"};
        st.bind(1, run.source);
        model.force = st.step() && !st.column_is_null(0) ? st.column_text(0) : std::string{};
    }
    model.period = period.label();
    model.period_from_month = period.from.substr(0, 7);
    model.period_to_month = period.to.substr(0, 7);
    model.previous = previous.label();
    model.last_year = last_year.label();
    model.generated = store::utc_now();
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
    model.run_line = method_title(run);
    model.run_id = run.id;
    model.run_hotspots = static_cast<int>(run.hotspots);

    // Validity: from the given date (else today) for as long as the period.
    model.valid_from = opt.valid_from.empty() ? today_utc() : parse_date(opt.valid_from, "--valid-from").iso();
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
    geo::Context ctx;
    std::vector<Shape> shapes;
    {
        store::Statement st{db,
                            "SELECT code, rank, coalesce(name, ''), incidents, confidence, coalesce(trend_class, ''), "
                            "AsBinary(geom) FROM hotspot WHERE run_id = ? ORDER BY rank"};
        st.bind(1, run.id);
        while (st.step()) {
            auto g = ctx.from_wkb(st.column_blob(6));
            Shape shape;
            g.bounds(shape.bbox[0], shape.bbox[1], shape.bbox[2], shape.bbox[3]);
            if (static_cast<int>(model.items.size()) < opt.top) {
                Item item;
                item.code = st.column_text(0);
                item.rank = static_cast<int>(st.column_int(1));
                item.name = st.column_text(2);
                item.run_incidents = st.column_double(3);
                if (!st.column_is_null(4)) {
                    item.confidence = static_cast<int>(st.column_int(4));
                }
                item.trend_class = st.column_text(5);
                item.rings = g.rings();
                item.bbox = shape.bbox;
                item.anchor = g.interior_point();
                model.items.push_back(std::move(item));
            } else {
                model.others.push_back(g.rings());
            }
            shape.prepared = std::make_unique<geo::PreparedGeometry>(ctx, std::move(g));
            shapes.push_back(std::move(shape));
        }
    }
    report.hotspots = static_cast<int>(model.items.size());
    if (model.items.empty()) {
        model.notes.push_back("Run " + std::to_string(run.id) + " found no hotspots in " + model.evidence +
                              ": there are no hotspot patrol areas to brief on. Patrol as usual, and run "
                              "'hotref hotspots' again when new data arrives.");
    }

    // --- incidents this period, the previous one and a year before, per hotspot ---
    auto per_hotspot = [&](const Period& p, double& total) {
        std::vector<double> out(shapes.size(), 0.0);
        total = 0;
        for (const auto& c : store::location_counts(store, p.query(run.source, categories))) {
            total += c.count;
            const int h = hotspot_of(shapes, c.easting, c.northing);
            if (h >= 0) {
                out[static_cast<std::size_t>(h)] += c.count;
            }
        }
        return out;
    };
    {
        const auto now = per_hotspot(period, model.total_now);
        for (std::size_t i = 0; i < model.items.size(); ++i) {
            model.items[i].now = now[i];
        }
        if (months_stored(stored, previous)) {
            const auto prev = per_hotspot(previous, model.total_prev);
            for (std::size_t i = 0; i < model.items.size(); ++i) {
                model.items[i].prev = prev[i];
            }
        } else {
            model.notes.push_back("The previous period (" + model.previous + ") is not in the store: no change shown.");
        }
        if (months_stored(stored, last_year)) {
            double total = 0;
            const auto ly = per_hotspot(last_year, total);
            for (std::size_t i = 0; i < model.items.size(); ++i) {
                model.items[i].last_year = ly[i];
            }
        } else {
            model.notes.push_back("The same period a year before (" + model.last_year +
                                  ") is not in the store: no change against last year.");
        }
    }

    // --- insets, streets, monthly trends and times: over the run's period (the hotspots' evidence) ---
    Period evidence;
    evidence.from = run.period_from;
    evidence.to = run.period_to;
    evidence.dated = run_dated;
    const bool published = opt.profile == Profile::published;
    if (!model.items.empty()) {
        const auto counts = store::location_counts(store, evidence.query(run.source, categories));
        std::vector<std::int64_t> ids;
        for (const auto& c : counts) {
            ids.push_back(c.location_id);
        }
        std::unordered_map<std::int64_t, bool> exact;
        {
            store::Statement st{db, "SELECT id, exact FROM location"};
            while (st.step()) {
                exact[st.column_int(0)] = st.column_int(1) != 0;
            }
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
                if (published && c.count < opt.rules.min_count) {
                    if (inside) {
                        item.places_withheld += 1;
                    }
                    continue;
                }
                bulletin::Place place;
                place.x = c.easting;
                place.y = c.northing;
                if (published && exact[c.location_id]) {
                    // A force's exact point is never published as it is: the centre of its 100 m square.
                    place.x = (std::floor(place.x / 100) + 0.5) * 100;
                    place.y = (std::floor(place.y / 100) + 0.5) * 100;
                }
                place.count = c.count;
                place.street = strip_on_or_near(labels[k].street);
                place.inside = inside;
                item.places.push_back(std::move(place));
            }
        }
        for (auto& item : model.items) {
            // Streets by incidents (a street can have several snap points).
            std::map<std::string, double> by_street;
            for (const auto& p : item.places) {
                if (p.inside && !p.street.empty()) {
                    by_street[p.street] += p.count;
                }
            }
            std::vector<std::pair<std::string, double>> sorted(by_street.begin(), by_street.end());
            std::stable_sort(sorted.begin(), sorted.end(),
                             [](const auto& a, const auto& b) { return a.second > b.second; });
            for (std::size_t k = 0; k < sorted.size() && k < 5; ++k) {
                item.streets.push_back(sorted[k].first + " (" + with_commas(std::llround(sorted[k].second)) + ")");
            }
            std::sort(item.places.begin(), item.places.end(),
                      [](const auto& a, const auto& b) { return a.count > b.count; });
            // A readable name where the run has none: the busiest location's street, else its LSOA
            // (a name, not a count: it is given whatever the profile, as the run's own names are).
            const auto i = static_cast<std::size_t>(&item - model.items.data());
            if (item.name.empty() && busiest[i].first > 0) {
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
            for (auto& item : model.items) {
                item.per_month.assign(item.months.size(), 0.0);
            }
            for (const auto& c : store::location_month_counts(store, months.query(run.source, categories))) {
                const auto it = hotspot_of_location.find(c.location_id);
                int h = it != hotspot_of_location.end() ? it->second : -2;
                if (h == -2) {
                    // A location with incidents only after the run's period.
                    store::Statement st{db, "SELECT easting, northing FROM location WHERE id = ?"};
                    st.bind(1, c.location_id);
                    h = st.step() ? hotspot_of(shapes, st.column_double(0), st.column_double(1)) : -1;
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
        const auto timed = store::location_weekday_hour_counts(store, evidence.query(run.source, categories));
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
            if (item.timed) {
                item.windows = patrol_windows(item.week, 3, 2);
            }
            // What may be shown: the hotspot's total for the run is printed beside both breakdowns,
            // so each is suppressed with secondary suppression (no cell can be got back by subtraction).
            item.per_month_shown = item.per_month;
            std::vector<double> week(item.week.begin(), item.week.end());
            if (published) {
                suppress_row(item.per_month_shown, opt.rules.min_count, true);
                suppress_row(week, opt.rules.min_count, true);
            }
            std::copy(week.begin(), week.end(), item.week_shown.begin());
        }
    }

    // --- Immediate Justice referrals linked to this run ---
    model.referrals_linked =
        db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'referral_link'") > 0 &&
        db.query_int("SELECT count(*) FROM referral_link WHERE run_id = " + std::to_string(run.id)) > 0;
    if (!model.referrals_linked && !model.items.empty()) {
        model.notes.push_back("No Immediate Justice referrals are linked to run " + std::to_string(run.id) +
                              " (hotref referral link --run " + std::to_string(run.id) +
                              "): the IJ columns are empty.");
    }
    if (model.referrals_linked) {
        referral::KpiOptions ko;
        ko.run_id = run.id;
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

    // --- the latest before/after evaluation of the series (its codes are the same places) ---
    if (db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'evaluation_area'") > 0 && !model.items.empty()) {
        store::Statement st{db, "SELECT e.id, e.run_id, e.params FROM evaluation e JOIN run r ON r.id = e.run_id "
                                "WHERE r.method = ? AND r.categories = ? AND r.source = ? ORDER BY e.id DESC LIMIT 1"};
        st.bind(1, run.method).bind(2, run.categories).bind(3, run.source);
        if (st.step()) {
            const auto evaluation_id = st.column_int(0);
            const auto params = nlohmann::json::parse(st.column_text(2), nullptr, false);
            std::string when =
                "evaluation " + std::to_string(evaluation_id) + " (run " + std::to_string(st.column_int(1)) + ")";
            if (params.is_object() && params.contains("before") && params.contains("after")) {
                when += ", " + params["before"][0].get<std::string>() + " to " +
                        params["before"][1].get<std::string>() + " against " + params["after"][0].get<std::string>() +
                        " to " + params["after"][1].get<std::string>();
            }
            auto describe = [&](const nlohmann::json& m) -> std::string {
                const double before = m.value("target_before", nan), after = m.value("target_after", nan);
                if (!std::isfinite(before) || !std::isfinite(after)) {
                    return "";
                }
                if (published && (std::isnan(suppress_value(before, opt.rules.min_count)) ||
                                  std::isnan(suppress_value(after, opt.rules.min_count)))) {
                    return "withheld (small counts)";
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
            store::Statement areas{db, "SELECT code, measures FROM evaluation_area WHERE evaluation_id = ?"};
            areas.bind(1, evaluation_id);
            while (areas.step()) {
                const auto code = areas.column_text(0);
                const auto measures = nlohmann::json::parse(areas.column_text(1), nullptr, false);
                if (!measures.is_object()) {
                    continue;
                }
                if (code == "scheme") {
                    const auto text = describe(measures);
                    if (!text.empty()) {
                        model.evaluation = "All hotspots, " + when + ": " + text + ".";
                    }
                }
                for (auto& item : model.items) {
                    if (item.code == code) {
                        const auto text = describe(measures);
                        if (!text.empty()) {
                            item.evaluation = "Last evaluated (" + when + "): " + text + ".";
                        }
                    }
                }
            }
        }
    }

    // --- the map: force area and districts ---
    std::string boundaries = opt.boundaries;
    if (!boundaries.empty() && !fs::exists(boundaries)) {
        throw Error(boundaries + ": no such boundaries file; give --boundaries a GeoPackage with layers force_area "
                                 "and districts (for example geodata/derbyshire_force_area.gpkg)");
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
                              ") is not a file here; give --boundaries (for example "
                              "geodata/derbyshire_force_area.gpkg).");
    }
    bool have_districts = false;
    if (!boundaries.empty()) {
        try {
            // The bundled file holds every English district: draw those of the run's area only.
            std::optional<geo::PreparedGeometry> within;
            if (bundled && !run.area_wkb.empty()) {
                within.emplace(ctx, ctx.from_wkb(run.area_wkb));
            }
            for (const auto& d : geo::read_named_polygons(boundaries, "districts", "EPSG:27700", "name")) {
                const auto g = ctx.from_wkb(d.wkb);
                const auto inside = g.interior_point();
                if (within && !within->covers_point(inside[0], inside[1])) {
                    continue;
                }
                model.districts.push_back(Model::District{d.name, g.rings(), inside});
            }
            have_districts = true;
        } catch (const Error& e) {
            model.notes.push_back("District boundaries not drawn: " + std::string{e.what()});
        }
        try {
            for (const auto& wkb : geo::read_polygons_wkb(boundaries, "force_area", "EPSG:27700")) {
                for (auto& r : ctx.from_wkb(wkb).rings()) {
                    model.force_area.push_back(std::move(r));
                }
            }
        } catch (const Error&) {
            model.force_area.clear();
        }
        if (model.force_area.empty() && !run.area_wkb.empty()) {
            model.force_area = ctx.from_wkb(run.area_wkb).rings(); // the run's own (derived) area
        }
    }
    if (model.force_area.empty() && !run.area_wkb.empty()) {
        model.force_area = ctx.from_wkb(run.area_wkb).rings();
        model.area_label = "Study area of the run";
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

    BulletinDocuments docs;
    if (opt.pdf) {
        docs.pdf = bulletin::render_pdf(model);
    }
    if (opt.html) {
        docs.html = bulletin::render_html(model);
    }
    report.notes = model.notes;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    docs.report = std::move(report);
    return docs;
}

BulletinReport write_bulletin(store::Store& store, const BulletinOptions& opt) {
    const auto started = std::chrono::steady_clock::now();
    auto docs = render_bulletin(store, opt);
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec) {
        throw Error(opt.out_dir + ": cannot create the output folder (" + ec.message() + ")");
    }
    auto write = [](const std::string& path, const std::string& bytes, const char* what) {
        std::ofstream out{path, std::ios::binary};
        out << bytes;
        out.close();
        if (!out) {
            throw Error(path + ": cannot write the " + what + " bulletin (check the folder and free space)");
        }
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
