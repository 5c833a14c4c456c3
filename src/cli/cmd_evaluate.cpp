#include "cli/commands.hpp"

#include "cli/scheme_costs.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "store/store.hpp"

#include "publish/model.hpp"

#include <cmath>
#include <filesystem>
#include <cstdio>

namespace hotref::cli {

const char* EvaluateCommand::details() const {
    return R"DOC(Compares --months months before the intervention month --date with --months months from
it, for each hotspot of a run and for all of them: the target (the hotspot), a buffer ring
of --buffer metres around it outside every hotspot, and a control (the run's study area
outside every hotspot and buffer). Close hotspots' rings overlap: a location counts in
every ring that holds it, and once in the scheme's buffer. Without --run: the latest
patrol run, or when there is none the latest Gi* run. Measures: counts, % change, the
rate ratio with its 95 % interval and exact conditional test, the incidence rate ratio
against the control, the success and buffer-displacement measures and the Weighted
Displacement Quotient with its reading, the Total Net Effect, the Weighted Displacement
Difference with SE and Z, and the PAI of the hotspots for the "after" incidents. It warns
when the hotspots were found on the "before" months (regression to the mean). Stored
with the run; --csv writes the table, --gpkg the areas, --charts the series, the rate
ratios and capture against area. docs/evaluation.md has the formulas.

--costs CONF adds the page "Scheme costs and outcomes" to the --charts folder
(docs/costs.md).

Examples:
  hotref evaluate --date 2025-07 --months 6
  hotref evaluate --date 2025-07 --months 6 --charts out/charts --costs docs/examples/scheme-costs.conf
  hotref evaluate --run 3 --date 2025-10 --months 3 --buffer 400 --csv out/evaluation.csv)DOC";
}

void EvaluateCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("run", po::value<std::int64_t>(&m_options.run_id)->default_value(0), "hotspot run (0: the latest patrol run, else the latest Gi* run)")
        ("date", po::value<std::string>(&m_options.date),
         "intervention month, YYYY-MM (the first 'after' month); default: each hotspot from the month of its "
         "first linked referral")
        ("months", po::value<int>(&m_options.months)->default_value(6), "months before and after")
        ("buffer", po::value<double>(&m_options.buffer_m)->default_value(250), "buffer ring width in metres")
        ("force", po::value<std::string>(&m_options.force),
         "without --run: the latest run of this force (needed when the store holds several forces)")
        ("csv", po::value<std::string>(&m_files.csv), "write the table as CSV here")
        ("gpkg", po::value<std::string>(&m_files.gpkg),
         "write a styled GeoPackage of the hotspots (before/after), buffers and control here")
        ("charts", po::value<std::string>(&m_files.charts),
         "write PNG charts here: each top hotspot's monthly series, the rate ratios, and capture against area")
        ("costs", po::value<std::string>(&m_costs),
         "with --charts: add the page 'Scheme costs and outcomes' (scheme-costs.html, .png, .csv) from this cost "
         "config (docs/costs.md), reoffending within 12 months of every referral, followed up to today")
        ("profile", po::value<std::string>(&m_profile)->default_value("published"),
         "published (counts 1-4 withheld, the rest with cell-key noise, measures from published counts) or "
         "internal (true figures, OFFICIAL-SENSITIVE)");
}

void EvaluateCommand::apply(const po::variables_map&) {
    publish::profile_from_name(m_profile);
    if (!m_costs.empty() && m_files.charts.empty()) {
        throw UsageError("--costs writes its page into the --charts folder: give --charts DIR too");
    }
    if (!m_files.gpkg.empty() && std::filesystem::exists(m_files.gpkg)) {
        throw UsageError(m_files.gpkg + " exists; remove it or choose another --gpkg");
    }
    if (!(m_options.buffer_m > 0)) {
        throw UsageError("--buffer must be above 0 metres");
    }
}

int EvaluateCommand::run() {
    store::Store store{m_store_path, false};
    const auto profile = publish::profile_from_name(m_profile);
    // Compute and store the true figures; everything shown or written is the profile's.
    const auto e = publish::disclose_evaluation(evaluate::evaluate_run(store, m_options), profile,
                                                publish::DisclosureRules{}, store::disclosure_secret(store));
    const auto written = publish::write_evaluation(e, m_files, profile);
    if (m_options.run_id == 0) {
        std::printf("Evaluating run %lld (%s), %s\n", static_cast<long long>(e.run_id), e.run_method.c_str(),
                    e.run_chosen.c_str());
    }
    std::printf("Evaluation %lld of run %lld: before %s to %s, after %s to %s, buffer %.0f m\n",
                static_cast<long long>(e.evaluation_id), static_cast<long long>(e.run_id), e.before_from.c_str(),
                e.before_to.c_str(), e.after_from.c_str(), e.after_to.c_str(), m_options.buffer_m);
    std::fflush(stdout);
    for (const auto& w : e.warnings) {
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    }
    std::printf("%s\n", e.profile_note.c_str());
    auto f = [](double v, const char* fmt) {
        char buf[32];
        if (!std::isfinite(v)) {
            return std::string{"-"};
        }
        std::snprintf(buf, sizeof buf, fmt, v);
        return std::string{buf};
    };
    std::printf("\n%-8s %-30s %6s %6s %7s %6s %8s %6s %7s %7s %7s %6s  %s\n", "area", "name", "before", "after",
                "change", "RR", "p exact", "IRR", "buffer", "control", "WDD", "Z", "WDQ reading");
    int shown = 0;
    for (const auto& a : e.areas) {
        if (++shown > 16) {
            std::printf("(%zu more hotspots in the store and --csv)\n", e.areas.size() - 16);
            break;
        }
        // Withheld counts print as "<5".
        auto c = [&f](double v) { return std::isfinite(v) ? f(v, "%.0f") : std::string{"<5"}; };
        const std::string buffer = c(a.buffer.before) + ">" + c(a.buffer.after);
        const std::string control = c(a.control.before) + ">" + c(a.control.after);
        std::printf("%-8s %-30s %6s %6s %6s%% %6s %8s %6s %7s %7s %7s %6s  %s\n", a.code.c_str(),
                    a.name.substr(0, 30).c_str(), c(a.target.before).c_str(), c(a.target.after).c_str(),
                    f(a.target.percent_change(), "%+.0f").c_str(), f(a.target_ratio.ratio.estimate, "%.2f").c_str(),
                    f(a.target_ratio.p_exact, "%.3g").c_str(), f(a.irr.estimate, "%.2f").c_str(), buffer.c_str(),
                    control.c_str(), f(a.wdd.wdd, "%.0f").c_str(), f(a.wdd.z, "%.2f").c_str(), a.wdq.reading);
    }
    if (std::isfinite(e.pai_after)) {
        std::printf("\nPAI of the run's hotspots for the 'after' incidents: %.1f (before: %.1f)\n", e.pai_after,
                    e.concentration.pai_before);
    }
    for (const auto& w : written) {
        std::printf("wrote %s\n", w.c_str());
    }
    if (!m_costs.empty()) {
        // Every referral and cohort row, reoffending within 12 months, follow-up to today.
        const referral::CompareOptions co;
        for (const auto& w : scheme_costs(m_store_path, m_costs, co, profile, publish::cost_files_in(m_files.charts))) {
            std::printf("wrote %s\n", w.c_str());
        }
    }
    return 0;
}

} // namespace hotref::cli
