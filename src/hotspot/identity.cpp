#include "hotspot/identity.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace hotref::hotspot {

std::string hotspot_code(int number) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "H-%04d", number);
    return buf;
}

int hotspot_number(const std::string& code) {
    if (code.size() < 3 || code.compare(0, 2, "H-") != 0) {
        return 0;
    }
    return std::atoi(code.c_str() + 2);
}

IdentityResult assign_identity(const std::vector<double>& new_areas, const std::vector<double>& old_areas,
                               const std::vector<std::string>& old_codes, const std::vector<Overlap>& overlaps,
                               int next_number, double min_overlap) {
    struct Match {
        Overlap o;
        double ratio;
    };
    std::vector<Match> matches;
    for (const auto& o : overlaps) {
        const double smaller = std::min(new_areas[o.new_index], old_areas[o.old_index]);
        const double ratio = smaller > 0 ? o.shared_area / smaller : 0;
        if (ratio >= min_overlap) {
            matches.push_back(Match{o, ratio});
        }
    }
    // Largest shared area first; ties broken by indices so the result is deterministic.
    std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
        if (a.o.shared_area != b.o.shared_area) {
            return a.o.shared_area > b.o.shared_area;
        }
        return a.o.new_index != b.o.new_index ? a.o.new_index < b.o.new_index : a.o.old_index < b.o.old_index;
    });
    IdentityResult out;
    out.codes.assign(new_areas.size(), std::string{});
    std::vector<int> taken_by(old_areas.size(), -1);
    std::vector<double> taken_ratio(new_areas.size(), 0);
    for (const auto& m : matches) {
        if (out.codes[m.o.new_index].empty() && taken_by[m.o.old_index] < 0) {
            out.codes[m.o.new_index] = old_codes[m.o.old_index];
            taken_by[m.o.old_index] = static_cast<int>(m.o.new_index);
            taken_ratio[m.o.new_index] = m.ratio;
        }
    }
    // New codes, in the order of the new hotspots (their rank).
    for (auto& code : out.codes) {
        if (code.empty()) {
            code = hotspot_code(next_number++);
        }
    }
    std::vector<char> new_explained(new_areas.size(), 0);
    std::vector<char> old_explained(old_areas.size(), 0);
    for (std::size_t i = 0; i < new_areas.size(); ++i) {
        for (std::size_t j = 0; j < old_areas.size(); ++j) {
            if (taken_by[j] == static_cast<int>(i)) {
                out.lineage.push_back(LineageEvent{out.codes[i], "continues", old_codes[j], taken_ratio[i]});
                new_explained[i] = old_explained[j] = 1;
            }
        }
    }
    std::vector<char> continues(new_areas.size(), 0);
    for (std::size_t j = 0; j < old_areas.size(); ++j) {
        if (taken_by[j] >= 0) {
            continues[static_cast<std::size_t>(taken_by[j])] = 1;
        }
    }
    for (const auto& m : matches) {
        const auto i = m.o.new_index;
        const auto j = m.o.old_index;
        if (taken_by[j] == static_cast<int>(i)) {
            continue;
        }
        if (taken_by[j] >= 0 && continues[i] == 0) {
            // The old hotspot's code went to another part; this one, with a new code, split off.
            out.lineage.push_back(LineageEvent{out.codes[i], "split", old_codes[j], m.ratio});
            new_explained[i] = 1;
        } else if (taken_by[j] < 0 && continues[i] != 0) {
            // The old hotspot's code went nowhere: it merged into this one, which kept another code.
            out.lineage.push_back(LineageEvent{old_codes[j], "merged", out.codes[i], m.ratio});
            old_explained[j] = 1;
            new_explained[i] = 1;
        }
        // Both continue elsewhere: neighbours whose outlines overlap; nothing happened to either.
    }
    for (std::size_t i = 0; i < new_areas.size(); ++i) {
        if (new_explained[i] == 0) {
            out.lineage.push_back(LineageEvent{out.codes[i], "new", "", 0});
        }
    }
    for (std::size_t j = 0; j < old_areas.size(); ++j) {
        if (old_explained[j] == 0 && taken_by[j] < 0) {
            out.lineage.push_back(LineageEvent{old_codes[j], "retired", "", 0});
        }
    }
    return out;
}

} // namespace hotref::hotspot
