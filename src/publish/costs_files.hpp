#pragma once
// The scheme's cost account as files: a CSV, a chart (PNG) of the benefit-cost ratio and its
// parts with their low-high range, and an HTML page "Scheme costs and outcomes" (with the
// reoffending comparison). They write the figures they are given: the outcomes come from the
// disclosed comparison (publish/comparison.hpp) and the disclosed KPIs.

#include "evaluate/costs.hpp"
#include "referral/cohort.hpp"

#include <string>
#include <vector>

namespace hotref::publish {

/// The outcomes the account needs, from the disclosed comparison (IJ against the config's
/// comparator, IJ's referrals and completions). Throws Error when the comparator route is
/// not in the comparison.
evaluate::CostOutcomes cost_outcomes(const referral::ComparisonResult& comparison, const std::string& comparator);

struct CostFiles {
    std::string csv, chart, html; // each optional
};

/// Writes what `files` names; returns the files written. Throws Error.
std::vector<std::string> write_cost_files(const evaluate::CostAccount& account, const evaluate::CostsConfig& config,
                                          const evaluate::CostOutcomes& outcomes,
                                          const referral::ComparisonResult& comparison, const CostFiles& files);

/// The files of `hotref evaluate --costs`: scheme-costs.csv, .png and .html in `folder`.
CostFiles cost_files_in(const std::string& folder);

} // namespace hotref::publish
