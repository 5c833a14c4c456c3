#include "cli/commands.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "store/store.hpp"

#include <cstdio>

namespace hotref::cli {

const char* BulletinCommand::details() const {
    return R"DOC(Writes a printable patrol briefing for a period from a hotspot run (the latest Gi* run
unless --run or --method): STEM.pdf (A4: page 1 the force-area map with the hotspots
numbered by rank, the table of the top --top hotspots and the patrol guidance; page 2
each top hotspot close up with its streets, when to patrol and the patrol windows) and
STEM.html (the same, self-contained with inline SVG, printable) in --out.

The run is the one covering the latest stored period (the patrol run, else Gi*, whose
period ends last) unless --run or --method; with several forces stored, --force picks the
force. The period is the run's last month unless --month, --week or --from/--to say
otherwise; a month not in the store is refused, naming it. The bulletin is valid from the
day after the period (a December 2025 bulletin from 2026-01-01) for as long as the period,
unless --valid-from/--valid-to. It is compared with the period before it and the same
period a year before. Where the
source has times (force exports) each hotspot gets a day-of-week x hour table and its
three busiest non-overlapping two-hour windows; police.uk data has months only, so it
gets the monthly trend. The dosage guidance (about 15 minutes per visit, random order,
about every two hours in the windows: Koper 1995) comes with its sources.

Disclosure control: the published profile (default, OFFICIAL) withholds counts from 1
to --min-count - 1, incident locations with fewer than --min-count incidents and
referral figures from fewer than 10 referrals; internal (OFFICIAL-SENSITIVE) withholds
nothing. docs/bulletins.md explains every part.

Examples:
  hotref bulletin --out out
  hotref bulletin --month 2025-11 --top 8 --out out --name bulletin-2025-11
  hotref bulletin --run 3 --from 2025-10 --to 2025-12 --valid-from 2026-01-05 --out out
  hotref bulletin --force nottinghamshire --out out --name bulletin-notts
  hotref bulletin --boundaries LAD_DEC_2023.gpkg --boundary-name-field LAD23NM --out out
  hotref bulletin --week 2025-03-03 --profile internal --out /secure/briefings   (force export))DOC";
}

void BulletinCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("run", po::value<std::int64_t>(&m_options.run_id)->default_value(0), "hotspot run (0: the current run of --method)")
        ("method,m", po::value<std::string>(&m_options.method)->default_value(""),
         "patrol, gistar, kde or dbscan (default: the current patrol run, else Gi*)")
        ("month", po::value<std::string>(&m_month), "the period is this month, YYYY-MM")
        ("week", po::value<std::string>(&m_week), "the period is the 7 days from this date, YYYY-MM-DD (force exports)")
        ("from", po::value<std::string>(&m_options.from), "the period's first month (YYYY-MM) or date (YYYY-MM-DD)")
        ("to", po::value<std::string>(&m_options.to), "the period's last month or date")
        ("top", po::value<int>(&m_options.top)->default_value(5), "hotspots in the table and close up (1 to 20)")
        ("out,o", po::value<std::string>(&m_options.out_dir)->default_value("out"), "output folder")
        ("name", po::value<std::string>(&m_options.stem)->default_value("bulletin"),
         "file name without extension: writes NAME.pdf and NAME.html")
        ("profile", po::value<std::string>(&m_profile)->default_value("published"), "published or internal")
        ("min-count", po::value<double>(&m_options.rules.min_count)->default_value(5),
         "published: the smallest count shown (at least 5)")
        ("valid-from", po::value<std::string>(&m_options.valid_from), "first day the bulletin is valid (default: the day after the period)")
        ("valid-to", po::value<std::string>(&m_options.valid_to),
         "last day it is valid (default: as long as the period)")
        ("force", po::value<std::string>(&m_options.force),
         "the current run of this force (needed when the store holds several forces)")
        ("boundaries", po::value<std::string>(&m_options.boundaries),
         "polygon file of the force's districts for the map, for example ONS Local Authority Districts (default: "
         "the run's --area file, else the bundled English force areas)")
        ("boundary-layer", po::value<std::string>(&m_options.boundary_layer),
         "its districts' layer (default: 'districts', else its only polygon layer)")
        ("boundary-name-field", po::value<std::string>(&m_options.boundary_name_field),
         "the field with the districts' names (default: 'name', else the one field named like a name: LAD23NM, "
         "district_name)");
}

void BulletinCommand::apply(const po::variables_map&) {
    m_options.profile = publish::profile_from_name(m_profile);
    const int given = (m_month.empty() ? 0 : 1) + (m_week.empty() ? 0 : 1) +
                      (m_options.from.empty() && m_options.to.empty() ? 0 : 1);
    if (given > 1) {
        throw UsageError("give one of --month, --week or --from/--to");
    }
    if (!m_month.empty()) {
        if (!Month::parse(m_month)) {
            throw UsageError("--month '" + m_month + "' is not a month (YYYY-MM)");
        }
        m_options.from = m_options.to = m_month;
    }
    if (!m_week.empty()) {
        const auto d = parse_datetime(m_week, "%Y-%m-%d");
        if (!d || m_week.size() != 10) {
            throw UsageError("--week '" + m_week + "' is not a date (YYYY-MM-DD)");
        }
        m_options.from = d->iso();
        m_options.to = date_from_days(d->days_since_epoch() + 6).iso();
    }
    if (m_options.top < 1 || m_options.top > 20) {
        throw UsageError("--top must be 1 to 20");
    }
    if (m_options.profile == publish::Profile::published && m_options.rules.min_count < 5) {
        throw UsageError("--min-count below 5 is not allowed for the published profile");
    }
}

int BulletinCommand::run() {
    store::Store store{m_store_path, store::OpenMode::read_only};
    const auto r = publish::write_bulletin(store, m_options);
    std::printf("bulletin for %s%s%s from run %lld: %d hotspot(s), %s profile (%s), %.2f s\n", r.period_from.c_str(),
                r.period_to == r.period_from ? "" : " to ", r.period_to == r.period_from ? "" : r.period_to.c_str(),
                static_cast<long long>(r.run_id), r.hotspots, publish::profile_name(m_options.profile),
                publish::classification(m_options.profile), r.seconds);
    for (const auto& f : {r.pdf, r.html}) {
        if (!f.empty()) {
            std::printf("  wrote %s\n", f.c_str());
        }
    }
    std::fflush(stdout);
    for (const auto& n : r.notes) {
        std::fprintf(stderr, "note: %s\n", n.c_str());
    }
    return 0;
}

} // namespace hotref::cli
