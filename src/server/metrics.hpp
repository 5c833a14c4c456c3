#pragma once
// Service metrics in Prometheus text format: requests by route and status
// class, a latency histogram per route, connections, bytes, snapshot builds.
// Lock-free counters: a request touches a handful of atomics.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace hotref::server {

enum class Route : int {
    landing, api, conformance, collections, collection, items, item, tilejson, tile,
    feeds, referrals, referral, hotspots, evaluations, evaluation, bulletin,
    styles, map, health, ready, metrics, other, count_
};

const char* route_label(Route r) noexcept;

class Metrics {
public:
    static constexpr std::array<double, 10> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};

    void record(Route route, int status, double seconds, std::size_t bytes) noexcept;
    void connection_opened() noexcept { ++m_connections_total; ++m_connections_open; }
    void connection_closed() noexcept { --m_connections_open; }
    void timeout() noexcept { ++m_timeouts; }
    void connection_refused() noexcept { ++m_connections_refused; }
    void in_flight(int delta) noexcept { m_in_flight += delta; }
    /// Requests read whole and being handled now.
    [[nodiscard]] std::int64_t in_flight() const noexcept { return m_in_flight.load(); }

    /// Prometheus text exposition format 0.0.4; `extra` lines are appended.
    [[nodiscard]] std::string render(const std::string& extra) const;

private:
    static constexpr int routes = static_cast<int>(Route::count_);
    std::array<std::array<std::atomic<std::uint64_t>, 5>, routes> m_requests{};       // 1xx..5xx
    std::array<std::array<std::atomic<std::uint64_t>, buckets.size() + 1>, routes> m_latency{};
    std::array<std::atomic<std::uint64_t>, routes> m_latency_sum_us{};
    std::atomic<std::uint64_t> m_bytes{0};
    std::atomic<std::uint64_t> m_connections_total{0};
    std::atomic<std::int64_t> m_connections_open{0};
    std::atomic<std::uint64_t> m_timeouts{0};
    std::atomic<std::uint64_t> m_connections_refused{0};
    std::atomic<std::int64_t> m_in_flight{0};
};

} // namespace hotref::server
