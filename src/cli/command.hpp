#pragma once
// One class per subcommand (after osmium-tool): setup() parses arguments and
// opens nothing; run() does the work and returns the exit code.

#include <boost/program_options.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hotref::cli {

namespace po = boost::program_options;

class Command {
public:
    Command() = default;
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;
    virtual ~Command() = default;

    [[nodiscard]] virtual const char* name() const = 0;
    /// One line for `hotref help`.
    [[nodiscard]] virtual const char* synopsis() const = 0;
    /// Usage line after "hotref NAME", e.g. "[OPTIONS] PATH...".
    [[nodiscard]] virtual const char* usage() const = 0;
    /// A paragraph and examples shown by `hotref NAME -h`.
    [[nodiscard]] virtual const char* details() const = 0;

    /// Parses `args` (without the command name). Returns false when help was
    /// asked for and printed. Throws UsageError on bad arguments.
    bool setup(const std::vector<std::string>& args);
    virtual int run() = 0;

    void print_help(std::ostream& out) const;

protected:
    virtual void add_options(po::options_description& options, po::positional_options_description& positional) = 0;
    virtual void apply(const po::variables_map& vm) = 0;

    /// --store, shared by every command that opens the store.
    void add_store_option(po::options_description& options);
    std::string m_store_path;

private:
    po::options_description m_options{"Options"};
};

struct CommandInfo {
    const char* name;
    std::function<std::unique_ptr<Command>()> make;
};

/// Every subcommand, in the order `hotref help` lists them.
const std::vector<CommandInfo>& commands();
std::unique_ptr<Command> make_command(const std::string& name);

/// The store path when --store is not given: $HOTREF_STORE or ./hotref.sqlite.
std::string default_store_path();

} // namespace hotref::cli
