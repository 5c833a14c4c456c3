#pragma once
// Progress for long work, shown on stderr only when it is a terminal, at most
// a few times a second, and erased when done. Quiet in pipes, logs and CI.

#include <chrono>
#include <cstdint>
#include <string>

namespace hotref {

class Progress {
public:
    /// `label` names the work ("2025-01-derbyshire-street.csv"); `total` is the
    /// expected number of bytes (0 when unknown).
    Progress(std::string label, std::uint64_t total);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Cheap to call for every record: only looks at the clock every 4096 calls.
    void update(std::uint64_t done, std::uint64_t rows) {
        if ((++m_calls & 0xFFF) == 0) {
            maybe_draw(done, rows);
        }
    }
    void finish();

    /// Whether progress is drawn at all (stderr is a terminal and HOTREF_NO_PROGRESS unset).
    static bool enabled();

private:
    void maybe_draw(std::uint64_t done, std::uint64_t rows);

    std::string m_label;
    std::uint64_t m_total;
    std::uint64_t m_calls = 0;
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last;
};

} // namespace hotref
