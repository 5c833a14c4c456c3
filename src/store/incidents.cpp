#include "store/incidents.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

namespace hotref::store {

namespace {

// Calls fn(location_id, month, n, category_id, occurred_at) for every stored incident record the
// query selects, partition by partition (each partition is one rowid range of `incident`).
// occurred_at is read only when `with_time` (else it is empty).
template <typename Fn>
void for_each_incident(Store& store, const IncidentQuery& q, bool with_time, Fn&& fn) {
    auto& db = connection(store);
    std::vector<std::pair<std::int64_t, std::string>> partitions;
    {
        Statement st{db, "SELECT id, month FROM feed_partition WHERE month >= ? AND month <= ? AND "
                         "(?3 = '' OR source = ?3) AND "
                         "(?4 = '' OR force_id IN (SELECT id FROM force WHERE name = ?4)) ORDER BY month, id"};
        st.bind(1, q.from).bind(2, q.to).bind(3, q.source).bind(4, q.force);
        while (st.step()) {
            partitions.emplace_back(st.column_int(0), st.column_text(1));
        }
    }
    std::vector<char> wanted;
    for (const auto id : q.category_ids) {
        if (id >= static_cast<std::int64_t>(wanted.size())) {
            wanted.resize(static_cast<std::size_t>(id) + 1, 0);
        }
        wanted[static_cast<std::size_t>(id)] = 1;
    }
    const bool dated = !q.date_from.empty() || !q.date_to.empty();
    std::string sql = with_time ? "SELECT location_id, category_id, n, coalesce(occurred_at, '') "
                                  : "SELECT location_id, category_id, n ";
    sql += "FROM incident WHERE id >= (CAST(?1 AS BIGINT) << 32) AND id < ((CAST(?1 AS BIGINT) + 1) << 32)";
    if (dated) {
        sql += " AND substr(occurred_at, 1, 10) BETWEEN ?2 AND ?3";
    }
    Statement st{db, sql};
    for (const auto& [pid, month] : partitions) {
        st.bind(1, pid);
        if (dated) {
            st.bind(2, q.date_from.empty() ? std::string{"0000-00-00"} : q.date_from);
            st.bind(3, q.date_to.empty() ? std::string{"9999-99-99"} : q.date_to);
        }
        while (st.step()) {
            const auto cat = st.column_int(1);
            if (!q.category_ids.empty() &&
                (cat >= static_cast<std::int64_t>(wanted.size()) || wanted[static_cast<std::size_t>(cat)] == 0)) {
                continue;
            }
            fn(st.column_int(0), month, static_cast<double>(st.column_int(2)), cat,
               with_time ? st.column_text(3) : std::string{});
        }
        st.reset();
    }
}

} // namespace

std::vector<LocationCount> location_counts(Store& store, const IncidentQuery& q) {
    std::unordered_map<std::int64_t, double> per_location;
    for_each_incident(store, q, false, [&](std::int64_t location, const std::string&, double n, std::int64_t, const std::string&) {
        per_location[location] += n;
    });
    std::vector<LocationCount> out;
    out.reserve(per_location.size());
    Statement loc{connection(store), "SELECT id, easting, northing FROM location"};
    while (loc.step()) {
        const auto it = per_location.find(loc.column_int(0));
        if (it != per_location.end()) {
            out.push_back(LocationCount{it->first, loc.column_double(1), loc.column_double(2), it->second});
        }
    }
    return out;
}

std::vector<LocationMonthCount> location_month_counts(Store& store, const IncidentQuery& q) {
    std::map<std::pair<std::string, std::int64_t>, double> per_month_location;
    for_each_incident(store, q, false, [&](std::int64_t location, const std::string& month, double n, std::int64_t, const std::string&) {
        per_month_location[{month, location}] += n;
    });
    std::vector<LocationMonthCount> out;
    out.reserve(per_month_location.size());
    for (const auto& [key, n] : per_month_location) {
        out.push_back(LocationMonthCount{key.second, key.first, n});
    }
    return out;
}

std::vector<LocationCategoryCount> location_category_counts(Store& store, const IncidentQuery& q) {
    std::map<std::pair<std::int64_t, std::int64_t>, double> per;
    for_each_incident(store, q, false, [&](std::int64_t location, const std::string&, double n, std::int64_t category, const std::string&) {
        per[{location, category}] += n;
    });
    std::vector<LocationCategoryCount> out;
    out.reserve(per.size());
    for (const auto& [key, n] : per) {
        out.push_back(LocationCategoryCount{key.first, key.second, n});
    }
    return out;
}

std::vector<LocationMonthCategoryCount> location_month_category_counts(Store& store, const IncidentQuery& q) {
    std::map<std::tuple<std::int64_t, std::string, std::int64_t>, double> per;
    for_each_incident(store, q, false,
                      [&](std::int64_t location, const std::string& month, double n, std::int64_t category,
                          const std::string&) { per[{location, month, category}] += n; });
    std::vector<LocationMonthCategoryCount> out;
    out.reserve(per.size());
    for (const auto& [key, n] : per) {
        out.push_back(LocationMonthCategoryCount{std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
    }
    return out;
}

std::vector<LocationDetail> location_details(Store& store, const std::vector<std::int64_t>& ids) {
    Statement st{connection(store), "SELECT id, easting, northing, coalesce(street, ''), coalesce(lsoa_code, ''), "
                                    "coalesce(lsoa_name, ''), exact FROM location WHERE id = ?"};
    std::vector<LocationDetail> out;
    out.reserve(ids.size());
    for (const auto id : ids) {
        st.bind(1, id);
        if (st.step()) {
            out.push_back(LocationDetail{st.column_int(0), st.column_double(1), st.column_double(2), st.column_text(3),
                                         st.column_text(4), st.column_text(5), st.column_int(6) != 0});
        }
        st.reset();
    }
    return out;
}

TimedCounts location_weekday_hour_counts(Store& store, const IncidentQuery& q) {
    TimedCounts out;
    std::map<std::tuple<std::int64_t, int, int>, double> per;
    for_each_incident(store, q, true,
                      [&](std::int64_t location, const std::string&, double n, std::int64_t, const std::string& at) {
                          // "YYYY-MM-DDTHH:MM:SS" (a time) or "YYYY-MM-DD" (a date only) or "" (police.uk).
                          if (at.size() < 13) {
                              out.untimed += n;
                              return;
                          }
                          const auto dt = parse_datetime(at.substr(0, 13), "%Y-%m-%dT%H");
                          if (!dt) {
                              out.untimed += n;
                              return;
                          }
                          per[{location, dt->weekday(), dt->hour}] += n;
                      });
    out.counts.reserve(per.size());
    for (const auto& [key, n] : per) {
        out.counts.push_back(LocationTimeCount{std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
    }
    return out;
}

std::vector<std::string> stored_months(Store& store, const std::string& source, const std::string& force) {
    Statement st{connection(store), "SELECT DISTINCT month FROM feed_partition WHERE (?1 = '' OR source = ?1) AND "
                                    "(?2 = '' OR force_id IN (SELECT id FROM force WHERE name = ?2)) ORDER BY month"};
    st.bind(1, source).bind(2, force);
    std::vector<std::string> out;
    while (st.step()) {
        out.push_back(st.column_text(0));
    }
    return out;
}

std::vector<std::string> missing_months(Store& store, const std::string& source, const std::string& from,
                                        const std::string& to, const std::string& force) {
    const auto f = Month::parse(from.substr(0, 7));
    const auto t = Month::parse(to.substr(0, 7));
    if (!f || !t) {
        return {};
    }
    const auto stored = stored_months(store, source, force);
    std::vector<std::string> out;
    for (int i = f->index(); i <= t->index(); ++i) {
        const auto m = Month{i / 12, i % 12 + 1}.str();
        if (!std::binary_search(stored.begin(), stored.end(), m)) {
            out.push_back(m);
        }
    }
    return out;
}

std::string month_list(const std::vector<std::string>& months) {
    const std::size_t shown = months.size() > 12 ? 11 : months.size();
    std::string out;
    for (std::size_t i = 0; i < shown; ++i) {
        out += (i == 0 ? "" : i + 1 == months.size() ? " and " : ", ") + months[i];
    }
    if (shown < months.size()) {
        out += " and " + std::to_string(months.size() - shown) + " more";
    }
    return out;
}

std::vector<std::string> stored_sources(Store& store) {
    Statement st{connection(store), "SELECT DISTINCT source FROM feed_partition ORDER BY source"};
    std::vector<std::string> out;
    while (st.step()) {
        out.push_back(st.column_text(0));
    }
    return out;
}

std::vector<std::string> stored_forces(Store& store, const std::string& source, const std::string& from,
                                       const std::string& to) {
    Statement st{connection(store), "SELECT DISTINCT f.name FROM feed_partition p JOIN force f ON f.id = p.force_id "
                                    "WHERE (? = '' OR p.source = ?) AND p.month BETWEEN ? AND ? ORDER BY f.name"};
    st.bind(1, source).bind(2, source).bind(3, from).bind(4, to);
    std::vector<std::string> out;
    while (st.step()) {
        out.push_back(st.column_text(0));
    }
    return out;
}

std::string resolve_force(Store& store, const std::string& given, const std::string& source,
                          const std::string& command) {
    const auto forces = stored_forces(store, source, "0000-00", "9999-99");
    std::string listed;
    for (const auto& f : forces) {
        listed += (listed.empty() ? "'" : ", '") + f + "'";
    }
    const bool national = command == "hotspots";
    if (national && to_lower(given) == "all") {
        return {}; // one run over every force (a national or regional analysis)
    }
    if (given.empty()) {
        if (forces.size() > 1) {
            throw UsageError("the store holds " + std::to_string(forces.size()) + " forces (" + listed +
                             "); hotspots, maps and bulletins are made one force at a time: give --force NAME, "
                             "for example: hotref " + command + " --force '" + forces.front() + "'" +
                             (national ? std::string{" (or --force all: one run over all of them)"} : std::string{}));
        }
        return forces.empty() ? std::string{} : forces.front();
    }
    if (std::find(forces.begin(), forces.end(), given) != forces.end()) {
        return given;
    }
    const auto want = to_lower(given);
    std::vector<std::string> equal, containing;
    for (const auto& f : forces) {
        const auto low = to_lower(f);
        if (low == want) {
            equal.push_back(f);
        } else if (low.find(want) != std::string::npos) {
            containing.push_back(f);
        }
    }
    const auto& found = equal.empty() ? containing : equal;
    if (found.size() == 1) {
        return found.front();
    }
    throw UsageError("--force '" + given + "' " +
                     (found.empty() ? std::string{"names no force in the store"} : "names several forces") +
                     "; it holds " + (forces.empty() ? std::string{"no incidents"} : listed));
}

std::vector<LocationLabel> location_labels(Store& store, const std::vector<std::int64_t>& ids) {
    Statement st{connection(store), "SELECT coalesce(street, ''), coalesce(lsoa_name, '') FROM location WHERE id = ?"};
    std::vector<LocationLabel> out;
    out.reserve(ids.size());
    for (const auto id : ids) {
        st.bind(1, id);
        LocationLabel label;
        if (st.step()) {
            label.street = st.column_text(0);
            label.lsoa_name = st.column_text(1);
        }
        st.reset();
        out.push_back(std::move(label));
    }
    return out;
}

std::vector<CategoryInfo> categories(Store& store) {
    Statement st{connection(store), "SELECT id, name, slug FROM category ORDER BY id"};
    std::vector<CategoryInfo> out;
    while (st.step()) {
        out.push_back(CategoryInfo{st.column_int(0), st.column_text(1), st.column_text(2)});
    }
    return out;
}

} // namespace hotref::store

namespace hotref::store {

std::vector<std::int64_t> category_ids_named(Store& store, const std::string& names) {
    std::vector<std::int64_t> ids;
    for (const auto& c : categories(store)) {
        if (("," + names + ",").find("," + c.name + ",") != std::string::npos) {
            ids.push_back(c.id);
        }
    }
    return ids;
}

} // namespace hotref::store
