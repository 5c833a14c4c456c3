#include "cli/commands.hpp"

#include "core/text.hpp"
#include "store/incidents.hpp"
#include "store/runs.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>
#include <iostream>

namespace hotref::cli {

const char* RunsCommand::details() const {
    return R"(Lists the hotspot runs in the store, oldest first: id, method, parameters (the series
whose hotspot codes the run continues: method, cell size or count, and force), period,
categories and source, hotspots found, the run whose codes it continues, and when it was
made. The runs marked * are the current ones, one per force: layers, bulletin and serve
use them when --run is not given (the patrol or Gi* run whose period ends last).

Examples:
  hotref runs
  hotref runs --force nottinghamshire
  hotref runs --json)";
}

void RunsCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("force", po::value<std::string>(&m_force), "only the runs of this force (or a unique part of its name)")
        ("json", po::bool_switch(&m_json), "one JSON array instead of the table");
}

void RunsCommand::apply(const po::variables_map&) {}

int RunsCommand::run() {
    store::Store store{m_store_path, store::OpenMode::read_only};
    const auto force = m_force.empty() ? std::string{} : store::resolve_force(store, m_force, "", "runs");
    const auto runs = store::list_runs(store, force);
    // The current run of each force (a store of several has one per force).
    std::set<std::int64_t> current;
    for (const auto& r : runs) {
        current.insert(store::default_run_id(store, "", r.force));
    }
    if (m_json) {
        auto out = nlohmann::json::array();
        for (const auto& r : runs) {
            out.push_back({{"id", r.id}, {"method", r.method}, {"parameters", r.series}, {"force", r.force},
                           {"period_from", r.period_from}, {"period_to", r.period_to},
                           {"categories", r.categories}, {"source", r.source}, {"hotspots", r.hotspots},
                           {"continues_run", r.continues_run}, {"current", current.count(r.id) > 0},
                           {"created_at", r.created_at}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    if (runs.empty()) {
        std::printf("no hotspot runs in %s%s; make one with: hotref hotspots\n", m_store_path.c_str(),
                    force.empty() ? "" : (" for " + force).c_str());
        return 0;
    }
    std::printf("%5s  %-7s %-20s %8s  %-9s %-20s  %s\n", "run", "method", "period", "hotspots", "continues",
                "created", "parameters");
    for (const auto& r : runs) {
        const std::string period = r.period_from == r.period_to ? r.period_from : r.period_from + " to " + r.period_to;
        const std::string continues = r.continues_run > 0 ? "run " + std::to_string(r.continues_run) : "-";
        std::string params = r.series.empty() ? "(made before parameters were recorded)" : r.series;
        if (r.categories != "Anti-social behaviour") {
            params += "; " + r.categories;
        }
        std::printf("%4lld%s  %-7s %-20s %8s  %-9s %-20s  %s\n", static_cast<long long>(r.id),
                    current.count(r.id) > 0 ? "*" : " ", r.method.c_str(), period.c_str(),
                    with_commas(r.hotspots).c_str(), continues.c_str(), r.created_at.c_str(), params.c_str());
    }
    std::printf("\n* the current run (of its force): the one layers, bulletin and serve use without --run\n");
    return 0;
}

} // namespace hotref::cli
