#pragma once
// `hotref evaluate`: before and after an intervention date, per hotspot of a run
// and for the scheme: the target (the hotspot), a buffer ring around it (not in
// any hotspot) and a control (the rest of the study area outside hotspots and
// buffers), with the measures of measures.hpp, stored with the run and written as CSV.

#include "evaluate/measures.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hotref::evaluate {

struct EvaluateOptions {
    std::int64_t run_id = 0;   // 0: the latest patrol run, or without one the latest Gi* run
    std::string date;          // intervention month, YYYY-MM (the first "after" month); empty: each
                               // hotspot from the month of its first linked referral
    int months = 6;            // before and after window, months each
    double buffer_m = 250;
    std::string csv;           // write the table here (optional)
    std::string charts;        // write PNG charts into this folder (optional)
    std::string gpkg;          // write a styled GeoPackage of the areas here (optional; must not exist)
    int chart_hotspots = 10;   // how many hotspots get a chart of their own
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
    std::vector<std::string> charts; // files written
    bool aligned = false;            // hotspots targeted in different months: series aligned on targeting
};

EvaluationSummary evaluate_run(store::Store& store, const EvaluateOptions& options);

} // namespace hotref::evaluate
