#pragma once
// `hotref layers --xlsx`: hotref.xlsx, a workbook for the people who work in
// spreadsheets (the WDQ calculator, the neighbourhood teams' returns), written
// with libxlsxwriter. Sheets:
//
//   About       what the workbook is: run, period, profile and classification, disclosure rule
//   Hotspots    each hotspot of the hotspots layer (code, name, rank, counts, trend) with the
//               bulletin's patrol windows for its top hotspots
//   KPIs        the referral KPIs of the scheme, each hotspot and "outside hotspots"
//   Evaluation  the latest stored evaluation's counts and measures, or a line saying none is stored
//   Districts   the bulletin's district table for the run's last month
//
// It only serialises figures that have passed disclosure control already: the
// hotspots layer of the RunModel (publish/gate.cpp), disclose_kpis,
// disclose_evaluation and the bulletin's own protected table. A withheld figure
// is an empty cell. The header row is bold and frozen, numbers are numbers and
// dates are dates.

#include "evaluate/evaluation.hpp"
#include "publish/bulletin.hpp"
#include "publish/model.hpp"
#include "referral/kpi.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hotref::publish {

struct WorkbookInputs {
    std::vector<referral::Kpis> kpis;                    // disclosed (disclose_kpis)
    bool referrals_linked = false;
    std::optional<evaluate::EvaluationSummary> evaluation; // disclosed (disclose_evaluation); none stored: nullopt
    std::optional<BulletinReport> bulletin;              // the run's last month (windows, districts)
    std::string bulletin_problem;                        // why there is no bulletin ("" when there is one)
    int bulletin_top = 5;
};

/// The disclosed inputs of the workbook for `model`'s run, from the store, under the model's
/// profile and rules (the same functions the other outputs are disclosed with).
WorkbookInputs workbook_inputs(store::Store& store, const RawRun& raw, const RunModel& model);

/// Writes the workbook to `path`. Throws Error naming the file (libxlsxwriter's own message
/// included) when a cell cannot be written or the file cannot be closed.
void write_workbook(const std::string& path, const RunModel& model, const WorkbookInputs& inputs);

} // namespace hotref::publish
