#include "cli/commands.hpp"

#include "core/error.hpp"
#include "geo/area.hpp"
#include "referral/registry.hpp"
#include "server/catalog.hpp"
#include "server/server.hpp"
#include "server/service.hpp"
#include "store/incidents.hpp"
#include "store/store.hpp"
#include "util/private_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace hotref::cli {

const char* ServeCommand::details() const {
    return R"(Serves the store over HTTP/1.1 (HTTPS with --tls-cert and --tls-key):
  /                                OGC API - Features landing page (links to /api, /conformance, /collections)
  /collections/{id}/items          GeoJSON pages: limit, offset, bbox (lon/lat), datetime; next links
  /tiles/{id}.json, /tiles/{id}/{z}/{x}/{y}.pbf   TileJSON and vector tiles (hotspots, cells)
  /v1/feeds, /v1/referrals[/{ref}], /v1/hotspots, /v1/evaluations[/{id}], /v1/bulletins/latest
                                   the hotref API, application/json or application/x-protobuf
  /v1/jobs/{id}                    a feed ingest that outlasted --feed-wait (202): GET follows it, DELETE cancels it
  /healthz, /readyz, /metrics      liveness, readiness, Prometheus metrics (no token needed)
Collections: hotspots, cells, incidents, study-area, kpis and evaluation in the published
profile (counts 1-4 withheld); *-internal twins for hotspot managers, analysts and admins;
referrals for caseworkers and admins (referrers may only create them). Requests need 'Authorization: Bearer TOKEN' (hotref
token create) unless --anonymous lets published layers be read without one. The service
follows the store (checked every --poll ms): a referral update is published within a second
(only what it changes), a new run or evaluation within seconds (at most once every 10 s).
SIGTERM or Ctrl-C stops it gracefully (requests in flight finish; a running feed ingest
is rolled back). Limits and how to raise them: docs/operations.md#limits. Behind a reverse proxy
(nginx, Apache) that terminates TLS, give --public-url so that links carry the public address.

Examples:
  hotref token create --role hotspot-manager --name "Hotspot desk"
  hotref serve --store out/hotref.sqlite --port 8080
  ogrinfo OAPIF:http://127.0.0.1:8080 --config GDAL_HTTP_HEADERS "Authorization: Bearer hr_..."
  curl -H "Authorization: Bearer hr_..." http://127.0.0.1:8080/v1/hotspots)";
}

void ServeCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("address", po::value<std::string>(&m_address)->default_value("127.0.0.1"), "address to listen on (0.0.0.0: all)")
        ("port", po::value<int>(&m_port)->default_value(8080), "port (0: any free port; see --port-file)")
        ("port-file", po::value<std::string>(&m_port_file), "write the port listened on to this file")
        ("threads", po::value<int>(&m_threads)->default_value(4), "worker threads")
        ("method", po::value<std::string>(&m_method)->default_value(""),
         "publish the current run of this method (default: patrol, else gistar)")
        ("run", po::value<std::int64_t>(&m_run)->default_value(0), "publish this run (0: the current run of --method)")
        ("force", po::value<std::string>(&m_force),
         "publish the current run of this force (needed when the store holds several forces)")
        ("anonymous", po::bool_switch(&m_anonymous), "published layers and tiles may be read without a token")
        ("public-url", po::value<std::string>(&m_public_url), "base of links (behind a reverse proxy), e.g. https://maps.example.org/hotref")
        ("limit", po::value<std::int64_t>(&m_default_limit)->default_value(100), "default items per page")
        ("max-limit", po::value<std::int64_t>(&m_max_limit)->default_value(1000), "most items per page")
        ("max-body", po::value<std::int64_t>(&m_max_body_mb)->default_value(64), "largest request body, MiB")
        ("read-timeout", po::value<int>(&m_read_timeout)->default_value(15), "seconds to read a request")
        ("idle-timeout", po::value<int>(&m_idle_timeout)->default_value(30), "seconds a kept-alive connection may idle")
        ("grace", po::value<int>(&m_grace)->default_value(20), "seconds in-flight requests get after SIGTERM")
        ("max-connections", po::value<int>(&m_max_connections)->default_value(2048), "connections at once")
        ("max-connections-per-client", po::value<int>(&m_max_connections_per_client)->default_value(64),
         "connections at once from one client address (more get a 503)")
        ("tls-cert", po::value<std::string>(&m_tls_cert), "PEM certificate chain (HTTPS)")
        ("tls-key", po::value<std::string>(&m_tls_key), "PEM private key (HTTPS)")
        ("access-log", po::value<std::string>(&m_access_log)->default_value("-"), "access log file ('-': stdout, 'off': none)")
        ("secret-file", po::value<std::string>(&m_secret_file), "referral person-hash secret (else $HOTREF_REFERRAL_SECRET)")
        ("area", po::value<std::string>(&m_area), "submitted incidents must fall in this area (a polygon file)")
        ("mapping", po::value<std::string>(&m_mapping), "column mapping for submitted force exports (JSON)")
        ("poll", po::value<int>(&m_poll_ms)->default_value(500), "ms between checks of the store for changes")
        ("referral-checks-per-hour", po::value<int>(&m_referral_checks)->default_value(30),
         "new referrals with a person (each runs the refusal check) a token may make in any hour; then 429")
        ("max-batch-files", po::value<int>(&m_max_batch_files)->default_value(1000),
         "feed files in one POST /v1/feeds, counting those in archives (more: 413)")
        ("max-expanded", po::value<std::int64_t>(&m_max_expanded_mb)->default_value(2048),
         "MiB one POST /v1/feeds may expand to once decompressed (more: 413)")
        ("max-queued-jobs", po::value<int>(&m_max_queued_jobs)->default_value(4),
         "feed ingests waiting for the writer (more: 503 with Retry-After)")
        ("max-job-time", po::value<int>(&m_max_job_time)->default_value(1800),
         "seconds a feed ingest may run; then it is cancelled (the file being written is rolled back)")
        ("feed-wait", po::value<int>(&m_feed_wait_ms)->default_value(2000),
         "ms POST /v1/feeds waits for its ingest before answering 202 with the job to follow")
        ("token-failures-per-minute", po::value<int>(&m_token_failures)->default_value(20),
         "requests with a bad token one client address may send in any minute; then 429")
        ("max-referral-size", po::value<std::int64_t>(&m_max_referral_kib)->default_value(64),
         "KiB a POST or PATCH of one referral may be (more: 413)");
    m_limit_options.add(options, false);
}

void ServeCommand::apply(const po::variables_map&) {
    if (m_port < 0 || m_port > 65535) {
        throw UsageError("--port must be from 0 to 65535");
    }
    if (m_threads < 1 || m_threads > 256) {
        throw UsageError("--threads must be from 1 to 256");
    }
    if (m_default_limit < 1 || m_max_limit < m_default_limit) {
        throw UsageError("--limit must be at least 1 and at most --max-limit");
    }
    if (m_max_body_mb < 1 || m_max_body_mb > 4096) {
        throw UsageError("--max-body must be from 1 to 4096 MiB");
    }
    if (m_read_timeout < 1 || m_idle_timeout < 1 || m_grace < 0 || m_poll_ms < 100 || m_max_connections < 1) {
        throw UsageError("timeouts must be at least 1 s, --poll at least 100 ms and --max-connections at least 1");
    }
    if (m_referral_checks < 1) {
        throw UsageError("--referral-checks-per-hour must be at least 1");
    }
    if (m_max_connections_per_client < 1 || m_max_batch_files < 1 || m_max_expanded_mb < 1 || m_max_queued_jobs < 1 ||
        m_max_job_time < 1 || m_feed_wait_ms < 0 || m_token_failures < 1) {
        throw UsageError("--max-connections-per-client, --max-batch-files, --max-expanded, --max-queued-jobs, "
                         "--max-job-time and --token-failures-per-minute must be at least 1, --feed-wait at least 0");
    }
    if (m_max_referral_kib < 1 || m_max_referral_kib > 64 * 1024) {
        throw UsageError("--max-referral-size must be from 1 to 65536 KiB");
    }
    m_limits = m_limit_options.parse();
    if (m_tls_cert.empty() != m_tls_key.empty()) {
        throw UsageError("HTTPS needs both --tls-cert and --tls-key");
    }
    if (!m_method.empty() && m_method != "patrol" && m_method != "gistar" && m_method != "kde" && m_method != "dbscan") {
        throw UsageError("--method must be patrol, gistar, kde or dbscan");
    }
    if (m_access_log == "off") {
        m_access_log.clear();
    }
}

