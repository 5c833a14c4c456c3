// Hotspot names a patrol can read (issue 16): the busiest real street and its district,
// never an empty label, a police.uk place type or an LSOA code, police.uk's casing mended.

#include "hotspot/naming.hpp"
#include "hotspot/pipeline.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "store/store.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <regex>
#include <string>

namespace t = hotref::test;
using hotref::hotspot::NameVotes;
using hotref::hotspot::tidy_street;

TEST_CASE("naming: police.uk labels tidied") {
    CHECK(tidy_street("On or near Albert Street") == "Albert Street");
    CHECK(tidy_street("On or near ") == "");
    CHECK(tidy_street("On or near") == "");
    CHECK(tidy_street("  ") == "");
    CHECK(tidy_street("On or near St Mary'S Street") == "St Mary's Street");
    CHECK(tidy_street("On or near Clerkson'S Alley") == "Clerkson's Alley");
    CHECK(tidy_street("On or near St Peter\xE2\x80\x99S Churchyard") == "St Peter\xE2\x80\x99s Churchyard");
    CHECK(tidy_street("On or near Mary'S") == "Mary's");
    CHECK(tidy_street("On or near O'Brien Road") == "O'Brien Road");      // a name, not a possessive
    CHECK(tidy_street("On or near D'Arcy Close") == "D'Arcy Close");
    CHECK(tidy_street("Rock 'N' Roll Way") == "Rock 'N' Roll Way");     // no letter before the apostrophe
    CHECK(hotref::hotspot::is_generic_place("On or near Supermarket"));
    CHECK(hotref::hotspot::is_generic_place("On or near Parking Area"));
    CHECK_FALSE(hotref::hotspot::is_generic_place("On or near Prime Parkway"));
    CHECK(hotref::hotspot::district_of("Amber Valley 008D") == "Amber Valley");
    CHECK(hotref::hotspot::district_of("West Lindsey 004F") == "West Lindsey");
    CHECK(hotref::hotspot::district_of("Blackpool") == "Blackpool");
    CHECK(hotref::hotspot::district_of("Milton Keynes") == "Milton Keynes");
    CHECK(hotref::hotspot::readable_name("On or near Albert Street", "Derby 015B") == "Albert Street, Derby");
    CHECK(hotref::hotspot::readable_name("", "Erewash 010C") == "Erewash");
}

TEST_CASE("naming: the busiest real street wins over empty labels and place types") {
    NameVotes v;
    v.add("On or near ", "Blackpool 012A", 2483);        // empty street, the busiest label
    v.add("On or near Supermarket", "Blackpool 012A", 900);
    v.add("On or near Talbot Road", "Blackpool 012B", 120);
    v.add("On or near Topping Street", "Blackpool 012B", 80);
    CHECK(v.name() == "Talbot Road, Blackpool");
    CHECK(v.second_street() == "Topping Street");
    NameVotes only_generic;
    only_generic.add("On or near Parking Area", "West Lindsey 004F", 40);
    only_generic.add("On or near ", "West Lindsey 004F", 10);
    CHECK(only_generic.name() == "West Lindsey");
    CHECK(only_generic.second_street().empty());
    CHECK(NameVotes{}.name().empty());
}

namespace {

// A police.uk street-level CSV line for Lancashire.
std::string row(double lon, double lat, const std::string& street, const std::string& lsoa) {
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  ",2025-03,Lancashire Constabulary,Lancashire Constabulary,%.6f,%.6f,%s,E01012%s,%s,"
                  "Anti-social behaviour,,\n",
                  lon, lat, street.c_str(), lsoa.substr(lsoa.size() - 3).c_str(), lsoa.c_str());
    return buf;
}

} // namespace

TEST_CASE("naming: hotspots of a Blackpool-like month are named after real streets, else the district") {
    t::TempDir tmp;
    std::string csv = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                      "Crime type,Last outcome category,Context\n";
    auto cluster = [&](double lon, double lat, const std::string& street, const std::string& lsoa, int n) {
        for (int i = 0; i < n; ++i) {
            csv += row(lon + 0.00005 * (i % 3), lat + 0.00005 * (i % 2), street, lsoa);
        }
    };
    // 1: empty streets dominate, a real street beside them.
    cluster(-3.0530, 53.8190, "On or near ", "Blackpool 012A", 60);
    cluster(-3.0527, 53.8192, "On or near Talbot Road", "Blackpool 012A", 20);
    // 2: a supermarket and a street with police.uk's casing slip.
    cluster(-3.0400, 53.8000, "On or near Supermarket", "Blackpool 020C", 50);
    cluster(-3.0398, 53.8001, "On or near St Mary'S Street", "Blackpool 020C", 20);
    // 3: nothing but a place type.
    cluster(-3.0200, 53.7800, "On or near Parking Area", "Blackpool 030D", 40);
    // 4 and 5: two High Streets, told apart by their next street.
    cluster(-3.0600, 53.8400, "On or near High Street", "Blackpool 001A", 45);
    cluster(-3.0598, 53.8401, "On or near Dickson Road", "Blackpool 001A", 16);
    cluster(-3.0100, 53.7600, "On or near High Street", "Blackpool 040B", 44);
    cluster(-3.0098, 53.7601, "On or near Lytham Road", "Blackpool 040B", 16);
    const std::string path = tmp.file("2025-03-lancashire-street.csv");
    t::write_file(path, csv);
    hotref::store::Store store{tmp.store(), true};
    hotref::ingest::Ingester ingester{store, {}};
    for (const auto& f : hotref::ingest::plan_inputs({path}, false).files) {
        REQUIRE(ingester.ingest(f).status == "stored");
    }
    hotref::hotspot::HotspotOptions opt;
    opt.method = "dbscan";
    opt.eps = 60;
    opt.min_pts = 10;
    const auto run = hotref::hotspot::run_hotspots(store, opt);
    std::vector<std::string> names;
    for (const auto& h : run.hotspots) {
        names.push_back(h.name);
    }
    REQUIRE(names.size() == 5);
    auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
    CHECK(has("Talbot Road, Blackpool"));
    CHECK(has("St Mary's Street, Blackpool"));
    CHECK(has("Blackpool"));
    CHECK(has("High Street at Dickson Road, Blackpool"));
    CHECK(has("High Street at Lytham Road, Blackpool"));
}

TEST_CASE("naming: no hotspot of the real Derbyshire year is named after a label, a place type or an LSOA code") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    const std::regex lsoa_code{R"( [0-9]{3}[A-Z]\b)"};
    for (const std::string method : {"patrol", "gistar", "dbscan"}) {
        auto opt = t::force_area_gistar(250);
        opt.method = method;
        if (method != "gistar") {
            opt.cell_size = 0;
        }
        const auto run = hotref::hotspot::run_hotspots(store, opt);
        REQUIRE_FALSE(run.hotspots.empty());
        for (const auto& h : run.hotspots) {
            INFO(method, " ", h.code, " ", h.name);
            CHECK_FALSE(h.name.empty());
            CHECK(h.name.find("On or near") == std::string::npos);
            CHECK(h.name.find("'S ") == std::string::npos);
            CHECK_FALSE(std::regex_search(h.name, lsoa_code));
            CHECK_FALSE(hotref::hotspot::is_generic_place(h.name.substr(0, h.name.find(", "))));
        }
    }
}
