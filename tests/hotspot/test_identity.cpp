#include "geo/geos.hpp"
#include "hotspot/identity.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

using namespace hotref::hotspot;

namespace {

using Box = std::array<double, 4>;

struct Run {
    std::vector<Box> boxes;
    std::vector<std::string> codes;
};

// Runs identity for `next` against `prev` with overlaps from GEOS, as the pipeline does.
IdentityResult step(const Run& prev, const std::vector<Box>& next, int next_number) {
    hotref::geo::Context ctx;
    std::vector<double> new_areas;
    std::vector<double> old_areas;
    std::vector<Overlap> overlaps;
    for (const auto& b : next) {
        new_areas.push_back((b[2] - b[0]) * (b[3] - b[1]));
    }
    for (const auto& b : prev.boxes) {
        old_areas.push_back((b[2] - b[0]) * (b[3] - b[1]));
    }
    for (std::size_t i = 0; i < next.size(); ++i) {
        for (std::size_t j = 0; j < prev.boxes.size(); ++j) {
            const auto a = ctx.box(next[i][0], next[i][1], next[i][2], next[i][3]);
            const auto b = ctx.box(prev.boxes[j][0], prev.boxes[j][1], prev.boxes[j][2], prev.boxes[j][3]);
            const double shared = ctx.intersection_area(a, b);
            if (shared > 0) {
                overlaps.push_back(Overlap{i, j, shared});
            }
        }
    }
    return assign_identity(new_areas, old_areas, prev.codes, overlaps, next_number);
}

bool has(const IdentityResult& r, const std::string& code, const std::string& event, const std::string& other) {
    return std::any_of(r.lineage.begin(), r.lineage.end(), [&](const LineageEvent& e) {
        return e.code == code && e.event == event && e.other_code == other;
    });
}

} // namespace

TEST_CASE("identity: stay, move, split, merge and vanish across three runs") {
    // Run 1: A (west), B (centre), C (east), D (far north).
    const Run run1{{{0, 0, 100, 100}, {200, 0, 300, 100}, {400, 0, 500, 100}, {0, 1000, 100, 1100}},
                   {"H-0001", "H-0002", "H-0003", "H-0004"}};
    // Run 2: A stays; B moves 40 m east (60 % still shared); C splits into a large and a small part;
    // D vanishes; a new one appears in the south.
    const std::vector<Box> next2{{0, 0, 100, 100}, {240, 0, 340, 100}, {400, 0, 470, 100}, {470, 0, 500, 100},
                                 {0, -1000, 100, -900}};
    const auto r2 = step(run1, next2, 5);
    CHECK(r2.codes == std::vector<std::string>{"H-0001", "H-0002", "H-0003", "H-0005", "H-0006"});
    CHECK(has(r2, "H-0001", "continues", "H-0001"));
    CHECK(has(r2, "H-0002", "continues", "H-0002"));
    CHECK(has(r2, "H-0003", "continues", "H-0003"));
    CHECK(has(r2, "H-0005", "split", "H-0003"));
    CHECK(has(r2, "H-0006", "new", ""));
    CHECK(has(r2, "H-0004", "retired", ""));
    CHECK(r2.lineage.size() == 6);

    // Run 3: A and B grow into one (A's share is larger, so A's code survives); the split parts rejoin.
    const Run run2{next2, r2.codes};
    const std::vector<Box> next3{{0, 0, 360, 100}, {400, 0, 500, 100}, {0, -1000, 100, -900}};
    const auto r3 = step(run2, next3, 7);
    CHECK(r3.codes == std::vector<std::string>{"H-0001", "H-0003", "H-0006"});
    CHECK(has(r3, "H-0002", "merged", "H-0001"));
    CHECK(has(r3, "H-0005", "merged", "H-0003"));
    CHECK(has(r3, "H-0006", "continues", "H-0006"));
}

TEST_CASE("identity: a slight overlap below the threshold is not the same place") {
    const Run prev{{{0, 0, 100, 100}}, {"H-0007"}};
    const auto r = step(prev, {{90, 0, 190, 100}}, 8); // 10 % shared
    CHECK(r.codes == std::vector<std::string>{"H-0008"});
    CHECK(has(r, "H-0008", "new", ""));
    CHECK(has(r, "H-0007", "retired", ""));
}

TEST_CASE("identity: the first run numbers hotspots by rank") {
    const auto r = assign_identity({5, 3, 1}, {}, {}, {}, 1);
    CHECK(r.codes == std::vector<std::string>{"H-0001", "H-0002", "H-0003"});
    CHECK(hotspot_number("H-0042") == 42);
    CHECK(hotspot_number("X-1") == 0);
}

TEST_CASE("identity: neighbours whose outlines overlap keep their codes and record nothing else") {
    // Two hotspots overlapping each other by 40 %, the same in both runs.
    const Run prev{{{0, 0, 100, 100}, {60, 0, 160, 100}}, {"H-0001", "H-0002"}};
    const auto r = step(prev, {{0, 0, 100, 100}, {60, 0, 160, 100}}, 3);
    CHECK(r.codes == std::vector<std::string>{"H-0001", "H-0002"});
    CHECK(r.lineage.size() == 2);
    CHECK(has(r, "H-0001", "continues", "H-0001"));
    CHECK(has(r, "H-0002", "continues", "H-0002"));
}
