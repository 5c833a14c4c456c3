// Writers of an evaluation (publish/evaluation_files.hpp): they serialise the
// summary they are given, which disclosure control has already passed.

#include "publish/evaluation_files.hpp"

#include "util/atomic_dir.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "draw/chart.hpp"
#include "geo/vector.hpp"
#include "publish/styles.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hotref::publish {

using evaluate::EvaluationSummary;

namespace {

std::string month_add(const Month& m, int delta) {
    const int index = m.index() + delta;
    return Month{index / 12, index % 12 + 1}.str();
}

std::string safe_name(const std::string& code) {
    std::string out;
    for (const char c : code) {
        out += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ? c : '_';
    }
    return out;
}

// Each area's monthly series (the control scaled to the area's "before" level, so the
// lines are comparable) and a chart of the rate ratios across hotspots.
std::vector<std::string> write_charts(const EvaluationSummary& out, const EvaluationFiles& opt) {
    std::vector<std::string> written;
    const std::string mark = out.profile_note.empty() ? std::string{"internal"} : out.profile_note;
    std::error_code ec;
    std::filesystem::create_directories(opt.charts, ec);
    if (ec) {
        throw Error(opt.charts + ": cannot create the chart folder (" + ec.message() + ")");
    }
    std::vector<std::string> labels;
    const auto start = *Month::parse(out.before_from);
    for (int i = 0; i < 2 * out.months; ++i) {
        // With hotspots targeted in different months, the x axis is months since targeting.
        labels.push_back(out.aligned ? std::to_string(i - out.months) : month_add(start, i));
    }
    const draw::Colour red{0.84, 0.19, 0.15};
    const draw::Colour orange{0.93, 0.55, 0.24};
    const draw::Colour grey{0.45, 0.45, 0.45};
    const draw::Colour blue{0.17, 0.45, 0.70};
    for (std::size_t k = 0; k < out.areas.size() && k <= static_cast<std::size_t>(opt.chart_hotspots); ++k) {
        const auto& a = out.areas[k];
        const double scale = a.control.before > 0 ? a.target.before / a.control.before : 0;
        std::vector<double> control(a.monthly_control.size());
        for (std::size_t i = 0; i < control.size(); ++i) {
            control[i] = a.monthly_control[i] * scale;
        }
        char sub[320];
        std::snprintf(sub, sizeof sub, "incidents per month; %+.0f%% after, rate ratio %.2f (p %.2g); %s; %s",
                      a.target.percent_change(), a.target_ratio.ratio.estimate, a.target_ratio.p_exact,
                      a.wdq.reading, mark.c_str());
        const auto file = (std::filesystem::path{opt.charts} / (safe_name(a.code) + ".png")).string();
        draw::line_chart(file, a.code == "scheme" ? std::string{"All hotspots"} : a.code + "  " + a.name, sub, labels,
                         {{"hotspot", a.monthly_target, red, false},
                          {"buffer ring", a.monthly_buffer, orange, false},
                          {"control (scaled)", control, grey, true}},
                         out.months);
        written.push_back(file);
    }
    std::vector<draw::Estimate> estimates;
    for (std::size_t k = 0; k < out.areas.size() && k <= 20; ++k) {
        const auto& a = out.areas[k];
        estimates.push_back({a.code == "scheme" ? "all hotspots" : a.code + "  " + a.name,
                             a.target_ratio.ratio.estimate, a.target_ratio.ratio.lower, a.target_ratio.ratio.upper});
    }
    const auto file = (std::filesystem::path{opt.charts} / "rate_ratios.png").string();
    draw::ratio_chart(file, "After / before, per hotspot", out.after_from + " to " + out.after_to + " against " +
                                                              out.before_from + " to " + out.before_to +
                                                              " (95 % intervals; coloured where significant); " + mark,
                      estimates);
    written.push_back(file);

    // Capture against area: the hotspots in rank order, "after" and "before".
    const auto& k = out.concentration;
    char note[64];
    std::snprintf(note, sizeof note, "PAI %.1f after (%.1f before)", k.pai_after, k.pai_before);
    char sub[320];
    std::snprintf(sub, sizeof sub, "%zu hotspots by rank: after %s to %s (%.0f incidents), before %s to %s (%.0f); %s",
                  k.codes.size(), out.after_from.c_str(), out.after_to.c_str(), k.after_total, out.before_from.c_str(),
                  out.before_to.c_str(), k.before_total, mark.c_str());
    if (k.codes.empty()) {
        return written;  // withheld (publish::disclose_evaluation)
    }
    const auto curve_file = (std::filesystem::path{opt.charts} / "concentration.png").string();
    draw::share_chart(curve_file, "Capture against area", sub, "share of the study area (hotspots by rank)",
                      "share of the incidents captured",
                      {{"after", k.area_share, k.after_share, red, false},
                       {"before", k.area_share, k.before_share, blue, true}},
                      note);
    written.push_back(curve_file);
    return written;
}

// The areas as a styled GeoPackage, with the figures as disclosure control left them.
void write_gpkg(const EvaluationSummary& out, const EvaluationFiles& opt, Profile profile) {
    const auto& codes = out.area_codes;
    auto index_of = [&codes](const std::string& code) {
        return static_cast<std::size_t>(std::find(codes.begin(), codes.end(), code) - codes.begin());
    };
    if (std::filesystem::exists(opt.gpkg)) {
        throw Error(opt.gpkg + " exists; remove it or choose another --gpkg");
    }
    using geo::FieldType;
    using geo::FieldValue;
    auto count = [](double v) { return std::isfinite(v) ? FieldValue{v} : FieldValue{}; };
    auto real = [](double v) { return std::isfinite(v) ? FieldValue{v} : FieldValue{}; };
    const std::string period = "before " + out.before_from + " to " + out.before_to + ", after " + out.after_from +
                               " to " + out.after_to;
    geo::VectorDataset ds{opt.gpkg, "GPKG"};
    auto describe = [&](geo::VectorLayer& l, const std::string& title) {
        l.set_metadata("TITLE", title);
        l.set_metadata("PERIOD", period);
        l.set_metadata("RUN", std::to_string(out.run_id));
        l.set_metadata("LICENCE", "Open Government Licence v3.0");
        l.set_metadata("ATTRIBUTION", "Contains public sector information licensed under the Open Government Licence "
                                      "v3.0 (data.police.uk).");
        l.set_metadata("CLASSIFICATION", classification(profile));
        l.set_metadata("PROFILE", profile_name(profile));
        l.set_metadata("DISCLOSURE", out.profile_note.empty() ? std::string{"internal profile: nothing suppressed"}
                                                              : out.profile_note);
    };
    const std::vector<std::string> lco{"GEOMETRY_NAME=geom", "SPATIAL_INDEX=YES"};
    auto& hs = ds.create_layer("evaluation_hotspots", geo::GeometryKind::multipolygon, 27700,
                               {{"code", FieldType::text},        {"name", FieldType::text},
                                {"before", FieldType::real},      {"after", FieldType::real},
                                {"pct_change", FieldType::real},  {"rate_ratio", FieldType::real},
                                {"p_exact", FieldType::real},     {"irr_vs_control", FieldType::real},
                                {"buffer_before", FieldType::real}, {"buffer_after", FieldType::real},
                                {"wdq", FieldType::real},         {"wdq_reading", FieldType::text},
                                {"tne", FieldType::real},         {"wdd", FieldType::real},
                                {"wdd_z", FieldType::real}},
                               lco);
    describe(hs, "Hotspots before and after");
    for (std::size_t k = 1; k < out.areas.size(); ++k) {
        const auto& a = out.areas[k];
        const auto i = index_of(a.code);
        hs.add({a.code, a.name, count(a.target.before), count(a.target.after), real(a.target.percent_change()), real(a.target_ratio.ratio.estimate),
                real(a.target_ratio.p_exact), real(a.irr.estimate), count(a.buffer.before), count(a.buffer.after),
                real(a.wdq.wdq), std::string{a.wdq.reading}, real(a.tne), real(a.wdd.wdd), real(a.wdd.z)},
               out.target_wkb[i]);
    }
    auto& bs = ds.create_layer("evaluation_buffers", geo::GeometryKind::multipolygon, 27700,
                               {{"code", FieldType::text}, {"before", FieldType::real}, {"after", FieldType::real}},
                               lco);
    describe(bs, "Buffer rings");
    for (std::size_t k = 1; k < out.areas.size(); ++k) {
        const auto& a = out.areas[k];
        bs.add({a.code, count(a.buffer.before), count(a.buffer.after)}, out.buffer_wkb[index_of(a.code)]);
    }
    auto& cs = ds.create_layer("evaluation_control", geo::GeometryKind::multipolygon, 27700,
                               {{"before", FieldType::real}, {"after", FieldType::real}}, lco);
    describe(cs, "Control area");
    cs.add({count(out.areas.front().control.before), count(out.areas.front().control.after)}, out.control_wkb);
    write_layer_styles(
        ds,
        {{"evaluation_hotspots", change_qml("pct_change", "\"code\" || ' ' || round(\"pct_change\") || '%'")},
         {"evaluation_buffers", outline_qml("237,117,81", true)},
         {"evaluation_control", outline_qml("150,150,150", true)}},
        store::utc_now());
    ds.close();
}

void write_csv(const EvaluationSummary& out, const std::string& path, Profile profile) {
    using namespace evaluate;
    std::ostringstream csv;
    csv << "code,name,target_before,target_after,percent_change,rate_ratio,p_exact,irr_vs_control,buffer_before,"
           "buffer_after,control_before,control_after,gross_effect,net_effect,wdq,wdq_reading,tne,wdd,wdd_se,wdd_z,"
           "classification\n";
    auto f = [](double v) { return std::isfinite(v) ? std::to_string(v) : std::string{}; };
    auto n = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return std::isfinite(v) ? std::string{buf} : std::string{};
    };
    for (const auto& a : out.areas) {
        csv << a.code << ",\"" << a.name << "\"," << n(a.target.before) << "," << n(a.target.after) << ","
            << f(a.target.percent_change()) << "," << f(a.target_ratio.ratio.estimate) << ","
            << f(a.target_ratio.p_exact) << "," << f(a.irr.estimate) << "," << n(a.buffer.before) << ","
            << n(a.buffer.after) << "," << n(a.control.before) << "," << n(a.control.after) << ","
            << f(gross_effect(a.target)) << "," << f(net_effect(a.target, a.control)) << "," << f(a.wdq.wdq)
            << ",\"" << a.wdq.reading << "\"," << f(a.tne) << "," << f(a.wdd.wdd) << "," << f(a.wdd.se) << ","
            << f(a.wdd.z) << "," << classification(profile) << "\n";
    }
    write_file_atomically(path, csv.str(), "evaluation CSV");
}

} // namespace

std::vector<std::string> write_evaluation(const EvaluationSummary& summary, const EvaluationFiles& files,
                                          Profile profile) {
    std::vector<std::string> written;
    if (!files.gpkg.empty() && std::filesystem::exists(files.gpkg)) {
        throw Error(files.gpkg + " exists; remove it or choose another --gpkg");
    }
    if (!files.csv.empty()) {
        write_csv(summary, files.csv, profile);
        written.push_back(files.csv);
    }
    if (!files.gpkg.empty()) {
        write_gpkg(summary, files, profile);
        written.push_back(files.gpkg);
    }
    if (!files.charts.empty()) {
        for (auto& c : write_charts(summary, files)) {
            written.push_back(std::move(c));
        }
    }
    return written;
}

} // namespace hotref::publish
