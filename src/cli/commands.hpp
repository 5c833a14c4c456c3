#pragma once
// The subcommands. Each is declared here and defined in cmd_<name>.cpp.

#include "cli/command.hpp"
#include "evaluate/evaluation.hpp"
#include "publish/evaluation_files.hpp"
#include "hotspot/pipeline.hpp"
#include "cli/limit_options.hpp"
#include "ingest/limits.hpp"
#include "publish/bulletin.hpp"
#include "publish/layers.hpp"

#include <optional>

namespace hotref::cli {

class IngestCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "ingest"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Ingest incident feeds (data.police.uk CSV, archives, police.uk API JSON, force exports) into the store.";
    }
    [[nodiscard]] const char* usage() const override { return "[OPTIONS] PATH..."; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    std::vector<std::string> m_paths;
    std::string m_mapping;
    std::string m_api_force;
    std::string m_area;
    std::string m_area_layer;
    std::string m_report_json;
    bool m_quiet = false;
    bool m_reingest = false;
    std::string m_encoding;
    LimitOptions m_limit_options;
    ingest::Limits m_limits;
    ingest::Encoding m_encoding_value = ingest::Encoding::utf8;
};

class StatusCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "status"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Show what the store holds: months x forces x categories, feeds and rejected rows.";
    }
    [[nodiscard]] const char* usage() const override { return "[OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    bool m_json = false;
    bool m_rejects = false;
    int m_feeds = 20;
};

class RunsCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "runs"; }
    [[nodiscard]] const char* synopsis() const override {
        return "List the stored hotspot runs: method, parameters, period, hotspots and the run each continues.";
    }
    [[nodiscard]] const char* usage() const override { return "[OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    std::string m_force;
    bool m_json = false;
};

class HotspotsCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "hotspots"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Find hotspots (Gi* with FDR, KDE or DBSCAN) as named, ranked polygons with stable ids; store the run.";
    }
    [[nodiscard]] const char* usage() const override { return "[OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    hotspot::HotspotOptions m_options;
    int m_top = 10;
    std::string m_profile = "published";
};

class LayersCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "layers"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Write a run's map layers: styled GeoPackage, GeoJSON, FlatGeobuf, CSV, vector tiles, GeoTIFF.";
    }
    [[nodiscard]] const char* usage() const override { return "[OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    publish::LayersOptions m_options;
    std::string m_profile = "published";
};

class ReferralCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "referral"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Record Immediate Justice referrals: import, set, list, show, template (personal data stays in the store).";
    }
    [[nodiscard]] const char* usage() const override { return "ACTION [ARGS] [OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    std::string m_action;
    std::vector<std::string> m_args;
    std::string m_secret_file;
    std::string m_actor;
    std::string m_state;
    int m_limit = 50;
    bool m_skip_bad_rows = false;
    std::int64_t m_run = 0;
    double m_within = 250;
    int m_months = 12;
    std::string m_as_of;
    std::string m_profile = "published";
    bool m_by_month = false;
    // cohort-import, compare, costs (issue 18)
    std::string m_from, m_to, m_csv, m_ij = "all", m_config, m_chart, m_html, m_label;
    int compare();
    int costs();
};

class EvaluateCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "evaluate"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Before/after evaluation of a run's hotspots: change, significance, displacement (WDQ, TNE, WDD), PAI.";
    }
    [[nodiscard]] const char* usage() const override { return "[--date YYYY-MM] [OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    evaluate::EvaluateOptions m_options;
    publish::EvaluationFiles m_files;
    std::string m_profile = "published";
    std::string m_costs;
};

class ServeCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "serve"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Serve the store over HTTP: OGC API - Features, vector tiles, the /v1 API (tokens and roles).";
    }
    [[nodiscard]] const char* usage() const override { return "[OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    std::string m_address = "127.0.0.1";
    int m_port = 8080;
    int m_threads = 4;
    std::string m_method = "gistar";
    std::string m_force;
    std::int64_t m_run = 0;
    bool m_anonymous = false;
    std::string m_public_url;
    std::int64_t m_default_limit = 100;
    std::int64_t m_max_limit = 1000;
    std::int64_t m_max_body_mb = 64;
    int m_read_timeout = 15;
    int m_idle_timeout = 30;
    int m_grace = 20;
    int m_max_connections = 2048;
    std::string m_tls_cert;
    std::string m_tls_key;
    std::string m_access_log = "-";
    std::string m_secret_file;
    std::string m_area;
    std::string m_mapping;
    std::string m_port_file;
    int m_poll_ms = 2000;
    int m_referral_checks = 30;
    int m_max_connections_per_client = 64;
    int m_max_batch_files = 1000;
    std::int64_t m_max_expanded_mb = 2048;
    int m_max_queued_jobs = 4;
    int m_max_job_time = 1800;
    int m_feed_wait_ms = 2000;
    int m_token_failures = 20;
    std::int64_t m_max_referral_kib = 64;
    LimitOptions m_limit_options;
    ingest::Limits m_limits;
};

class TokenCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "token"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Service access tokens: create (shown once), list, revoke.";
    }
    [[nodiscard]] const char* usage() const override { return "create|list|revoke [OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    std::string m_action;
    std::string m_role;
    std::string m_token_name;
};

class StoreCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "store"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Move a store between engines: copy FROM TO (SpatiaLite file <-> postgresql://...), counts checked.";
    }
    [[nodiscard]] const char* usage() const override { return "copy FROM TO"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    std::string m_action;
    std::string m_from;
    std::string m_to;
    bool m_quiet = false;
};

class BulletinCommand final : public Command {
public:
    [[nodiscard]] const char* name() const override { return "bulletin"; }
    [[nodiscard]] const char* synopsis() const override {
        return "Write a patrol bulletin (A4 PDF and HTML): hotspot map, top hotspots, when to patrol.";
    }
    [[nodiscard]] const char* usage() const override { return "[--month YYYY-MM] [OPTIONS]"; }
    [[nodiscard]] const char* details() const override;
    int run() override;

protected:
    void add_options(po::options_description& options, po::positional_options_description& positional) override;
    void apply(const po::variables_map& vm) override;

private:
    publish::BulletinOptions m_options;
    std::string m_profile = "published";
    std::string m_month;
    std::string m_week;
};

} // namespace hotref::cli
