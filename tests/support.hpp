#pragma once
// Test helpers: fixture paths, a scratch folder per test, running the hotref
// binary and capturing its exit code, stdout and stderr.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hotref::test {

inline std::string data(const std::string& rel) {
    return std::string{HOTREF_TEST_DATA} + "/" + rel;
}

inline std::string geodata(const std::string& rel) {
    return std::string{HOTREF_GEODATA} + "/" + rel;
}

/// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "hotref-test-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = templ;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] std::string file(const std::string& name) const { return (m_path / name).string(); }
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

inline std::string read_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::binary};
    out << text;
}

struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

/// Runs `hotref ARGS` (ARGS already shell-quoted) and captures everything.
inline RunResult run_hotref(const std::string& args) {
    TempDir tmp;
    const std::string out = tmp.file("stdout");
    const std::string err = tmp.file("stderr");
    const std::string cmd = "HOTREF_NO_PROGRESS=1 '" + std::string{HOTREF_BINARY} + "' " + args + " >'" + out +
                            "' 2>'" + err + "' </dev/null";
    const int status = std::system(cmd.c_str());
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace hotref::test
