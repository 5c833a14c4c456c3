#pragma once
// A rolling-window limit on events per key (the service's: refusal checks per
// token): at most `limit` events in any `window`. Each key keeps the times of
// its events within the window, in memory: a restart forgets them.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hotref::server {

class RollingLimit {
public:
    using Clock = std::chrono::steady_clock;

    /// `limit` at least 1; `window` longer than zero.
    RollingLimit(int limit, Clock::duration window);

    /// Under the limit: records an event for `key` at `now` and returns 0. At it:
    /// records nothing and returns the whole seconds until the oldest event in the
    /// window leaves it (at least 1: what Retry-After says).
    std::int64_t take(const std::string& key, Clock::time_point now);

    /// What take() would return, recording nothing: 0 while under the limit.
    std::int64_t wait(const std::string& key, Clock::time_point now);

    [[nodiscard]] int limit() const noexcept { return m_limit; }

private:
    std::int64_t wait_locked(std::deque<Clock::time_point>& times, Clock::time_point now) const;

    int m_limit;
    Clock::duration m_window;
    std::mutex m_mutex;
    std::unordered_map<std::string, std::deque<Clock::time_point>> m_events;
};

} // namespace hotref::server
