#include "server/metrics.hpp"

#include <cstdio>

namespace hotref::server {

const char* route_label(Route r) noexcept {
    switch (r) {
    case Route::landing: return "/";
    case Route::api: return "/api";
    case Route::conformance: return "/conformance";
    case Route::collections: return "/collections";
    case Route::collection: return "/collections/{id}";
    case Route::items: return "/collections/{id}/items";
    case Route::item: return "/collections/{id}/items/{featureId}";
    case Route::tilejson: return "/tiles/{id}.json";
    case Route::styles: return "/collections/{id}/styles";
    case Route::map: return "/map";
    case Route::tile: return "/tiles/{id}/{z}/{x}/{y}.pbf";
    case Route::feeds: return "/v1/feeds";
    case Route::referrals: return "/v1/referrals";
    case Route::referral: return "/v1/referrals/{reference}";
    case Route::hotspots: return "/v1/hotspots";
    case Route::evaluations: return "/v1/evaluations";
    case Route::evaluation: return "/v1/evaluations/{id}";
    case Route::bulletin: return "/v1/bulletins/latest";
    case Route::health: return "/healthz";
    case Route::ready: return "/readyz";
    case Route::metrics: return "/metrics";
    case Route::other: return "other";
    case Route::count_: break;
    }
    return "other";
}

void Metrics::record(Route route, int status, double seconds, std::size_t bytes) noexcept {
    const auto r = static_cast<std::size_t>(route);
    const int cls = status / 100 - 1;
    if (cls >= 0 && cls < 5) {
        ++m_requests[r][static_cast<std::size_t>(cls)];
    }
    std::size_t b = 0;
    while (b < buckets.size() && seconds > buckets[b]) {
        ++b;
    }
    ++m_latency[r][b];
    m_latency_sum_us[r] += static_cast<std::uint64_t>(seconds * 1e6);
    m_bytes += bytes;
}

std::string Metrics::render(const std::string& extra) const {
    std::string out;
    char line[1024];
    out += "# HELP hotref_http_requests_total HTTP requests answered, by route and status class.\n"
           "# TYPE hotref_http_requests_total counter\n";
    for (int r = 0; r < routes; ++r) {
        for (std::size_t c = 0; c < 5; ++c) {
            const auto n = m_requests[static_cast<std::size_t>(r)][c].load();
            if (n == 0) {
                continue;
            }
            std::snprintf(line, sizeof line, "hotref_http_requests_total{route=\"%s\",status=\"%zuxx\"} %llu\n",
                          route_label(static_cast<Route>(r)), c + 1, static_cast<unsigned long long>(n));
            out += line;
        }
    }
    out += "# HELP hotref_http_request_duration_seconds Time from a request's last byte read to its response "
           "queued.\n# TYPE hotref_http_request_duration_seconds histogram\n";
    for (int r = 0; r < routes; ++r) {
        const auto& h = m_latency[static_cast<std::size_t>(r)];
        std::uint64_t total = 0;
        for (const auto& b : h) {
            total += b.load();
        }
        if (total == 0) {
            continue;
        }
        const char* label = route_label(static_cast<Route>(r));
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < buckets.size(); ++b) {
            cumulative += h[b].load();
            std::snprintf(line, sizeof line, "hotref_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                          label, buckets[b], static_cast<unsigned long long>(cumulative));
            out += line;
        }
        std::snprintf(line, sizeof line,
                      "hotref_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                      "hotref_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                      "hotref_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                      label, static_cast<unsigned long long>(total), label,
                      static_cast<double>(m_latency_sum_us[static_cast<std::size_t>(r)].load()) / 1e6, label,
                      static_cast<unsigned long long>(total));
        out += line;
    }
    std::snprintf(line, sizeof line,
                  "# HELP hotref_http_response_bytes_total Response body bytes sent.\n"
                  "# TYPE hotref_http_response_bytes_total counter\nhotref_http_response_bytes_total %llu\n",
                  static_cast<unsigned long long>(m_bytes.load()));
    out += line;
    std::snprintf(line, sizeof line,
                  "# HELP hotref_connections_total Connections accepted.\n# TYPE hotref_connections_total counter\n"
                  "hotref_connections_total %llu\n"
                  "# HELP hotref_connections_open Connections open now.\n# TYPE hotref_connections_open gauge\n"
                  "hotref_connections_open %lld\n",
                  static_cast<unsigned long long>(m_connections_total.load()),
                  static_cast<long long>(m_connections_open.load()));
    out += line;
    std::snprintf(line, sizeof line,
                  "# HELP hotref_timeouts_total Connections closed because the client was too slow or idle.\n"
                  "# TYPE hotref_timeouts_total counter\nhotref_timeouts_total %llu\n"
                  "# HELP hotref_requests_in_flight Requests being handled now.\n"
                  "# TYPE hotref_requests_in_flight gauge\nhotref_requests_in_flight %lld\n",
                  static_cast<unsigned long long>(m_timeouts.load()), static_cast<long long>(m_in_flight.load()));
    out += line;
    std::snprintf(line, sizeof line,
                  "# HELP hotref_connections_refused_total Connections refused over --max-connections or "
                  "--max-connections-per-client.\n# TYPE hotref_connections_refused_total counter\n"
                  "hotref_connections_refused_total %llu\n",
                  static_cast<unsigned long long>(m_connections_refused.load()));
    out += line;
    out += extra;
    return out;
}

} // namespace hotref::server
