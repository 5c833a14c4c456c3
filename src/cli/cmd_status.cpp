#include "cli/commands.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "store/status.hpp"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <set>

namespace hotref::cli {

const char* StatusCommand::details() const {
    return R"(Prints the store's contents: partitions (source x force x month) with their rows and
ASB rows, incidents by category and month, the latest feeds, and rejected rows by
feed and reason. --json prints the same as JSON (hotref.v1.StoreStatus).

Examples:
  hotref status
  hotref status --rejects --limit 50
  hotref status --json > status.json)";
}

void StatusCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("json", po::bool_switch(&m_json), "print JSON (protobuf JSON mapping of hotref.v1.StoreStatus)")
        ("rejects", po::bool_switch(&m_rejects), "list rejected rows with file, line, field and reason")
        ("limit", po::value<int>(&m_feeds)->default_value(20), "how many feeds (or rejects) to list");
}

void StatusCommand::apply(const po::variables_map&) {
    if (m_feeds < 1) {
        throw UsageError("--limit must be at least 1");
    }
}

namespace {

void print_rule(char c = '-', int n = 78) {
    std::cout << std::string(static_cast<std::size_t>(n), c) << "\n";
}

} // namespace

int StatusCommand::run() {
    store::Store store{m_store_path, store::OpenMode::read_only};
    if (m_rejects) {
        int n = 0;
        for (const auto& r : store::first_rejects(store, static_cast<std::int64_t>(m_feeds))) {
            std::cout << r.file << ":" << r.line << ": " << (r.field.empty() ? "" : r.field + ": ") << r.reason << " ["
                      << r.code << "]\n";
            ++n;
        }
        const auto total = store::count_rejects(store);
        if (n == 0) {
            std::cout << "no rejected rows\n";
        } else if (total > n) {
            std::cout << "(the first " << with_commas(n) << " of " << with_commas(total)
                      << " rejected rows; --limit N shows more)\n";
        }
        return 0;
    }
    const auto s = store::read_status(store, m_feeds);
    if (m_json) {
        std::string json;
        google::protobuf::util::JsonPrintOptions opts;
        opts.add_whitespace = true;
        opts.preserve_proto_field_names = true;
        if (!google::protobuf::util::MessageToJsonString(s, &json, opts).ok()) {
            throw Error("cannot encode the status as JSON");
        }
        std::cout << json;
        return 0;
    }
    std::cout << "Store " << s.path() << " (schema " << s.schema_version() << ", created " << s.created_at()
              << ")\n";
    std::cout << "  " << with_commas(s.incidents()) << " incidents (" << with_commas(s.incident_records())
              << " records) at " << with_commas(s.locations()) << " locations, " << s.partitions_size()
              << " partitions, " << with_commas(s.feeds()) << " feeds, " << with_commas(s.rejects())
              << " rejected rows\n\n";

    if (s.partitions_size() > 0) {
        std::printf("%-14s %-32s %-8s %10s %10s\n", "source", "force", "month", "rows", "ASB");
        print_rule();
        std::int64_t rows = 0;
        std::int64_t asb = 0;
        for (const auto& p : s.partitions()) {
            std::printf("%-14s %-32s %-8s %10s %10s\n", p.source().c_str(), p.force().substr(0, 32).c_str(),
                        p.month().c_str(), with_commas(p.rows()).c_str(), with_commas(p.asb_rows()).c_str());
            rows += p.rows();
            asb += p.asb_rows();
        }
        print_rule();
        std::printf("%-56s %10s %10s\n\n", "total", with_commas(rows).c_str(), with_commas(asb).c_str());
    }
    if (s.categories_size() > 0) {
        // Category x month table.
        std::set<std::string> months;
        std::map<std::pair<std::string, std::string>, std::int64_t> cell;
        for (const auto& c : s.category_by_month()) {
            months.insert(c.month());
            cell[{c.category(), c.month()}] = c.rows();
        }
        std::printf("%-29s", "category \\ month");
        for (const auto& m : months) {
            std::printf(" %7s", m.substr(2).c_str());
        }
        std::printf(" %9s\n", "total");
        print_rule('-', 29 + 8 * static_cast<int>(months.size()) + 10);
        for (const auto& c : s.categories()) {
            std::printf("%-29s", c.category().substr(0, 29).c_str());
            for (const auto& m : months) {
                const auto it = cell.find({c.category(), m});
                std::printf(" %7s", it == cell.end() ? "." : with_commas(it->second).c_str());
            }
            std::printf(" %9s\n", with_commas(c.rows()).c_str());
        }
        std::printf("\n");
    }
    if (s.recent_feeds_size() > 0) {
        std::printf("Latest feeds\n%5s %-9s %-44s %9s %9s %8s\n", "id", "status", "file", "read", "stored",
                    "rejected");
        print_rule();
        for (const auto& f : s.recent_feeds()) {
            std::string name = f.name();
            if (name.size() > 44) {
                name = "..." + name.substr(name.size() - 41);
            }
            std::printf("%5lld %-9s %-44s %9s %9s %8s\n", static_cast<long long>(f.feed_id()), f.status().c_str(),
                        name.c_str(), with_commas(f.rows_read()).c_str(), with_commas(f.rows_stored()).c_str(),
                        with_commas(f.rows_rejected()).c_str());
            if (f.status() == "failed") {
                std::printf("      %s\n", f.message().c_str());
            }
        }
        std::printf("\n");
    }
    if (s.rejects_by_feed_size() > 0) {
        std::printf("Rejected rows by feed and reason (all of them: hotref status --rejects)\n");
        print_rule();
        for (const auto& r : s.rejects_by_feed()) {
            std::printf("%s: %s rows %s; first at line %lld: %s\n", r.feed().c_str(), with_commas(r.count()).c_str(),
                        r.code().c_str(), static_cast<long long>(r.first_line()), r.first_reason().c_str());
        }
    }
    return 0;
}

} // namespace hotref::cli
