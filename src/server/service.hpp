#pragma once
// The service's requests and answers, apart from the network: one Service
// maps a parsed HTTP request to a response (OGC API - Features, vector tiles,
// the protobuf API under /v1, health, readiness and metrics), with
// authentication, roles and content negotiation. Never throws: every problem
// becomes a status and a structured body {status, code, message, details}.

#include "ingest/limits.hpp"
#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/jobs.hpp"
#include "server/metrics.hpp"
#include "server/rate_limit.hpp"
#include "server/store_guard.hpp"

#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
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

    // Limits on writes through the API (docs/operations.md#limits).
    /// Files in one POST /v1/feeds (a FeedBatch); more: 413 naming --max-batch-files.
    std::size_t max_batch_files = 1000;
    /// Bytes a batch may expand to once its .gz and .zip files are decompressed (the
    /// sum over the feed files read); more: 413 naming --max-expanded, nothing stored.
    std::uint64_t max_expanded_bytes = 2ULL * 1024 * 1024 * 1024;
    /// Ingest jobs waiting for the writer; more: 429 with Retry-After.
    std::size_t max_queued_jobs = 4;
    /// A running job is cancelled (the file being written rolled back) after this.
    std::chrono::milliseconds max_job_time{30 * 60 * 1000};
    /// How long POST /v1/feeds waits for its job before answering 202 with the job to follow.
    std::chrono::milliseconds feed_wait{2000};
    /// Requests with a bad bearer token per client address in any minute; then 429
    /// (every token refused, valid or not, until the minute has passed).
    int token_failures_per_minute = 20;
    /// What each file of a POST /v1/feeds may hold, as `hotref ingest` takes the same options.
    ingest::Limits ingest_limits;
    /// Bytes of one referral's body (POST /v1/referrals, PATCH /v1/referrals/REF); more: 413
    /// naming --max-referral-size, before anything is parsed.
    std::size_t max_referral_bytes = 64 * 1024;
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

    /// `remote`: the client's address (for per-client limits); "-" when unknown.
    Exchange handle(const Request& request, const std::string& remote = "-") noexcept;
    /// Cancels the running ingest job and the queued ones; waits for the writer to stop.
    void stop_jobs();
    /// Store lookups of bearer tokens so far (the cache's misses).
    [[nodiscard]] std::uint64_t token_lookups() const noexcept { return m_tokens.lookups(); }

    [[nodiscard]] const ServiceOptions& options() const noexcept { return m_options; }

    struct Call; // one request being answered (call.hpp)

private:
    void dispatch(Call& call);
    // OGC API - Features and tiles
    void landing(Call& call);
    void openapi(Call& call);
    void conformance(Call& call);
    void collections(Call& call);
    void collection(Call& call, const std::string& id);
    void items(Call& call, const std::string& id);
    void item(Call& call, const std::string& id, const std::string& feature);
    void styles(Call& call, const std::string& id);
    void style(Call& call, const std::string& id, const std::string& style_id);
    void tilejson(Call& call, const std::string& id);
    // the web map (web.cpp)
    void web(Call& call, const std::string& file);
    void tile(Call& call, const std::string& id, const std::string& z, const std::string& x, const std::string& y);
    // protobuf API
    void feeds(Call& call);
    void job(Call& call, const std::string& id);
    void authenticate(Call& call);
    void referrals(Call& call);
    void create_referral(Call& call);
    void referral(Call& call, const std::string& reference);
    void hotspots(Call& call);
    void runs(Call& call);
    void run_hotspots(Call& call, const std::string& id);
    void me(Call& call);
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
    RollingLimit m_token_failures;     // per client address
    StoreGuard m_store_guard;          // the store file as it was at start (device, inode)
    std::mutex m_runs_mutex;           // the hotspots of runs other than the served one, by snapshot key and run
    std::map<std::string, std::shared_ptr<const std::string>> m_run_hotspots;
    JobQueue m_jobs;                   // last: stopped first, while the rest still stands
};

} // namespace hotref::server
