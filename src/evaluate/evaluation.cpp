#include "evaluate/evaluation.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "geo/vector.hpp"
#include "geo/geos.hpp"
#include "store/evaluations.hpp"
#include "store/incidents.hpp"
#include "store/links.hpp"
#include "store/runs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

namespace hotref::evaluate {

namespace {

std::string month_add(const Month& m, int delta) {
    const int index = m.index() + delta;
    return Month{index / 12, index % 12 + 1}.str();
}

} // namespace

nlohmann::json area_json(const AreaResult& a) {
    auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    return {{"target_before", a.target.before},
            {"target_after", a.target.after},
            {"buffer_before", a.buffer.before},
            {"buffer_after", a.buffer.after},
            {"control_before", a.control.before},
            {"control_after", a.control.after},
            {"percent_change", num(a.target.percent_change())},
            {"rate_ratio", num(a.target_ratio.ratio.estimate)},
            {"rate_ratio_ci", {num(a.target_ratio.ratio.lower), num(a.target_ratio.ratio.upper)}},
            {"p_exact", num(a.target_ratio.p_exact)},
            {"irr_vs_control", num(a.irr.estimate)},
            {"irr_ci", {num(a.irr.lower), num(a.irr.upper)}},
            {"success_measure", num(a.wdq.success)},
            {"buffer_displacement_measure", num(a.wdq.buffer_displacement)},
            {"wdq", num(a.wdq.wdq)},
            {"wdq_reading", a.wdq.reading},
            {"gross_effect", num(gross_effect(a.target))},
            {"net_effect", num(net_effect(a.target, a.control))},
            {"tne", num(a.tne)},
            {"wdd", num(a.wdd.wdd)},
            {"wdd_se", num(a.wdd.se)},
            {"wdd_z", num(a.wdd.z)},
            {"monthly_target", a.monthly_target},
            {"monthly_buffer", a.monthly_buffer},
            {"monthly_control", a.monthly_control}};
}

void compute_measures(AreaResult& a, int months) {
    a.target_ratio = rate_ratio(a.target.after, months, a.target.before, months);
    a.irr = irr_against_control(a.target, a.control);
    a.wdq = weighted_displacement_quotient(a.target, a.buffer, a.control);
    a.tne = total_net_effect(a.target, a.buffer, a.control);
    // One study-wide control serves the target and the buffer, scaled to each one's "before" count.
    a.wdd = weighted_displacement_difference_scaled(a.target, a.buffer, a.control);
}

namespace {

// The run to evaluate: --run, else the latest patrol run, else the latest Gi* run.
void choose_run(store::Store& store, const EvaluateOptions& opt, EvaluationSummary& out) {
    if (opt.run_id != 0) {
        out.run_id = opt.run_id;
        out.run_chosen = "--run";
        return;
    }
    const auto resolved = store::resolve_force(store, opt.force, "", "evaluate");
    const auto force = opt.force.empty() ? std::string{} : resolved;
    out.run_id = store::latest_run_id(store, "patrol", force);
    if (out.run_id != 0) {
        out.run_chosen = "the latest patrol run";
        return;
    }
    out.run_id = store::latest_run_id(store, "gistar", force);
    if (out.run_id == 0) {
        throw Error("no patrol or Gi* run" + (force.empty() ? std::string{} : " of " + force) +
                    " to evaluate; run 'hotref hotspots" + (force.empty() ? std::string{} : " --force '" + force + "'") +
                    "' first, or give --run");
    }
    out.run_chosen = "the latest Gi* run (no patrol run stored)";
}

} // namespace

// Capture against area over the hotspots in rank order (the run's prediction).
ConcentrationCurve concentration_curve(const std::vector<std::string>& codes, const std::vector<double>& target_areas,
                                       double study_area, const std::vector<double>& before,
                                       const std::vector<double>& after, double before_total, double after_total) {
    ConcentrationCurve curve;
    curve.before_total = before_total;
    curve.after_total = after_total;
    curve.area_share.push_back(0);
    curve.before_share.push_back(0);
    curve.after_share.push_back(0);
    double area = 0;
    double b = 0;
    double a = 0;
    for (std::size_t i = 0; i < target_areas.size(); ++i) {
        area += target_areas[i];
        b += before[i];
        a += after[i];
        curve.codes.push_back(codes[i]);
        curve.area_share.push_back(study_area > 0 ? area / study_area : 0);
        curve.before_share.push_back(before_total > 0 ? b / before_total : 0);
        curve.after_share.push_back(after_total > 0 ? a / after_total : 0);
    }
    const double x = curve.area_share.back();
    curve.pai_after = x > 0 ? curve.after_share.back() / x : 0;
    curve.pai_before = x > 0 ? curve.before_share.back() / x : 0;
    return curve;
}

EvaluationSummary evaluate_run(store::Store& store, const EvaluateOptions& opt) {
    EvaluationSummary out;
    choose_run(store, opt, out);
    const bool per_hotspot = opt.date.empty(); // each hotspot from the month it was first targeted
    const auto date = per_hotspot ? std::optional<Month>{} : Month::parse(opt.date);
    if (!per_hotspot && !date) {
        throw UsageError("--date must be the intervention month, YYYY-MM");
    }
    if (opt.months < 1 || opt.months > 60) {
        throw UsageError("--months must be between 1 and 60");
    }

    const auto stored_run = store::read_run(store, out.run_id);
    if (!stored_run) {
        throw Error("no run " + std::to_string(out.run_id) + " in the store; 'hotref status' lists the runs");
    }
    const std::string source = stored_run->source;
    const std::string categories = stored_run->categories;
    const std::string run_from = stored_run->period_from.substr(0, 7);
    const std::string run_to = stored_run->period_to.substr(0, 7);
    const std::string area_wkb = stored_run->area_wkb;
    out.run_method = stored_run->method;
    const std::string run_force = stored_run->force;
    const auto stored = store::stored_months(store, source, run_force);
    if (stored.empty()) {
        throw Error("the store holds no " + source + " incidents for run " + std::to_string(out.run_id));
    }

    // Areas: targets, buffer rings outside every hotspot, and the control.
    geo::Context ctx;
    std::vector<std::string> codes, names;
    std::vector<geo::Geometry> targets;
    for (auto& h : store::read_hotspots(store, out.run_id)) {
        codes.push_back(std::move(h.code));
        names.push_back(std::move(h.name));
        targets.push_back(ctx.from_wkb(h.wkb));
    }
    if (targets.empty()) {
        throw Error("run " + std::to_string(out.run_id) + " has no hotspots to evaluate");
    }
    // Each hotspot's intervention month: --date, or the month of its first linked referral.
    std::vector<std::optional<Month>> starts(targets.size(), date);
    if (per_hotspot) {
        const auto first = store::first_referral_inside(store, out.run_id);
        for (std::size_t i = 0; i < codes.size(); ++i) {
            if (const auto it = first.find(codes[i]); it != first.end()) {
                starts[i] = Month::parse(it->second.substr(0, 7));
            }
        }
    }
    // Keep the hotspots whose whole window is stored.
    int skipped_no_date = 0;
    int skipped_window = 0;
    std::vector<std::string> gaps; // months inside a window that are not stored
    for (std::size_t i = 0; i < starts.size(); ++i) {
        if (!starts[i]) {
            ++skipped_no_date;
            continue;
        }
        const auto from = month_add(*starts[i], -opt.months);
        const auto to = month_add(*starts[i], opt.months - 1);
        const auto missing = store::missing_months(store, source, from, to, run_force);
        if (!missing.empty()) {
            if (!per_hotspot) {
                throw Error("the window " + from + " to " + to + " is not all stored: the store does not hold " +
                            store::month_list(missing) + " (it holds " + stored.front() + " to " + stored.back() +
                            "); ingest them, or choose another --date or fewer --months");
            }
            for (const auto& m : missing) {
                if (std::find(gaps.begin(), gaps.end(), m) == gaps.end()) {
                    gaps.push_back(m);
                }
            }
            starts[i].reset();
            ++skipped_window;
        }
    }
    if (skipped_no_date > 0) {
        out.warnings.push_back(std::to_string(skipped_no_date) +
                               " hotspot(s) have no referral linked to them, so no date they were first targeted: "
                               "left out (give --date to evaluate every hotspot from one month)");
    }
    if (skipped_window > 0) {
        std::sort(gaps.begin(), gaps.end());
        out.warnings.push_back(std::to_string(skipped_window) + " hotspot(s) have months not in the store within " +
                               std::to_string(opt.months) + " months either side of when they were first targeted (" +
                               store::month_list(gaps) + "): left out");
    }
    int lo = std::numeric_limits<int>::max();
    int hi = std::numeric_limits<int>::min();
    for (const auto& st : starts) {
        if (st) {
            lo = std::min(lo, st->index());
            hi = std::max(hi, st->index());
        }
    }
    if (lo > hi) {
        throw Error("no hotspot of run " + std::to_string(out.run_id) + " can be evaluated: " +
                    (per_hotspot ? "link referrals first (hotref referral link) or give --date" : "see the window"));
    }
    const Month first_start{lo / 12, lo % 12 + 1};
    const Month last_start{hi / 12, hi % 12 + 1};
    out.before_from = month_add(first_start, -opt.months);
    out.before_to = month_add(last_start, -1);
    out.after_from = first_start.str();
    out.after_to = month_add(last_start, opt.months - 1);
    if (!(run_to < out.before_from || run_from > out.before_to)) {
        out.warnings.push_back("regression to the mean: the hotspots were found on " + run_from + " to " + run_to +
                               ", which overlaps the 'before' months; a fall may be partly a return to normal. "
                               "Find the hotspots on months before " + out.before_from + " to avoid it.");
    }
    std::vector<const geo::Geometry*> target_ptrs;
    for (const auto& t : targets) {
        target_ptrs.push_back(&t);
    }
    const auto all_targets = ctx.union_all(target_ptrs);
    std::vector<geo::Geometry> buffers;
    for (const auto& t : targets) {
        buffers.push_back(ctx.difference(ctx.buffer(t, opt.buffer_m), all_targets));
    }
    std::vector<const geo::Geometry*> everything = target_ptrs;
    for (const auto& b : buffers) {
        everything.push_back(&b);
    }
    const auto control = ctx.difference(ctx.from_wkb(area_wkb), ctx.union_all(everything));
    std::vector<geo::PreparedGeometry> p_targets, p_buffers;
    for (auto& t : targets) {
        p_targets.emplace_back(ctx, ctx.from_wkb(t.wkb()));
    }
    for (auto& b : buffers) {
        p_buffers.emplace_back(ctx, ctx.from_wkb(b.wkb()));
    }
    const geo::PreparedGeometry p_control{ctx, ctx.from_wkb(control.wkb())};
    const geo::PreparedGeometry p_area{ctx, ctx.from_wkb(area_wkb)};

    // Incidents per location and month over the window, by area.
    store::IncidentQuery q;
    q.from = out.before_from;
    q.to = out.after_to;
    q.source = source;
    q.force = run_force;
    q.category_ids = store::category_ids_named(store, categories);
    const int steps = (hi - lo) + 2 * opt.months; // every month of every hotspot's window
    const std::size_t n = targets.size();
    std::vector<std::vector<double>> t_month(n, std::vector<double>(static_cast<std::size_t>(steps), 0.0));
    std::vector<std::vector<double>> b_month = t_month;
    // The scheme's buffer, the union of the evaluated hotspots' rings: each location once, in
    // the series of one hotspot whose ring holds it (the first targeted; of those, the first by rank).
    std::vector<std::vector<double>> u_month = t_month;
    std::vector<double> c_month(static_cast<std::size_t>(steps), 0.0);
    std::map<std::int64_t, std::pair<double, double>> xy;
    store.for_each_location([&xy](std::int64_t id, const store::LocationRow& l) { xy[id] = {l.easting, l.northing}; });
    // Where each location falls, decided once. A location inside a hotspot (boundary included)
    // is that hotspot's target and nobody's buffer, as the rings are drawn outside every hotspot;
    // otherwise it counts in the ring of every hotspot whose ring holds it (rings overlap).
    struct Place {
        int target = -1;        // the hotspot holding it; -1: none
        std::vector<int> rings; // the hotspots whose rings hold it
        int scheme_ring = -1;   // the evaluated hotspot whose series carries it in the scheme's buffer
        bool control = false;
        bool counted = false;   // in the study area or a hotspot: in the PAI's and the curve's totals
    };
    std::map<std::int64_t, Place> where;
    const int first = Month::parse(out.before_from)->index();
    const int before_steps = steps - opt.months; // before_from to before_to
    std::vector<double> t_before(n, 0.0), t_after(n, 0.0);
    double before_total = 0;
    double after_total = 0;
    for (const auto& c : store::location_month_counts(store, q)) {
        auto it = where.find(c.location_id);
        if (it == where.end()) {
            const auto [x, y] = xy[c.location_id];
            Place w;
            for (std::size_t i = 0; i < n && w.target < 0; ++i) {
                if (p_targets[i].covers_point(x, y)) {
                    w.target = static_cast<int>(i);
                }
            }
            for (std::size_t i = 0; i < n && w.target < 0; ++i) {
                if (!p_buffers[i].covers_point(x, y)) {
                    continue;
                }
                w.rings.push_back(static_cast<int>(i));
                if (starts[i] && (w.scheme_ring < 0 || *starts[i] < *starts[static_cast<std::size_t>(w.scheme_ring)])) {
                    w.scheme_ring = static_cast<int>(i);
                }
            }
            w.control = w.target < 0 && w.rings.empty() && p_control.covers_point(x, y);
            w.counted = w.target >= 0 || p_area.covers_point(x, y);
            it = where.emplace(c.location_id, std::move(w)).first;
        }
        const int step = Month::parse(c.month)->index() - first;
        if (step < 0 || step >= steps) {
            continue;
        }
        const auto s = static_cast<std::size_t>(step);
        const auto& w = it->second;
        if (w.target >= 0) {
            t_month[static_cast<std::size_t>(w.target)][s] += c.count;
        }
        for (const int r : w.rings) {
            b_month[static_cast<std::size_t>(r)][s] += c.count;
        }
        if (w.scheme_ring >= 0) {
            u_month[static_cast<std::size_t>(w.scheme_ring)][s] += c.count;
        }
        if (w.control) {
            c_month[s] += c.count;
        }
        if (w.counted && step < before_steps) {
            before_total += c.count;
            if (w.target >= 0) {
                t_before[static_cast<std::size_t>(w.target)] += c.count;
            }
        }
        if (w.counted && step >= opt.months) {
            after_total += c.count;
            if (w.target >= 0) {
                t_after[static_cast<std::size_t>(w.target)] += c.count;
            }
        }
    }
    // Each hotspot's window: its 2 x months months from (its start - months), within the counted range.
    auto slice = [&](const std::vector<double>& series, const Month& start) {
        const int offset = start.index() - opt.months - Month::parse(out.before_from)->index();
        return std::vector<double>(series.begin() + offset, series.begin() + offset + 2 * opt.months);
    };
    auto split = [&](const std::vector<double>& series) {
        BeforeAfter ba;
        for (int k = 0; k < 2 * opt.months; ++k) {
            (k < opt.months ? ba.before : ba.after) += series[static_cast<std::size_t>(k)];
        }
        return ba;
    };
    const auto window = static_cast<std::size_t>(2 * opt.months);
    AreaResult scheme;
    scheme.code = "scheme";
    scheme.name = "all hotspots";
    scheme.monthly_target.assign(window, 0.0);
    scheme.monthly_buffer.assign(window, 0.0);
    scheme.monthly_control.assign(window, 0.0);
    std::vector<AreaResult> per;
    bool one_start = true;
    for (std::size_t i = 0; i < n; ++i) {
        if (!starts[i]) {
            continue;
        }
        one_start = one_start && *starts[i] == first_start;
        AreaResult a;
        a.code = codes[i];
        a.name = names[i];
        a.monthly_target = slice(t_month[i], *starts[i]);
        a.monthly_buffer = slice(b_month[i], *starts[i]);
        a.monthly_control = slice(c_month, *starts[i]);
        a.target = split(a.monthly_target);
        a.buffer = split(a.monthly_buffer);
        a.control = split(a.monthly_control);
        compute_measures(a, opt.months);
        const auto united = slice(u_month[i], *starts[i]);
        for (std::size_t k = 0; k < window; ++k) {
            scheme.monthly_target[k] += a.monthly_target[k];
            scheme.monthly_buffer[k] += united[k];
        }
        per.push_back(std::move(a));
    }
    // The scheme's control: the control over the same months (with several start months, the
    // control months aligned to each hotspot's start, averaged over the hotspots).
    if (one_start) {
        scheme.monthly_control = slice(c_month, first_start);
    } else {
        for (const auto& a : per) {
            for (std::size_t k = 0; k < window; ++k) {
                scheme.monthly_control[k] += a.monthly_control[k] / static_cast<double>(per.size());
            }
        }
    }
    scheme.target = split(scheme.monthly_target);
    scheme.buffer = split(scheme.monthly_buffer);
    scheme.control = split(scheme.monthly_control);
    compute_measures(scheme, opt.months);
    out.aligned = !one_start;
    out.areas.push_back(std::move(scheme));
    for (auto& a : per) {
        out.areas.push_back(std::move(a));
    }
    // Capture against area, and the PAI of the run's hotspots for the "after" incidents.
    std::vector<double> target_areas;
    for (const auto& t : targets) {
        target_areas.push_back(t.area());
    }
    out.concentration = concentration_curve(codes, target_areas, ctx.from_wkb(area_wkb).area(), t_before, t_after,
                                            before_total, after_total);
    out.pai_after = out.concentration.pai_after;

    // Store and write.
    const nlohmann::json params{{"run_id", out.run_id},         {"date", opt.date}, {"aligned", out.aligned},
                                {"months", opt.months},         {"buffer_m", opt.buffer_m},
                                {"before", {out.before_from, out.before_to}},
                                {"after", {out.after_from, out.after_to}},
                                {"control", "the run's study area outside every hotspot and buffer"},
                                {"pai_after", out.pai_after},  {"warnings", out.warnings},
                                {"concentration",
                                 {{"codes", out.concentration.codes},
                                  {"area_share", out.concentration.area_share},
                                  {"before_share", out.concentration.before_share},
                                  {"after_share", out.concentration.after_share},
                                  {"before_total", out.concentration.before_total},
                                  {"after_total", out.concentration.after_total},
                                  {"pai_before", out.concentration.pai_before}}}};
    std::vector<store::EvaluationAreaRow> rows;
    for (const auto& a : out.areas) {
        rows.push_back({a.code, a.name, area_json(a).dump(), std::nullopt, {}});
    }
    out.evaluation_id = store::insert_evaluation(store, out.run_id, params.dump(), rows);
    // What the writers (publish/evaluation_files.hpp) draw the areas with.
    out.months = opt.months;
    out.area_codes = codes;
    for (const auto& t : targets) {
        out.target_wkb.push_back(t.wkb());
    }
    for (const auto& b : buffers) {
        out.buffer_wkb.push_back(b.wkb());
    }
    out.control_wkb = control.wkb();
    out.study_area_m2 = ctx.from_wkb(area_wkb).area();
    return out;
}

std::optional<EvaluationSummary> read_evaluation(store::Store& store, std::int64_t evaluation_id) {
    const auto ev = store::read_evaluation_row(store, evaluation_id);
    if (!ev) {
        return std::nullopt;
    }
    EvaluationSummary out;
    out.evaluation_id = ev->id;
    out.run_id = ev->run_id;
    const auto params = nlohmann::json::parse(ev->params, nullptr, false);
    auto text_at = [&](const char* key, std::size_t i) {
        return params.is_object() && params.contains(key) && params[key].is_array() && params[key].size() > i &&
                       params[key][i].is_string()
                   ? params[key][i].get<std::string>()
                   : std::string{};
    };
    out.before_from = text_at("before", 0);
    out.before_to = text_at("before", 1);
    out.after_from = text_at("after", 0);
    out.after_to = text_at("after", 1);
    if (params.is_object()) {
        out.months = params.value("months", 0);
        out.aligned = params.value("aligned", false);
        out.pai_after = params.value("pai_after", 0.0);
        if (params.contains("concentration") && params["concentration"].is_object()) {
            const auto& c = params["concentration"];
            out.concentration.codes = c.value("codes", std::vector<std::string>{});
            out.concentration.area_share = c.value("area_share", std::vector<double>{});
            out.concentration.before_share = c.value("before_share", std::vector<double>{});
            out.concentration.after_share = c.value("after_share", std::vector<double>{});
            out.concentration.before_total = c.value("before_total", 0.0);
            out.concentration.after_total = c.value("after_total", 0.0);
            out.concentration.pai_before = c.value("pai_before", 0.0);
            out.concentration.pai_after = out.pai_after;
        }
    }
    if (const auto run = store::read_run(store, out.run_id)) {
        out.run_method = run->method;
        if (!run->area_wkb.empty()) {
            geo::Context ctx;
            out.study_area_m2 = ctx.from_wkb(run->area_wkb).area();
        }
    }
    // By the rank of their hotspot in the run (the scheme first), then by code.
    auto areas = store::read_evaluation_areas(store, out.evaluation_id);
    std::stable_sort(areas.begin(), areas.end(), [](const auto& a, const auto& b) {
        return a.hotspot_rank.value_or(0) < b.hotspot_rank.value_or(0);
    });
    auto number = [](const nlohmann::json& j, const char* key) {
        return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
    };
    auto series = [](const nlohmann::json& j, const char* key) {
        std::vector<double> v;
        if (j.contains(key) && j[key].is_array()) {
            for (const auto& x : j[key]) {
                v.push_back(x.is_number() ? x.get<double>() : std::nan(""));
            }
        }
        return v;
    };
    for (auto& row : areas) {
        const auto m = nlohmann::json::parse(row.measures, nullptr, false);
        if (!m.is_object()) {
            continue;
        }
        AreaResult a;
        a.code = row.code;
        a.name = row.name;
        a.target = {number(m, "target_before"), number(m, "target_after")};
        a.buffer = {number(m, "buffer_before"), number(m, "buffer_after")};
        a.control = {number(m, "control_before"), number(m, "control_after")};
        a.monthly_target = series(m, "monthly_target");
        a.monthly_buffer = series(m, "monthly_buffer");
        a.monthly_control = series(m, "monthly_control");
        compute_measures(a, out.months);
        if (a.code != "scheme" && !row.hotspot_wkb.empty()) {
            out.area_codes.push_back(a.code);
            out.target_wkb.push_back(std::move(row.hotspot_wkb));
        }
        out.areas.push_back(std::move(a));
    }
    return out;
}

} // namespace hotref::evaluate
