#include "util/progress.hpp"

#include "core/text.hpp"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace hotref {

bool Progress::enabled() {
    static const bool on = ::isatty(STDERR_FILENO) == 1 && std::getenv("HOTREF_NO_PROGRESS") == nullptr;
    return on;
}

Progress::Progress(std::string label, std::uint64_t total)
    : m_label(std::move(label)), m_total(total), m_enabled(enabled()), m_start(std::chrono::steady_clock::now()),
      m_last(m_start) {}

Progress::~Progress() {
    finish();
}

void Progress::maybe_draw(std::uint64_t done, std::uint64_t rows) {
    if (!m_enabled) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - m_last < std::chrono::milliseconds(250)) {
        return;
    }
    m_last = now;
    const double seconds = std::chrono::duration<double>(now - m_start).count();
    const double mb_per_s = seconds > 0 ? static_cast<double>(done) / 1e6 / seconds : 0.0;
    if (m_total > 0) {
        const double pct = 100.0 * static_cast<double>(done) / static_cast<double>(m_total);
        std::fprintf(stderr, "\r\033[K%s  %3.0f%%  %s rows  %.0f MB/s", m_label.c_str(), pct > 100 ? 100.0 : pct,
                     with_commas(static_cast<std::int64_t>(rows)).c_str(), mb_per_s);
    } else {
        std::fprintf(stderr, "\r\033[K%s  %s rows  %.0f MB/s", m_label.c_str(),
                     with_commas(static_cast<std::int64_t>(rows)).c_str(), mb_per_s);
    }
    std::fflush(stderr);
    m_drawn = true;
}

void Progress::finish() {
    if (m_drawn) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        m_drawn = false;
    }
}

} // namespace hotref
