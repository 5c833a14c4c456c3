#include "evaluate/costs.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace hotref::evaluate {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void fail(const std::string& path, int line, const std::string& what) {
    throw InputError(path + ":" + std::to_string(line) + ": " + what);
}

double number(const std::string& path, int line, const std::string& name, const std::string& text) {
    std::string t{trim(text)};
    t.erase(std::remove(t.begin(), t.end(), ','), t.end());
    if (!t.empty() && t.front() == '-') {
        fail(path, line, name + ": '" + text + "' is negative: costs, hours and factors are at least 0");
    }
    const auto v = parse_double(t);
    if (!v || !std::isfinite(*v)) {
        fail(path, line, name + ": '" + text + "' is not a number (write 1000000 or 1,000,000, no currency sign)");
    }
    return *v;
}

// "central [low L] [high H]"
Parameter parameter(const std::string& path, int line, const std::string& name, const std::string& value,
                    const std::string& comment) {
    std::istringstream in{value};
    std::string first, word, v;
    in >> first;
    Parameter p;
    p.central = p.low = p.high = number(path, line, name, first);
    p.source = comment;
    p.line = line;
    while (in >> word) {
        if ((word != "low" && word != "high") || !(in >> v)) {
            fail(path, line, name + ": expected 'VALUE [low L] [high H]', found '" + value + "'");
        }
        (word == "low" ? p.low : p.high) = number(path, line, name + " " + word, v);
    }
    if (!(p.low <= p.central && p.central <= p.high)) {
        fail(path, line, name + ": low <= central <= high must hold (" + value + ")");
    }
    if (p.source.empty()) {
        fail(path, line, name + ": give its source after '#' on the same line (a publication, a contract, or "
                         "'ASSUMPTION: ...' saying whose)");
    }
    return p;
}

} // namespace

const std::vector<std::string>& costs_parameter_names() {
    static const std::vector<std::string> names{"programme.grant",         "programme.provider_contract",
                                                "programme.other",         "officer.hours_saved_per_resolution",
                                                "officer.hourly_cost",     "harm.unit_cost_factor"};
    return names;
}

CostsConfig read_costs_config(const std::string& path) {
    std::ifstream in{path};
    if (!in) {
        throw InputError(path + ": cannot read the costs configuration (docs/examples/scheme-costs.conf is an example)");
    }
    CostsConfig c;
    c.path = path;
    std::string text;
    int line = 0;
    while (std::getline(in, text)) {
        ++line;
        const auto hash = text.find('#');
        const std::string comment{trim(hash == std::string::npos ? std::string_view{} : std::string_view{text}.substr(hash + 1))};
        const std::string body{trim(std::string_view{text}.substr(0, hash))};
        if (body.empty()) {
            continue;
        }
        const auto eq = body.find('=');
        if (eq == std::string::npos) {
            fail(path, line, "expected NAME = VALUE, found '" + body + "'");
        }
        const std::string name{trim(std::string_view{body}.substr(0, eq))};
        const std::string value{trim(std::string_view{body}.substr(eq + 1))};
        if (name == "label") {
            c.label = value;
        } else if (name == "unit_costs") {
            const auto p = std::filesystem::path{value};
            c.unit_costs_file = p.is_absolute() ? value : (std::filesystem::path{path}.parent_path() / p).string();
        } else if (name == "comparator") {
            if (value != "charge-summons" && value != "caution" && value != "nfa") {
                fail(path, line, "comparator: '" + value + "' is not charge-summons, caution or nfa");
            }
            c.comparator = value;
        } else if (name.rfind("price.", 0) == 0) {
            c.price_as[name.substr(6)] = value;
        } else if (std::find(costs_parameter_names().begin(), costs_parameter_names().end(), name) !=
                   costs_parameter_names().end()) {
            if (c.params.count(name) != 0) {
                fail(path, line, name + " is given twice (first on line " + std::to_string(c.params[name].line) + ")");
            }
            c.params[name] = parameter(path, line, name, value, comment);
        } else {
            fail(path, line, "unknown setting '" + name + "' (docs/costs.md lists them)");
        }
    }
    for (const auto& n : costs_parameter_names()) {
        if (c.params.count(n) == 0) {
            throw InputError(path + ": " + n + " is missing; every parameter must be given with its source");
        }
    }
    if (c.unit_costs_file.empty()) {
        throw InputError(path + ": unit_costs is missing (the unit-cost table, e.g. geodata/costs-of-crime/...)");
    }
    return c;
}

