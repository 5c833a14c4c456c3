#pragma once
// The service's requests and answers, apart from the network: one Service
// maps a parsed HTTP request to a response (OGC API - Features, vector tiles,
// the protobuf API under /v1, health, readiness and metrics), with
// authentication, roles and content negotiation. Never throws: every problem
// becomes a status and a structured body {status, code, message, details}.

#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/metrics.hpp"
#include "server/rate_limit.hpp"
#include "server/store_guard.hpp"

#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace hotref::geo {
class StudyArea;
}

namespace hotref::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct ServiceOptions {
    std::string store_path;
    bool anonymous = false;            // published layers and tiles without a token
    std::string public_url;            // base of every link ("https://hotref.example.org"); empty: from Host
    std::int64_t default_limit = 100;  // items per page
    std::int64_t max_limit = 1000;
    std::string referral_secret;       // key of the person hash; empty: referrals with person_id are refused
    const geo::StudyArea* area = nullptr; // where submitted incidents must fall
    std::string mapping_path;          // force export column mapping for submitted force exports
    /// New referrals with a person (each runs the refusal check) per token in any rolling
    /// hour; over it: 429 with Retry-After (docs/referrals.md#refusal-checks). At least 1.
    int referral_checks_per_hour = 30;
};

/// What a request came to: the response, the route (for metrics) and who asked (for the access log).
struct Exchange {
    Response response;
    Route route = Route::other;
    std::string principal = "-";
};

class Service {
public:
    Service(ServiceOptions options, Catalog& catalog, Metrics& metrics);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    Exchange handle(const Request& request) noexcept;

    [[nodiscard]] const ServiceOptions& options() const noexcept { return m_options; }

private:
    struct Call;
    void dispatch(Call& call);
    // OGC API - Features and tiles
    void landing(Call& call);
    void openapi(Call& call);
    void conformance(Call& call);
    void collections(Call& call);
    void collection(Call& call, const std::string& id);
    void items(Call& call, const std::string& id);
    void item(Call& call, const std::string& id, const std::string& feature);
    void tilejson(Call& call, const std::string& id);
    void tile(Call& call, const std::string& id, const std::string& z, const std::string& x, const std::string& y);
    // protobuf API
    void feeds(Call& call);
    void referrals(Call& call);
    void create_referral(Call& call);
    void referral(Call& call, const std::string& reference);
    void hotspots(Call& call);
    void evaluations(Call& call);
    void evaluation(Call& call, const std::string& id);
    void bulletin(Call& call);
    // health
    void ready(Call& call);

    const Collection& readable_collection(Call& call, const Snapshot& snap, const std::string& id);
    std::shared_ptr<const Snapshot> snapshot();
    void audit(Call& call, const std::string& summary);

    ServiceOptions m_options;
    Catalog& m_catalog;
    Metrics& m_metrics;
    TokenCache m_tokens{std::chrono::milliseconds(1000)};
    std::mutex m_write_mutex;          // one writer at a time (SQLite allows one anyway)
    std::atomic<std::int64_t> m_uploads{0};
    RollingLimit m_refusal_checks;     // per token name
    StoreGuard m_store_guard;          // the store file as it was at start (device, inode)
};

} // namespace hotref::server
