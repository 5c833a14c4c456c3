#include "ingest/background.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hotref::ingest {

namespace {

// Text fields of a SourceRow, copied into a batch's arena.
enum Field : std::size_t {
    f_force, f_falls_within, f_street, f_lsoa_code, f_lsoa_name, f_category, f_category_slug, f_outcome,
    f_crime_id, f_context, f_nsir, f_reference, f_raw, n_fields
};

struct PackedRow {
    SourceRow row; // views left empty; rebuilt from `text`
    std::uint32_t offset[n_fields];
    std::uint32_t size[n_fields];
};

struct Batch {
    std::string arena;
    std::vector<PackedRow> rows;
    std::vector<store::RejectRow> rejects;
    std::uint64_t bytes = 0;
    bool last = false;
    std::exception_ptr error;
};

constexpr std::size_t batch_rows = 4096;

// Thrown in the reading thread when the caller has gone: stops the reader early.
struct Abandoned {};
constexpr std::size_t max_batches = 4;

struct Channel {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::unique_ptr<Batch>> queue;
    bool stop = false;

    bool push(std::unique_ptr<Batch> b) {
        std::unique_lock lock{mutex};
        cv.wait(lock, [this] { return queue.size() < max_batches || stop; });
        if (stop) {
            return false;
        }
        queue.push_back(std::move(b));
        lock.unlock();
        cv.notify_all();
        return true;
    }
    std::unique_ptr<Batch> pop() {
        std::unique_lock lock{mutex};
        cv.wait(lock, [this] { return !queue.empty(); });
        auto b = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        cv.notify_all();
        return b;
    }
};

class BatchingSink final : public RowSink {
public:
    explicit BatchingSink(Channel& channel) : m_channel(channel), m_batch(std::make_unique<Batch>()) {}

    void row(const SourceRow& r) override {
        PackedRow p;
        p.row.line = r.line;
        p.row.month = r.month;
        p.row.coords = r.coords;
        p.row.x = r.x;
        p.row.y = r.y;
        p.row.occurred = r.occurred;
        const std::string_view text[n_fields] = {r.force,         r.falls_within, r.street,  r.lsoa_code, r.lsoa_name,
                                                 r.category,      r.category_slug, r.outcome, r.crime_id,  r.context,
                                                 r.nsir,          r.reference,     r.record != nullptr ? r.record->raw() : r.raw};
        for (std::size_t f = 0; f < n_fields; ++f) {
            p.offset[f] = static_cast<std::uint32_t>(m_batch->arena.size());
            p.size[f] = static_cast<std::uint32_t>(text[f].size());
            m_batch->arena.append(text[f]);
        }
        m_batch->rows.push_back(p);
        if (m_batch->rows.size() + m_batch->rejects.size() >= batch_rows) {
            flush();
        }
    }

    // Rejects count towards the batch too: a file of nothing but bad rows is held a batch at a time.
    void reject(store::RejectRow reject) override {
        m_batch->rejects.push_back(std::move(reject));
        if (m_batch->rows.size() + m_batch->rejects.size() >= batch_rows) {
            flush();
        }
    }

    void progress(std::uint64_t bytes) override { m_batch->bytes = bytes; }

    void flush() {
        const auto bytes = m_batch->bytes;
        if (!m_channel.push(std::move(m_batch))) {
            throw Abandoned{};
        }
        m_batch = std::make_unique<Batch>();
        m_batch->bytes = bytes;
    }

    std::unique_ptr<Batch>& batch() { return m_batch; }

private:
    Channel& m_channel;
    std::unique_ptr<Batch> m_batch;
};

} // namespace

void read_in_background(const std::function<void(RowSink&)>& read, RowSink& sink) {
    Channel channel;
    std::thread producer([&channel, &read] {
        BatchingSink batching{channel};
        try {
            try {
                read(batching);
            } catch (const Abandoned&) {
                return;
            } catch (...) {
                batching.batch()->error = std::current_exception();
            }
            batching.batch()->last = true;
            batching.flush();
        } catch (const Abandoned&) {
        }
    });
    // Whatever happens here, the producer must be stopped and joined.
    struct Joiner {
        Channel& channel;
        std::thread& thread;
        ~Joiner() {
            {
                std::lock_guard lock{channel.mutex};
                channel.stop = true;
            }
            channel.cv.notify_all();
            thread.join();
        }
    } joiner{channel, producer};

    SourceRow row;
    while (true) {
        const auto batch = channel.pop();
        for (auto& rej : batch->rejects) {
            sink.reject(std::move(rej));
        }
        const char* arena = batch->arena.data();
        for (const auto& p : batch->rows) {
            row = p.row;
            auto view = [&](Field f) { return std::string_view{arena + p.offset[f], p.size[f]}; };
            row.force = view(f_force);
            row.falls_within = view(f_falls_within);
            row.street = view(f_street);
            row.lsoa_code = view(f_lsoa_code);
            row.lsoa_name = view(f_lsoa_name);
            row.category = view(f_category);
            row.category_slug = view(f_category_slug);
            row.outcome = view(f_outcome);
            row.crime_id = view(f_crime_id);
            row.context = view(f_context);
            row.nsir = view(f_nsir);
            row.reference = view(f_reference);
            row.raw = view(f_raw);
            row.record = nullptr;
            sink.row(row);
        }
        sink.progress(batch->bytes);
        if (batch->error) {
            std::rethrow_exception(batch->error);
        }
        if (batch->last) {
            return;
        }
    }
}

} // namespace hotref::ingest
