#include "core/error.hpp"
#include "ingest/background.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using hotref::ingest::RowSink;
using hotref::ingest::SourceRow;

namespace {

class Collect final : public RowSink {
public:
    std::vector<std::string> streets;
    std::vector<std::int64_t> lines;
    std::size_t rejects = 0;
    std::size_t throw_after = 0; // 0: never
    void row(const SourceRow& r) override {
        streets.emplace_back(r.street);
        lines.push_back(r.line);
        if (throw_after != 0 && streets.size() == throw_after) {
            throw hotref::StoreError("disk full");
        }
    }
    void reject(hotref::store::RejectRow) override { ++rejects; }
};

void produce(RowSink& sink, int rows, bool fail_at_end) {
    std::string street;
    for (int i = 1; i <= rows; ++i) {
        street = "On or near Street " + std::to_string(i);
        SourceRow r;
        r.line = i;
        r.street = street;
        r.raw = street;
        sink.row(r);
        if (i % 1000 == 0) {
            sink.reject(hotref::store::RejectRow{i, "", "bad_number", "x", ""});
        }
    }
    if (fail_at_end) {
        throw hotref::InputError("line 9999: broken");
    }
}

} // namespace

TEST_CASE("background: every row and reject arrives, in order, with its own text") {
    Collect sink;
    hotref::ingest::read_in_background([](RowSink& s) { produce(s, 20000, false); }, sink);
    REQUIRE(sink.streets.size() == 20000);
    CHECK(sink.streets[0] == "On or near Street 1");
    CHECK(sink.streets[19999] == "On or near Street 20000");
    for (std::size_t i = 0; i < sink.lines.size(); ++i) {
        REQUIRE(sink.lines[i] == static_cast<std::int64_t>(i + 1));
    }
    CHECK(sink.rejects == 20);
}

TEST_CASE("background: the reader's error arrives after the rows read before it") {
    Collect sink;
    CHECK_THROWS_WITH_AS(
        hotref::ingest::read_in_background([](RowSink& s) { produce(s, 5000, true); }, sink),
        "line 9999: broken", hotref::InputError);
    CHECK(sink.streets.size() == 5000);
}

TEST_CASE("background: an error on the caller's side stops the reader and comes out") {
    Collect sink;
    sink.throw_after = 100;
    CHECK_THROWS_WITH_AS(
        hotref::ingest::read_in_background([](RowSink& s) { produce(s, 1000000, false); }, sink), "disk full",
        hotref::StoreError);
    CHECK(sink.streets.size() == 100);
}
