#pragma once
// The scheme's cost-benefit account (hotref referral costs; docs/costs.md): every input a
// documented parameter of a small configuration file (docs/examples/scheme-costs.conf), the
// unit costs of crime a versioned table (geodata/costs-of-crime/), and the outcomes from the
// comparison of routes. Plain numbers in and out; the caller reads the store.

#include <map>
#include <string>
#include <vector>

namespace hotref::evaluate {

/// A parameter: a central value with an optional low and high for the sensitivity range
/// (equal to central when not given), and where it comes from.
struct Parameter {
    double low = 0, central = 0, high = 0;
    std::string source;   // the comment after it in the file, or "source = ..." text
    int line = 0;
};

struct CostsConfig {
    std::string path;
    std::string label;                      // printed on every output (e.g. SYNTHETIC)
    std::map<std::string, Parameter> params; // the names in costs_parameter_names()
    std::string unit_costs_file;            // resolved against the config file's folder
    std::string comparator = "caution";     // the route the reoffences avoided are counted against
    std::map<std::string, std::string> price_as; // referral offence -> unit-cost id or "none"
};

/// The numeric parameters a config must give, in the order the docs list them.
const std::vector<std::string>& costs_parameter_names();

/// Reads a config: "name = central [low L] [high H]  # source" lines, "label = ...",
/// "unit_costs = FILE", "comparator = ROUTE", "price.OFFENCE = ID|none". Throws InputError
/// naming file, line and what is wrong; every parameter must be given.
CostsConfig read_costs_config(const std::string& path);

struct UnitCost {
    std::string id, offence_type;
    double cost = 0;        // GBP per offence
    std::string price_year, source;
};

/// Reads the versioned unit-cost table (id,offence_type,unit_cost_gbp,price_year,source).
std::map<std::string, UnitCost> read_unit_costs(const std::string& path);

/// What the account needs of the outcomes, all as published.
struct CostOutcomes {
    double referrals = 0;          // IJ referrals in the period (each an out-of-court resolution)
    double completions = 0;
    double ij_rate = 0;            // reoffending within N months, IJ
    double comparator_rate = 0;    // and the comparator route
    double rd = 0, rd_lower = 0, rd_upper = 0; // IJ minus comparator, with its interval
    // "stratified" (Mantel-Haenszel), or "crude" where the published profile withholds the stratified one
    std::string rd_basis = "stratified";
    std::map<std::string, double> offence_share; // IJ referrals' offence mix (sums to 1)
    int months = 12;
};

struct CostScenario {
    std::string name;              // low, central, high
    double programme_cost = 0;
    double cost_per_referral = 0, cost_per_completion = 0;
    double reoffences_avoided = 0, reoffences_priced = 0;
    double cost_per_reoffence_avoided = 0; // NaN when none avoided
    double officer_hours = 0, officer_value = 0;
    double harm_avoided = 0;
    double benefit = 0, bcr = 0;
};

struct CostAccount {
    std::string label;
    std::vector<CostScenario> scenarios;   // low, central, high
    std::vector<std::string> notes;        // unpriced offences, assumptions
};

/// The account: programme cost = grant + provider contract + other costs; reoffences avoided =
/// -RD x referrals (split by the offence mix); harm avoided = the avoided reoffences of each
/// offence x its unit cost x the unit-cost factor; officer value = referrals x hours saved x
/// hourly cost; benefit-cost ratio = (harm avoided + officer value) / programme cost. Low takes
/// the least favourable end of every range (the highest cost, RD's upper limit, ...), high the most.
CostAccount cost_account(const CostsConfig& config, const std::map<std::string, UnitCost>& unit_costs,
                         const CostOutcomes& outcomes);

} // namespace hotref::evaluate
