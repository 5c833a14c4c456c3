#pragma once
// Writes through the API (POST /v1/feeds) as a bounded queue of jobs that one
// writer thread runs in turn, so that a long ingest never holds a request
// thread, reads, /healthz or a shutdown. A job can be cancelled, or runs out of
// time (max_time); either way the file being written is rolled back (its
// transaction is interrupted) and the files before it stay stored.

#include "hotref/v1/store.pb.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace hotref::server {

enum class JobState { queued, running, done, failed, cancelled };
const char* job_state_name(JobState state) noexcept;

/// What a job's work sees: whether it should stop (cancelled, out of time or shutting down).
class JobControl {
public:
    [[nodiscard]] bool stop_requested() const noexcept;
    [[nodiscard]] std::string why_stopped() const;

private:
    friend class JobQueue;
    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_shutdown{false};
    std::chrono::steady_clock::time_point m_deadline = std::chrono::steady_clock::time_point::max();
};

/// What a job came to (a copy: safe to read while the job runs on).
struct JobStatus {
    std::int64_t id = 0;
    std::string owner;           // token name that submitted it
    JobState state = JobState::queued;
    std::string message;         // why it failed or stopped
    std::vector<std::string> details;
    std::shared_ptr<const v1::IngestReport> report; // when it ran (also when cancelled: the files before)
    int http_status = 0;         // what a synchronous answer would have been (200, 422, ...)
    std::string submitted_at, finished_at;
};

/// The work of a job: fills `status` (report, http_status, message); may throw (the job fails).
using JobWork = std::function<void(const JobControl& control, JobStatus& status)>;

struct JobQueueOptions {
    std::size_t max_queued = 4;                       // waiting jobs; beyond: refused (429)
    std::chrono::milliseconds max_time{30 * 60 * 1000}; // a running job is cancelled after this
    std::size_t keep_finished = 100;                  // finished jobs remembered for GET
};

class JobQueue {
public:
    explicit JobQueue(JobQueueOptions options);
    ~JobQueue();
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    /// Queues `work`; nullopt when max_queued jobs are waiting already (or shutting down).
    /// `cleanup` runs once the job has ended (or was dropped), on the writer thread.
    std::optional<std::int64_t> submit(std::string owner, JobWork work, std::function<void()> cleanup = {});
    /// The job's status once it has ended, or after `timeout` whatever it is; nullopt: no such job.
    std::optional<JobStatus> wait(std::int64_t id, std::chrono::milliseconds timeout);
    [[nodiscard]] std::optional<JobStatus> status(std::int64_t id);
    /// Cancels a queued or running job; false when there is no such job or it has ended.
    bool cancel(std::int64_t id);
    /// Stops: the running job is interrupted, queued ones are cancelled; joins the writer.
    void stop();

    [[nodiscard]] std::size_t queued();
    [[nodiscard]] const JobQueueOptions& options() const noexcept { return m_options; }

private:
    struct Job {
        JobStatus status;
        JobWork work;
        std::function<void()> cleanup;
        JobControl control;
    };
    void run();
    void run_one(const std::shared_ptr<Job>& job);
    void finish(const std::shared_ptr<Job>& job, JobState state);

    JobQueueOptions m_options;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::shared_ptr<Job>> m_waiting;
    std::map<std::int64_t, std::shared_ptr<Job>> m_jobs; // every job still remembered, by id
    std::deque<std::int64_t> m_finished;                 // ids of ended jobs, oldest first
    std::int64_t m_next = 1;
    bool m_stopping = false;
    std::thread m_writer;
};

} // namespace hotref::server
