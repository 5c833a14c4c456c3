// hotref: a geospatial hotspot referral service for anti-social behaviour.
// Thin main: find the subcommand, let it parse and run, turn errors into
// one-line messages and exit codes (0 ok, 1 error, 2 bad arguments).

#include "cli/command.hpp"
#include "core/error.hpp"

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

namespace {

void print_overview() {
    std::cout << "hotref " << HOTREF_VERSION << " - ASB hotspots and Immediate Justice referrals\n\n"
              << "Usage: hotref COMMAND [OPTIONS]\n\nCommands:\n";
    for (const auto& info : hotref::cli::commands()) {
        const auto cmd = info.make();
        std::printf("  %-10s %s\n", info.name, cmd->synopsis());
    }
    std::cout << "  help       Show this list, or 'hotref help COMMAND' for one command\n"
              << "\n'hotref COMMAND -h' shows a command's options and examples.\n";
}

} // namespace

int main(int argc, char* argv[]) {
    std::ios::sync_with_stdio(true);
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        print_overview();
        return 2;
    }
    std::string name = args.front();
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (name == "help" || name == "-h" || name == "--help") {
        if (rest.empty()) {
            print_overview();
            return 0;
        }
        name = rest.front();
        rest = {"--help"};
    }
    if (name == "--version" || name == "version") {
        std::cout << "hotref " << HOTREF_VERSION << "\n";
        return 0;
    }
    auto command = hotref::cli::make_command(name);
    if (!command) {
        std::cerr << "hotref: unknown command '" << name << "' (see 'hotref help')\n";
        return 2;
    }
    try {
        if (!command->setup(rest)) {
            return 0;
        }
        return command->run();
    } catch (const hotref::UsageError& e) {
        std::cerr << "hotref " << name << ": " << e.what() << "\n";
        return 2;
    } catch (const hotref::Error& e) {
        std::cerr << "hotref " << name << ": error: " << e.what() << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        std::cerr << "hotref " << name << ": error: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "hotref " << name << ": internal error: " << e.what() << "\n";
        return 1;
    }
}
