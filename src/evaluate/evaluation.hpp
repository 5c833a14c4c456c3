#pragma once
// `hotref evaluate`: before and after an intervention date, per hotspot of a run
// and for the scheme: the target (the hotspot), a buffer ring around it (not in
// any hotspot) and a control (the rest of the study area outside hotspots and
// buffers), with the measures of measures.hpp, stored with the run and written as CSV.

#include "evaluate/measures.hpp"
#include "store/store.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hotref::evaluate {

struct EvaluateOptions {
    std::int64_t run_id = 0;   // 0: the latest patrol run, or without one the latest Gi* run
    std::string date;          // intervention month, YYYY-MM (the first "after" month); empty: each
                               // hotspot from the month of its first linked referral
    int months = 6;            // before and after window, months each
    double buffer_m = 250;
    std::string force;         // without --run: the latest run of this force (needed with several forces stored)
};

struct AreaResult {
    std::string code;          // hotspot code, or "scheme"
    std::string name;
    BeforeAfter target, buffer, control;
    RateRatio target_ratio;
    Interval irr;
    Wdq wdq;
    double tne = 0;
    Wdd wdd;
    std::vector<double> monthly_target, monthly_buffer, monthly_control; // before then after
};

/// Capture against area: the run's hotspots in rank order, and the share of the study
/// area's incidents they capture against the share of the study area they cover.
/// Point 0 is the origin; point k (k >= 1) is the top k hotspots together.
struct ConcentrationCurve {
    std::vector<std::string> codes;   // by rank (codes[k - 1] is added at point k)
    std::vector<double> area_share;   // cumulative hotspot area / study area
    std::vector<double> after_share;  // cumulative "after" incidents in the hotspots / in the study area
    std::vector<double> before_share; // the same for the "before" incidents
    double after_total = 0;           // incidents in the study area (or a hotspot), "after" months
    double before_total = 0;
    double pai_after = 0;             // all hotspots: after_share.back() / area_share.back()
    double pai_before = 0;
};

struct EvaluationSummary {
    std::int64_t evaluation_id = 0;
    std::int64_t run_id = 0;
    std::string run_method;         // the run's method ("patrol", "gistar", ...)
    std::string run_chosen;         // how the run was chosen, for people: "--run", "the latest patrol run", ...
    std::string before_from, before_to, after_from, after_to;
    std::vector<AreaResult> areas; // scheme first, then each hotspot by rank
    double pai_after = 0;          // the run's hotspots against the "after" incidents
    ConcentrationCurve concentration;
    std::vector<std::string> warnings;
    bool aligned = false;            // hotspots targeted in different months: series aligned on targeting
    int months = 0;                  // before and after window, months each
    // The areas, for the writers: codes by rank with their target and buffer (EPSG:27700 WKB).
    std::vector<std::string> area_codes, target_wkb, buffer_wkb;
    std::string control_wkb;
    double study_area_m2 = 0;
    std::string profile_note;        // set by disclosure control: what the figures are
};

/// Computes and stores an evaluation (true values: what a profile publishes of it is
/// publish::disclose_evaluation's to say, and publish::write_evaluation writes it).
EvaluationSummary evaluate_run(store::Store& store, const EvaluateOptions& options);

/// A stored evaluation (0: the latest) read back, measures computed again from the stored
/// counts; geometry of the targets only (no buffers or control). nullopt when there is none.
std::optional<EvaluationSummary> read_evaluation(store::Store& store, std::int64_t evaluation_id);

/// The measures of an area from its counts (rate ratio, IRR, WDQ, TNE, WDD).
void compute_measures(AreaResult& area, int months);

/// The capture-against-area curve of the hotspots (codes by rank), from their "after" and
/// "before" counts inside each target (areas in m2) against the study area's totals.
ConcentrationCurve concentration_curve(const std::vector<std::string>& codes, const std::vector<double>& target_areas,
                                       double study_area, const std::vector<double>& before,
                                       const std::vector<double>& after, double before_total, double after_total);

/// An area's counts, measures and series as stored (evaluation_area.measures).
nlohmann::json area_json(const AreaResult& area);

} // namespace hotref::evaluate
