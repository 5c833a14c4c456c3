#include "server/jobs.hpp"

#include "store/store.hpp"

#include <exception>

namespace hotref::server {

const char* job_state_name(JobState state) noexcept {
    switch (state) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::failed: return "failed";
    case JobState::cancelled: return "cancelled";
    }
    return "?";
}

bool JobControl::stop_requested() const noexcept {
    return m_cancel || m_shutdown || std::chrono::steady_clock::now() >= m_deadline;
}

std::string JobControl::why_stopped() const {
    if (m_shutdown) {
        return "the service is shutting down";
    }
    if (m_cancel) {
        return "cancelled (DELETE on the job)";
    }
    return "it ran longer than the service's --max-job-time";
}

JobQueue::JobQueue(JobQueueOptions options) : m_options(options) {
    m_writer = std::thread([this] { run(); });
}

JobQueue::~JobQueue() {
    stop();
}

std::optional<std::int64_t> JobQueue::submit(std::string owner, JobWork work, std::function<void()> cleanup) {
    std::lock_guard lock{m_mutex};
    if (m_stopping || m_waiting.size() >= m_options.max_queued) {
        return std::nullopt;
    }
    auto job = std::make_shared<Job>();
    job->status.id = m_next++;
    job->status.owner = std::move(owner);
    job->status.submitted_at = store::utc_now();
    job->work = std::move(work);
    job->cleanup = std::move(cleanup);
    m_jobs[job->status.id] = job;
    m_waiting.push_back(job);
    m_changed.notify_all();
    return job->status.id;
}

std::optional<JobStatus> JobQueue::wait(std::int64_t id, std::chrono::milliseconds timeout) {
    std::unique_lock lock{m_mutex};
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end()) {
        return std::nullopt;
    }
    const auto job = it->second;
    m_changed.wait_for(lock, timeout, [&] {
        return job->status.state != JobState::queued && job->status.state != JobState::running;
    });
    return job->status;
}

std::optional<JobStatus> JobQueue::status(std::int64_t id) {
    return wait(id, std::chrono::milliseconds(0));
}

bool JobQueue::cancel(std::int64_t id) {
    std::shared_ptr<Job> dropped;
    {
        std::lock_guard lock{m_mutex};
        const auto it = m_jobs.find(id);
        if (it == m_jobs.end()) {
            return false;
        }
        auto& job = it->second;
        if (job->status.state == JobState::running) {
            job->control.m_cancel = true; // the writer rolls the file back and ends the job
            return true;
        }
        if (job->status.state != JobState::queued) {
            return false;
        }
        std::erase(m_waiting, job);
        dropped = job;
    }
    dropped->control.m_cancel = true;
    dropped->status.message = dropped->control.why_stopped() + " before it started; nothing was stored";
    if (dropped->cleanup) {
        dropped->cleanup();
    }
    finish(dropped, JobState::cancelled);
    return true;
}

std::size_t JobQueue::queued() {
    std::lock_guard lock{m_mutex};
    return m_waiting.size();
}

void JobQueue::stop() {
    std::deque<std::shared_ptr<Job>> dropped;
    {
        std::lock_guard lock{m_mutex};
        if (m_stopping) {
            return;
        }
        m_stopping = true;
        dropped.swap(m_waiting);
        for (auto& [id, job] : m_jobs) {
            job->control.m_shutdown = true;
        }
        m_changed.notify_all();
    }
    for (auto& job : dropped) {
        job->status.message = "the service stopped before the job started; nothing was stored";
        if (job->cleanup) {
            job->cleanup();
        }
        finish(job, JobState::cancelled);
    }
    if (m_writer.joinable()) {
        m_writer.join();
    }
}

void JobQueue::run() {
    while (true) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock lock{m_mutex};
            m_changed.wait(lock, [&] { return m_stopping || !m_waiting.empty(); });
            if (m_stopping) {
                return;
            }
            job = m_waiting.front();
            m_waiting.pop_front();
            job->status.state = JobState::running;
            job->control.m_deadline = std::chrono::steady_clock::now() + m_options.max_time;
        }
        run_one(job);
    }
}

void JobQueue::run_one(const std::shared_ptr<Job>& job) {
    // The work fills a copy, so that status() never reads a half-written one.
    JobStatus result;
    {
        std::lock_guard lock{m_mutex};
        result = job->status;
    }
    JobState state = JobState::done;
    try {
        job->work(job->control, result);
        if (job->control.stop_requested()) {
            state = JobState::cancelled;
        } else if (result.http_status >= 400) {
            state = JobState::failed;
        }
    } catch (const std::exception& e) {
        state = job->control.stop_requested() ? JobState::cancelled : JobState::failed;
        result.message = state == JobState::cancelled ? "stopped: " + job->control.why_stopped() : e.what();
        result.http_status = state == JobState::cancelled ? 409 : 500;
    }
    if (state == JobState::cancelled && result.message.empty()) {
        result.message = "stopped: " + job->control.why_stopped();
    }
    if (job->cleanup) {
        job->cleanup();
    }
    {
        std::lock_guard lock{m_mutex};
        result.state = job->status.state;
        job->status = std::move(result);
    }
    finish(job, state);
}

void JobQueue::finish(const std::shared_ptr<Job>& job, JobState state) {
    std::lock_guard lock{m_mutex};
    job->status.state = state;
    job->status.finished_at = store::utc_now();
    job->work = nullptr;
    m_finished.push_back(job->status.id);
    while (m_finished.size() > m_options.keep_finished) {
        m_jobs.erase(m_finished.front());
        m_finished.pop_front();
    }
    m_changed.notify_all();
}

} // namespace hotref::server
