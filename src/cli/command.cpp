#include "cli/command.hpp"

#include "cli/commands.hpp"
#include "core/error.hpp"

#include <cstdlib>
#include <iostream>

namespace hotref::cli {

std::string default_store_path() {
    const char* env = std::getenv("HOTREF_STORE");
    return (env != nullptr && *env != '\0') ? env : "hotref.sqlite";
}

void Command::add_store_option(po::options_description& options) {
    options.add_options()("store,s", po::value<std::string>(&m_store_path)->default_value(default_store_path()),
                          "the store: a SpatiaLite file, or postgresql://... for PostGIS (docs/deployment.md); "
                          "default $HOTREF_STORE or ./hotref.sqlite");
}

bool Command::setup(const std::vector<std::string>& args) {
    po::positional_options_description positional;
    m_options.add_options()("help,h", "show this help");
    add_options(m_options, positional);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(m_options).positional(positional).run(), vm);
        if (vm.count("help") != 0U) {
            print_help(std::cout);
            return false;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(std::string{e.what()} + " (see 'hotref " + name() + " -h')");
    }
    apply(vm);
    return true;
}

void Command::print_help(std::ostream& out) const {
    out << "Usage: hotref " << name() << " " << usage() << "\n\n" << synopsis() << "\n\n" << details() << "\n\n"
        << m_options << "\n";
}

const std::vector<CommandInfo>& commands() {
    static const std::vector<CommandInfo> list{
        {"ingest", [] { return std::make_unique<IngestCommand>(); }},
        {"status", [] { return std::make_unique<StatusCommand>(); }},
        {"hotspots", [] { return std::make_unique<HotspotsCommand>(); }},
        {"runs", [] { return std::make_unique<RunsCommand>(); }},
        {"layers", [] { return std::make_unique<LayersCommand>(); }},
        {"referral", [] { return std::make_unique<ReferralCommand>(); }},
        {"evaluate", [] { return std::make_unique<EvaluateCommand>(); }},
        {"bulletin", [] { return std::make_unique<BulletinCommand>(); }},
        {"serve", [] { return std::make_unique<ServeCommand>(); }},
        {"token", [] { return std::make_unique<TokenCommand>(); }},
        {"store", [] { return std::make_unique<StoreCommand>(); }},
    };
    return list;
}

std::unique_ptr<Command> make_command(const std::string& name) {
    for (const auto& c : commands()) {
        if (name == c.name) {
            return c.make();
        }
    }
    return nullptr;
}

} // namespace hotref::cli
