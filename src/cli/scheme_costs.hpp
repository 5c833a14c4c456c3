#pragma once
// The cost account shared by `hotref referral costs` and `hotref evaluate --costs`: reads
// the config and its unit-cost table (validated before the store), compares the routes,
// discloses, prints the account and writes the files named (docs/costs.md).

#include "publish/costs_files.hpp"
#include "publish/disclosure.hpp"
#include "referral/cohort.hpp"
#include "store/store.hpp"

#include <string>
#include <vector>

namespace hotref::cli {

/// Returns the files written.
std::vector<std::string> scheme_costs(const std::string& store_path, const std::string& config_path,
                                      const referral::CompareOptions& options, publish::Profile profile,
                                      const publish::CostFiles& files, const std::string& label = "");

} // namespace hotref::cli
