#include "server/rate_limit.hpp"

#include "core/error.hpp"

#include <algorithm>

namespace hotref::server {

RollingLimit::RollingLimit(int limit, Clock::duration window) : m_limit(limit), m_window(window) {
    if (limit < 1 || window <= Clock::duration::zero()) {
        throw UsageError("a rate limit needs at least one event in a window longer than zero");
    }
}

std::int64_t RollingLimit::take(const std::string& key, Clock::time_point now) {
    std::lock_guard lock{m_mutex};
    // Keys are token names or client addresses; forget the idle ones now and then.
    if (m_events.size() > 1000) {
        std::erase_if(m_events, [&](const auto& kv) { return kv.second.empty() || now - kv.second.back() >= m_window; });
    }
    auto& times = m_events[key];
    const auto seconds = wait_locked(times, now);
    if (seconds == 0) {
        times.push_back(now);
    }
    return seconds;
}

std::int64_t RollingLimit::wait(const std::string& key, Clock::time_point now) {
    std::lock_guard lock{m_mutex};
    const auto it = m_events.find(key);
    return it == m_events.end() ? 0 : wait_locked(it->second, now);
}

std::int64_t RollingLimit::wait_locked(std::deque<Clock::time_point>& times, Clock::time_point now) const {
    while (!times.empty() && now - times.front() >= m_window) {
        times.pop_front();
    }
    if (static_cast<int>(times.size()) < m_limit) {
        return 0;
    }
    const auto wait = times.front() + m_window - now;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
    return std::max<std::int64_t>(1, seconds);
}

} // namespace hotref::server
