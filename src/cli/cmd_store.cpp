#include "cli/commands.hpp"

#include "core/error.hpp"
#include "store/copy.hpp"
#include "store/postgres.hpp"

#include <cstdio>
#include <iostream>

namespace hotref::cli {

const char* StoreCommand::details() const {
    return R"TXT(copy reads the store FROM in one snapshot (it may be in use) and writes every table,
ids and the disclosure key included, into TO in one transaction. TO must be new: a file
that does not exist, or an empty PostgreSQL database (the schema is created). Each table's
row count is checked against FROM before anything is committed; on any failure TO is left
as it was. Publications, bulletins and evaluations made from the copy are those FROM gives.

Examples:
  # a SpatiaLite store onto a force hub's PostGIS (docs/deployment.md)
  hotref store copy out/hotref.sqlite postgresql://hotref@db.example/hotref
  # and back, e.g. to hand an analyst one file
  hotref store copy postgresql://hotref@db.example/hotref analyst.sqlite)TXT";
}

void StoreCommand::add_options(po::options_description& options, po::positional_options_description& positional) {
    options.add_options()
        ("action", po::value<std::string>(&m_action), "copy")
        ("from", po::value<std::string>(&m_from), "the store to copy: a SpatiaLite file or postgresql://...")
        ("to", po::value<std::string>(&m_to), "the new store: a file that does not exist, or an empty database")
        ("quiet,q", po::bool_switch(&m_quiet), "print only the total");
    positional.add("action", 1).add("from", 1).add("to", 1);
}

void StoreCommand::apply(const po::variables_map&) {
    if (m_action != "copy") {
        throw UsageError(m_action.empty() ? "say what to do: hotref store copy FROM TO (see hotref store -h)"
                                          : "'" + m_action + "' is not a store action: hotref store copy FROM TO");
    }
    if (m_from.empty() || m_to.empty()) {
        throw UsageError("store copy needs two stores, the one to copy and the new one: hotref store copy out/hotref.sqlite postgresql://...");
    }
}

int StoreCommand::run() {
    const auto shown = [](const std::string& s) { return store::pg::is_url(s) ? store::pg::redacted(s) : s; };
    const auto report = store::copy_store(m_from, m_to, [this](const store::CopiedTable& t) {
        if (!m_quiet && t.rows > 0) {
            std::fprintf(stderr, "  %-18s %12lld rows  %6.2f s\n", t.name.c_str(), static_cast<long long>(t.rows),
                         t.seconds);
        }
    });
    std::cout << "copied " << report.rows << " rows in " << report.tables.size() << " tables from " << shown(m_from)
              << " to " << shown(m_to) << " in " << report.seconds << " s; every table's count matches\n";
    return 0;
}

} // namespace hotref::cli