int ServeCommand::run() {
    namespace fs = std::filesystem;
    if (!store::may_exist(m_store_path)) {
        throw Error("no store at " + m_store_path + " (make one with hotref ingest, or give --store)");
    }
    if (store::writable(m_store_path)) {
        store::Store migrate{m_store_path, false}; // brings an older store up to date before readers start
    } else {
        store::Store check{m_store_path, store::OpenMode::read_only}; // the schema must be current already
        std::cerr << "hotref serve: note: the store " << m_store_path
                  << " is read-only: it is served, and every write is refused (503)\n";
    }

    server::ServiceOptions so;
    so.store_path = m_store_path;
    so.anonymous = m_anonymous;
    so.public_url = m_public_url;
    while (!so.public_url.empty() && so.public_url.back() == '/') {
        so.public_url.pop_back();
    }
    so.default_limit = m_default_limit;
    so.max_limit = m_max_limit;
    so.referral_checks_per_hour = m_referral_checks;
    so.max_batch_files = static_cast<std::size_t>(m_max_batch_files);
    so.max_expanded_bytes = static_cast<std::uint64_t>(m_max_expanded_mb) * 1024 * 1024;
    so.max_queued_jobs = static_cast<std::size_t>(m_max_queued_jobs);
    so.max_job_time = std::chrono::seconds(m_max_job_time);
    so.feed_wait = std::chrono::milliseconds(m_feed_wait_ms);
    so.token_failures_per_minute = m_token_failures;
    so.ingest_limits = m_limits;
    so.ingest_limits.max_files = so.max_batch_files;
    so.max_referral_bytes = static_cast<std::size_t>(m_max_referral_kib) * 1024;
    if (!m_secret_file.empty() || std::getenv("HOTREF_REFERRAL_SECRET") != nullptr) {
        so.referral_secret = referral::referral_secret(m_secret_file);
    } else {
        std::cerr << "hotref serve: note: no referral secret (HOTREF_REFERRAL_SECRET or --secret-file): referrals "
                     "carrying a person_id are refused\n";
    }
    std::optional<geo::StudyArea> area;
    if (!m_area.empty()) {
        area.emplace(geo::StudyArea::from_file(m_area));
        so.area = &*area;
    }
    if (!m_mapping.empty() && !fs::exists(m_mapping)) {
        throw UsageError("--mapping " + m_mapping + " does not exist");
    }
    so.mapping_path = m_mapping;

    server::CatalogOptions co;
    co.store_path = m_store_path;
    co.method = m_method;
    co.run_id = m_run;
    if (m_run == 0 && store::may_exist(m_store_path)) {
        // A store of several forces publishes one: --force, else refused with the forces listed.
        store::Store existing{m_store_path, store::OpenMode::read_only};
        if (!store::stored_forces(existing, "", "0000-00", "9999-99").empty()) {
            const auto force = store::resolve_force(existing, m_force, "", "serve");
            co.force = m_force.empty() ? std::string{} : force;
        } else {
            co.force = m_force;
        }
    } else {
        co.force = m_force;
    }
    server::Catalog catalog{co, m_poll_ms};
    server::Metrics metrics;
    server::Service service{so, catalog, metrics};

    server::ServerOptions opts;
    opts.address = m_address;
    opts.port = static_cast<unsigned short>(m_port);
    opts.threads = m_threads;
    opts.body_limit = static_cast<std::size_t>(m_max_body_mb) * 1024 * 1024;
    opts.read_timeout = std::chrono::seconds(m_read_timeout);
    opts.idle_timeout = std::chrono::seconds(m_idle_timeout);
    opts.shutdown_grace = std::chrono::seconds(m_grace);
    opts.max_connections = m_max_connections;
    opts.max_connections_per_client = m_max_connections_per_client;
    opts.tls_cert = m_tls_cert;
    opts.tls_key = m_tls_key;
    opts.access_log = m_access_log;
    server::Server server{opts, service, metrics};
    server.listen();
    if (!m_port_file.empty()) {
        std::ofstream{m_port_file} << server.port() << "\n";
    }
    std::cerr << "hotref serve: listening on " << (m_tls_cert.empty() ? "http" : "https") << "://" << m_address << ":"
              << server.port() << "/ (store " << m_store_path << "; " << (m_anonymous ? "anonymous reads of published layers allowed" : "tokens required") << ")\n";
    catalog.start();
    server.run();
    service.stop_jobs(); // a running ingest is rolled back, not waited for
    catalog.stop();
    std::cerr << "hotref serve: stopped\n";
    return 0;
}

} // namespace hotref::cli