std::map<std::string, UnitCost> read_unit_costs(const std::string& path) {
    std::ifstream in{path};
    if (!in) {
        throw InputError(path + ": cannot read the unit costs of crime");
    }
    std::string text;
    std::getline(in, text);
    if (trim(text) != "id,offence_type,unit_cost_gbp,price_year,source") {
        throw InputError(path + ":1: expected the header id,offence_type,unit_cost_gbp,price_year,source");
    }
    std::map<std::string, UnitCost> out;
    int line = 1;
    while (std::getline(in, text)) {
        ++line;
        if (trim(text).empty()) {
            continue;
        }
        std::vector<std::string> f;
        std::string field;
        std::istringstream row{text};
        for (int i = 0; i < 4 && std::getline(row, field, ','); ++i) {
            f.push_back(std::string{trim(field)});
        }
        std::getline(row, field);
        f.push_back(std::string{trim(field)});
        if (f.size() != 5 || f[0].empty()) {
            fail(path, line, "expected 5 fields: id,offence_type,unit_cost_gbp,price_year,source");
        }
        if (f[4].size() >= 2 && f[4].front() == '"' && f[4].back() == '"') {
            f[4] = f[4].substr(1, f[4].size() - 2);
        }
        const UnitCost u{f[0], f[1], number(path, line, "unit_cost_gbp", f[2]), f[3], f[4]};
        if (!out.emplace(u.id, u).second) {
            fail(path, line, "id '" + u.id + "' is given twice");
        }
    }
    return out;
}

namespace {

// One end of the sensitivity range: pick(low, central, high) by how favourable it is.
CostScenario scenario(const std::string& name, int end, const CostsConfig& c,
                      const std::map<std::string, UnitCost>& unit_costs, const CostOutcomes& o) {
    auto fav = [end](const Parameter& p) { return end < 0 ? p.low : end > 0 ? p.high : p.central; };
    auto unfav = [end](const Parameter& p) { return end < 0 ? p.high : end > 0 ? p.low : p.central; };
    const auto& p = c.params;
    CostScenario s;
    s.name = name;
    s.programme_cost = unfav(p.at("programme.grant")) + unfav(p.at("programme.provider_contract")) +
                       unfav(p.at("programme.other"));
    s.cost_per_referral = o.referrals > 0 ? s.programme_cost / o.referrals : nan;
    s.cost_per_completion = o.completions > 0 ? s.programme_cost / o.completions : nan;
    const double rd = end < 0 ? o.rd_upper : end > 0 ? o.rd_lower : o.rd;
    s.reoffences_avoided = std::isfinite(rd) ? -rd * o.referrals : nan;
    s.cost_per_reoffence_avoided = s.reoffences_avoided > 0 ? s.programme_cost / s.reoffences_avoided : nan;
    s.officer_hours = o.referrals * fav(p.at("officer.hours_saved_per_resolution"));
    s.officer_value = s.officer_hours * fav(p.at("officer.hourly_cost"));
    const double factor = fav(p.at("harm.unit_cost_factor"));
    for (const auto& [offence, share] : o.offence_share) {
        const auto it = c.price_as.find(offence);
        if (it == c.price_as.end() || it->second == "none" || !std::isfinite(s.reoffences_avoided)) {
            continue;
        }
        const double avoided = s.reoffences_avoided * share;
        s.reoffences_priced += avoided;
        s.harm_avoided += avoided * unit_costs.at(it->second).cost * factor;
    }
    s.benefit = s.harm_avoided + s.officer_value;
    s.bcr = s.programme_cost > 0 ? s.benefit / s.programme_cost : nan;
    return s;
}

} // namespace

CostAccount cost_account(const CostsConfig& config, const std::map<std::string, UnitCost>& unit_costs,
                         const CostOutcomes& outcomes) {
    for (const auto& [offence, id] : config.price_as) {
        if (id != "none" && unit_costs.count(id) == 0) {
            throw InputError(config.path + ": price." + offence + " = " + id + ": no such id in " +
                             config.unit_costs_file);
        }
    }
    CostAccount a;
    a.label = config.label;
    a.scenarios = {scenario("low", -1, config, unit_costs, outcomes), scenario("central", 0, config, unit_costs, outcomes),
                   scenario("high", 1, config, unit_costs, outcomes)};
    for (const auto& [offence, share] : outcomes.offence_share) {
        const auto it = config.price_as.find(offence);
        if (it == config.price_as.end() || it->second == "none") {
            char buf[160];
            std::snprintf(buf, sizeof buf, "%s (%.0f%% of referrals): its reoffences avoided are not priced", offence.c_str(),
                          100 * share);
            a.notes.emplace_back(buf);
        }
    }
    if (!std::isfinite(outcomes.rd)) {
        a.notes.emplace_back("no risk difference against " + config.comparator +
                             " (too few people followed up, or withheld): no reoffences avoided are counted");
    }
    return a;
}

} // namespace hotref::evaluate
