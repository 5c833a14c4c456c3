// POST /v1/feeds and /v1/jobs/{id}: feed files submitted through the API are
// checked at once (names, how many), then ingested by the service's job queue,
// one writer at a time, as the command line would (ingest::Ingester). The
// request waits up to --feed-wait for its job; a longer one is answered 202
// with the job to follow or cancel.

#include "server/call.hpp"
#include "server/service.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "hotref/v1/api.pb.h"
#include "ingest/force_export.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "ingest/report.hpp"

#include <limits>
#include <vector>

namespace hotref::server {

namespace {

bool valid_file_name(const std::string& name) {
    return !name.empty() && name.size() <= 200 && name.front() != '.' &&
           name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               std::string::npos;
}

// One submitted file, written to /vsimem/ for the ingest.
struct Upload {
    std::string name;
    std::string path;
    bool force_export = false;
};

std::string mib(std::uint64_t bytes) {
    return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

// Bytes a compressed feed file expands to, read through GDAL in small pieces (so
// memory stays flat), counted only up to just over `budget`.
std::uint64_t expanded_bytes(const ingest::InputFile& file, std::uint64_t budget, const JobControl& control) {
    const bool compressed = file.vsi.rfind("/vsizip/", 0) == 0 || file.vsi.rfind("/vsigzip/", 0) == 0;
    if (!compressed) {
        return file.size > 0 ? file.size : geo::vsi_stat(file.vsi).size;
    }
    std::uint64_t total = 0;
    try {
        geo::VsiFile in{file.vsi};
        std::vector<char> buffer(256 * 1024);
        while (total <= budget && !control.stop_requested()) {
            const auto n = in.read(buffer.data(), buffer.size());
            if (n == 0) {
                break;
            }
            total += n;
        }
    } catch (const InputError&) {
        // Unreadable: the ingest itself fails the file and says why.
    }
    return total;
}

struct Planned {
    const Upload* upload;
    ingest::InputPlan plan;
};

// Plans every upload and checks what the batch expands to; throws HttpError 413 over the limit.
std::vector<Planned> plan_batch(const std::vector<Upload>& uploads, const ServiceOptions& options,
                                const JobControl& control) {
    std::vector<Planned> planned;
    std::uint64_t total = 0;
    std::size_t files = 0;
    for (const auto& u : uploads) {
        planned.push_back({&u, ingest::plan_inputs({u.path}, u.force_export)});
        files += planned.back().plan.files.size();
        if (files > options.max_batch_files) {
            throw HttpError{413, "payload_too_large",
                            "the batch holds more than " + std::to_string(options.max_batch_files) +
                                " feed files (counting those inside archives, at " + u.name +
                                "), the most the service takes in one request (hotref serve --max-batch-files "
                                "raises it); nothing was ingested"};
        }
        for (const auto& f : planned.back().plan.files) {
            total += expanded_bytes(f, options.max_expanded_bytes - std::min(total, options.max_expanded_bytes),
                                    control);
            if (total > options.max_expanded_bytes) {
                throw HttpError{413, "payload_too_large",
                                "the batch expands to more than " + mib(options.max_expanded_bytes) +
                                    " once decompressed (at " + u.name + "), the most the service takes (hotref "
                                    "serve --max-expanded MiB raises it); nothing was ingested"};
            }
        }
    }
    return planned;
}

// Ingests the batch on the writer thread; fills the job's report and what the answer is.
void ingest_planned(const std::vector<Upload>& uploads, const ServiceOptions& options, const JobControl& control,
                  JobStatus& status) {
    auto& store = thread_store(options.store_path);
    store.set_interrupt([&control] { return control.stop_requested(); });
    struct Clear {
        store::Store& store;
        ~Clear() { store.set_interrupt({}); }
    } clear{store};
    auto report = std::make_shared<v1::IngestReport>();
    status.report = report;
    std::vector<Planned> planned;
    try {
        planned = plan_batch(uploads, options, control);
    } catch (const HttpError& e) {
        status.http_status = e.status();
        status.message = e.what();
        return;
    } catch (const InputError& e) {
        status.http_status = 422;
        status.message = std::string{e.what()} + "; nothing was ingested";
        return;
    }
    for (const auto& p : planned) {
        for (const auto& s : p.plan.skipped) {
            report->add_skipped(p.upload->name + ": " + s);
        }
        ingest::IngestOptions io;
        io.area = options.area;
        io.limits = options.ingest_limits;
        if (p.upload->force_export) {
            io.mapping = ingest::ExportMapping::from_file(options.mapping_path);
        }
        ingest::Ingester ingester{store, std::move(io)};
        for (auto file : p.plan.files) {
            file.display = p.upload->name + file.display.substr(std::min(file.display.size(), p.upload->path.size()));
            if (control.stop_requested()) {
                status.message = "stopped before " + file.display + ": " + control.why_stopped() +
                                 "; the files before it were stored";
                return;
            }
            try {
                ingest::add_file_report(*report, ingester.ingest(file));
            } catch (const StoreError&) {
                if (!control.stop_requested()) {
                    throw;
                }
                status.message = "stopped while ingesting " + file.display + ": " + control.why_stopped() +
                                 "; nothing of that file was stored (rolled back), the files before it were";
                status.http_status = 409;
                return;
            }
        }
    }
    const bool none = report->files_size() == 0;
    if (none || report->files_failed() == report->files_size()) {
        for (const auto& f : report->files()) {
            status.details.push_back(f.name() + ": " + f.message());
        }
        for (const auto& s : report->skipped()) {
            status.details.push_back("skipped " + s);
        }
        status.http_status = 422;
        status.message = none ? "no feed file in the batch (data.police.uk *-street.csv, police.uk API .json, archives)"
                              : "no file could be ingested; nothing was stored";
        return;
    }
    status.http_status = 200;
}

void ingest_batch(const std::vector<Upload>& uploads, const ServiceOptions& options, const JobControl& control,
                  JobStatus& status) {
    try {
        ingest_planned(uploads, options, control, status);
    } catch (...) {
        drop_thread_store(options.store_path); // its caches may hold what was rolled back
        throw;
    }
    if (status.http_status == 409) {
        drop_thread_store(options.store_path);
    }
}

// The batch as uploads in /vsimem/ (removed when the job ends); HttpError for bad names or too many files.
std::vector<Upload> take_uploads(const v1::FeedBatch& batch, const ServiceOptions& options, std::int64_t n) {
    if (batch.files_size() == 0) {
        throw bad_request("no files: send a hotref.v1.FeedBatch with files, or one file as the body with ?name=FILE");
    }
    if (static_cast<std::size_t>(batch.files_size()) > options.max_batch_files) {
        throw HttpError{413, "payload_too_large",
                        "the batch has " + std::to_string(batch.files_size()) + " files; the service takes at most " +
                            std::to_string(options.max_batch_files) +
                            " in one request (hotref serve --max-batch-files raises it, or send an archive); nothing "
                            "was ingested"};
    }
    const std::string dir = "/vsimem/hotref-upload-" + std::to_string(n);
    std::vector<Upload> uploads;
    std::vector<std::string> problems;
    bool any_force_export = false;
    for (const auto& f : batch.files()) {
        if (!valid_file_name(f.name())) {
            problems.push_back("name '" + f.name() + "': a plain file name of letters, digits, '.', '_' and '-'");
        } else if (f.content().empty()) {
            problems.push_back(f.name() + ": the file is empty");
        }
        any_force_export = any_force_export || f.force_export();
        uploads.push_back({f.name(), dir + "/" + f.name(), f.force_export()});
    }
    if (!problems.empty()) {
        throw bad_request("the batch has bad files; nothing was ingested", problems);
    }
    if (any_force_export && options.mapping_path.empty()) {
        throw HttpError{422, "unprocessable",
                        "force exports need a column mapping: start the service with --mapping FILE"};
    }
    try {
        for (int i = 0; i < batch.files_size(); ++i) {
            geo::write_vsi_file(uploads[static_cast<std::size_t>(i)].path, batch.files(i).content());
        }
    } catch (...) {
        geo::remove_vsi_tree(dir);
        throw;
    }
    return uploads;
}

// The answer a finished job's request gets: 200 with the report, or its error.
void answer_finished(Service::Call& call, const JobStatus& st) {
    if (st.state == JobState::done && st.http_status == 200 && st.report) {
        call.send_message(200, *st.report);
        return;
    }
    const int code = st.http_status >= 400 ? st.http_status : 500;
    const char* name = code == 413 ? "payload_too_large" : code == 422 ? "unprocessable" : code == 409 ? "cancelled"
                                                                                                     : "internal";
    throw HttpError{code, name, st.message.empty() ? "the ingest failed" : st.message, st.details};
}

v1::Job job_message(const JobStatus& st, const std::string& base) {
    v1::Job job;
    job.set_id(st.id);
    job.set_state(job_state_name(st.state));
    job.set_href(base + "/v1/jobs/" + std::to_string(st.id));
    job.set_message(st.message);
    for (const auto& d : st.details) {
        job.add_details(d);
    }
    if (st.report) {
        *job.mutable_report() = *st.report;
    }
    job.set_submitted_at(st.submitted_at);
    job.set_finished_at(st.finished_at);
    job.set_http_status(st.http_status);
    return job;
}

} // namespace

void Service::feeds(Call& call) {
    call.require(Permission::submit_feeds, false);
    v1::FeedBatch batch;
    const auto& params = call.target.params;
    if (const auto name = params.find("name"); name != params.end()) {
        // One file as the body, whatever its type (curl --data-binary @file).
        auto* f = batch.add_files();
        f->set_name(name->second);
        f->set_content(call.req.body());
        f->set_force_export(params.count("force_export") != 0 && params.at("force_export") != "false");
    } else {
        call.parse_body(batch);
    }
    const auto n = ++m_uploads;
    auto uploads = std::make_shared<const std::vector<Upload>>(take_uploads(batch, m_options, n));
    batch.Clear(); // the copies in /vsimem/ are what the job reads
    const std::string dir = "/vsimem/hotref-upload-" + std::to_string(n);
    AuditEntry entry{call.principal_name(), role_name(call.principal->role), "POST", call.target.path, 0, ""};
    auto work = [this, uploads, entry](const JobControl& control, JobStatus& status) mutable {
        ingest_batch(*uploads, m_options, control, status);
        entry.status = status.http_status;
        const auto& r = status.report;
        entry.summary = status.http_status == 200
                            ? "feeds: " + std::to_string(r->files_size()) + " file(s), " +
                                  std::to_string(r->files_stored()) + " stored, " + std::to_string(r->rows_stored()) +
                                  " rows stored, " + std::to_string(r->rows_rejected()) + " rejected"
                            : "feeds refused: " + std::to_string(uploads->size()) + " file(s): " + status.message;
        write_audit(thread_store(m_options.store_path), entry);
        if (r && r->files_stored() > 0) {
            m_catalog.poke();
        }
    };
    const auto id = m_jobs.submit(entry.token_name, std::move(work), [dir] { geo::remove_vsi_tree(dir); });
    if (!id) {
        geo::remove_vsi_tree(dir);
        call.ex.response.set(http::field::retry_after, "30");
        throw HttpError{503, "busy",
                        "the ingest queue is full (" + std::to_string(m_jobs.options().max_queued) +
                            " jobs waiting, hotref serve --max-queued-jobs); nothing was ingested: try again later"};
    }
    const auto st = m_jobs.wait(*id, m_options.feed_wait);
    if (!st) {
        throw HttpError{500, "internal", "job " + std::to_string(*id) + " was forgotten before it was answered"};
    }
    if (st->state != JobState::queued && st->state != JobState::running) {
        answer_finished(call, *st);
        return;
    }
    call.ex.response.set(http::field::location, call.base + "/v1/jobs/" + std::to_string(*id));
    call.ex.response.set(http::field::retry_after, "1");
    call.send_message(202, job_message(*st, call.base));
}

// GET /v1/jobs/{id}: how a feed job stands; DELETE: cancel it (waits a little for it to stop).
void Service::job(Call& call, const std::string& id) {
    call.require(Permission::submit_feeds, false);
    std::int64_t n = 0;
    try {
        n = parse_count(id, "the job id", 1, std::numeric_limits<std::int64_t>::max() / 10);
    } catch (const HttpError&) {
        throw HttpError{404, "not_found", "no such job: " + id};
    }
    auto st = m_jobs.status(n);
    if (!st || (st->owner != call.principal->name && call.principal->role != Role::admin)) {
        throw HttpError{404, "not_found", "no such job: " + id + " (jobs are kept for the last 100; only the token "
                                                                 "that submitted one, or an admin, sees it)"};
    }
    if (call.req.method() == http::verb::delete_) {
        m_jobs.cancel(n);
        st = m_jobs.wait(n, std::chrono::seconds(5));
    }
    call.send_message(200, job_message(*st, call.base));
}

} // namespace hotref::server
