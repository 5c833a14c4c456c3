#include "geo/force_area.hpp"

#include "core/csv.hpp"
#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "geo/geos.hpp"
#include "geo/proj.hpp"
#include "geo/vector.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using Points = std::vector<std::array<double, 3>>;

std::string force_areas() {
    return hotref::test::geodata("england_force_areas.gpkg");
}

// The rows of the twelve bundled Derbyshire files (all of them, or the ASB rows),
// projected to BNG, weight 1 each; read here with the CSV reader and PROJ, apart
// from the ingest code.
Points read_derbyshire(bool asb_only) {
    Points out;
    const auto t = hotref::geo::wgs84_to_bng();
    const std::string dir = hotref::test::geodata("police-uk/derbyshire-2025");
    for (const auto& name : hotref::geo::list_files_recursive(dir)) {
        hotref::geo::VsiFile file{hotref::geo::vsi_path(dir + "/" + name)};
        hotref::CsvReader csv{file};
        REQUIRE(csv.next());
        std::map<std::string, std::size_t> column;
        for (std::size_t i = 0; i < csv.size(); ++i) {
            column[std::string{csv[i]}] = i;
        }
        while (csv.next()) {
            if (asb_only && csv[column.at("Crime type")] != "Anti-social behaviour") {
                continue;
            }
            const double lon = std::stod(std::string{csv[column.at("Longitude")]});
            const double lat = std::stod(std::string{csv[column.at("Latitude")]});
            const auto p = t.forward({lon, lat});
            out.push_back({p.x, p.y, 1.0});
        }
    }
    return out;
}

const Points& derbyshire_asb() {
    static const Points points = read_derbyshire(true);
    return points;
}

// All 102,621 rows: among them the strays in Kent, Anglesey and Northumberland.
const Points& derbyshire_all() {
    static const Points points = read_derbyshire(false);
    return points;
}

const std::vector<std::string> nine{"Amber Valley",     "Bolsover", "Chesterfield", "Derby",
                                    "Derbyshire Dales", "Erewash",  "High Peak",    "North East Derbyshire",
                                    "South Derbyshire"};

// The bundled (ungeneralised) Derbyshire force area, made by tools/make_geodata.sh.
double derbyshire_force_area_m2() {
    return hotref::geo::StudyArea::from_file(hotref::test::geodata("derbyshire_force_area.gpkg"), "force_area")
        .area_m2();
}

// Indices of the points the bundled Derbyshire force area does not cover.
std::set<std::size_t> outside_bundled_derbyshire(const Points& points) {
    const auto area =
        hotref::geo::StudyArea::from_file(hotref::test::geodata("derbyshire_force_area.gpkg"), "force_area");
    std::set<std::size_t> out;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (!area.contains(points[i][0], points[i][1])) {
            out.insert(i);
        }
    }
    return out;
}

// `n` points scattered within about 2 km of (lon, lat), deterministically.
void add_cluster(Points& points, double lon, double lat, int n) {
    const auto t = hotref::geo::wgs84_to_bng();
    const auto c = t.forward({lon, lat});
    for (int i = 0; i < n; ++i) {
        const double a = 2.399963 * i; // golden angle: an even spread
        const double r = 2000.0 * std::sqrt((i + 0.5) / n);
        points.push_back({c.x + r * std::cos(a), c.y + r * std::sin(a), 1.0});
    }
}

double distance_km(const std::array<double, 3>& p, hotref::geo::XY q) {
    return std::hypot(p[0] - q.x, p[1] - q.y) / 1000.0;
}

class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
        }
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name, m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

} // namespace

TEST_CASE("force area: the bundled districts and force areas of England") {
    const auto layers = hotref::geo::inspect_vector(force_areas());
    std::map<std::string, hotref::geo::LayerInfo> by_name;
    for (const auto& l : layers) {
        by_name.emplace(l.name, l);
    }
    REQUIRE(by_name.count("districts") == 1);
    REQUIRE(by_name.count("force_areas") == 1);
    CHECK(by_name["districts"].features == 326);
    CHECK(by_name["districts"].epsg == 27700);
    CHECK(by_name["force_areas"].features == 39);
    CHECK(by_name["force_areas"].epsg == 27700);

    // The 39 English territorial forces as data.police.uk names them in "Falls within".
    const std::set<std::string> police_uk{"Avon and Somerset Constabulary",
                                          "Bedfordshire Police",
                                          "Cambridgeshire Constabulary",
                                          "Cheshire Constabulary",
                                          "City of London Police",
                                          "Cleveland Police",
                                          "Cumbria Constabulary",
                                          "Derbyshire Constabulary",
                                          "Devon & Cornwall Police",
                                          "Dorset Police",
                                          "Durham Constabulary",
                                          "Essex Police",
                                          "Gloucestershire Constabulary",
                                          "Greater Manchester Police",
                                          "Hampshire Constabulary",
                                          "Hertfordshire Constabulary",
                                          "Humberside Police",
                                          "Kent Police",
                                          "Lancashire Constabulary",
                                          "Leicestershire Police",
                                          "Lincolnshire Police",
                                          "Merseyside Police",
                                          "Metropolitan Police Service",
                                          "Norfolk Constabulary",
                                          "North Yorkshire Police",
                                          "Northamptonshire Police",
                                          "Northumbria Police",
                                          "Nottinghamshire Police",
                                          "South Yorkshire Police",
                                          "Staffordshire Police",
                                          "Suffolk Constabulary",
                                          "Surrey Police",
                                          "Sussex Police",
                                          "Thames Valley Police",
                                          "Warwickshire Police",
                                          "West Mercia Police",
                                          "West Midlands Police",
                                          "West Yorkshire Police",
                                          "Wiltshire Police"};
    REQUIRE(police_uk.size() == 39);

    const hotref::geo::Context ctx;
    const auto districts =
        hotref::geo::read_polygon_features(force_areas(), "districts", "EPSG:27700", {"name", "force"});
    REQUIRE(districts.size() == 326);
    std::set<std::string> names;
    std::map<std::string, int> per_force;
    std::map<std::string, std::string> force_of;
    double districts_m2 = 0;
    for (const auto& d : districts) {
        CAPTURE(d.values[0]);
        CHECK(police_uk.count(d.values[1]) == 1);
        names.insert(d.values[0]);
        per_force[d.values[1]] += 1;
        force_of[d.values[0]] = d.values[1];
        districts_m2 += ctx.from_wkb(d.wkb).area();
    }
    CHECK(names.size() == 326);
    CHECK(per_force.size() == 39);
    CHECK(per_force["Metropolitan Police Service"] == 32);
    CHECK(per_force["City of London Police"] == 1);
    CHECK(per_force["Derbyshire Constabulary"] == 9);
    CHECK(force_of["City of London"] == "City of London Police");
    CHECK(force_of["Westminster"] == "Metropolitan Police Service");
    CHECK(force_of["Isle of Wight"] == "Hampshire Constabulary");
    CHECK(force_of["Isles of Scilly"] == "Devon & Cornwall Police");
    CHECK(force_of["Rutland"] == "Leicestershire Police");
    CHECK(force_of["Milton Keynes"] == "Thames Valley Police");
    CHECK(force_of["Peterborough"] == "Cambridgeshire Constabulary");
    CHECK(force_of["North Lincolnshire"] == "Humberside Police");
    CHECK(force_of["Darlington"] == "Durham Constabulary");
    for (const auto& d : nine) {
        CHECK(force_of[d] == "Derbyshire Constabulary");
    }

    // The force areas tile the same ground as the districts: the same total area.
    const auto forces =
        hotref::geo::read_polygon_features(force_areas(), "force_areas", "EPSG:27700", {"force", "districts"});
    double forces_m2 = 0;
    std::optional<hotref::geo::Geometry> derbyshire;
    for (const auto& f : forces) {
        auto g = ctx.from_wkb(f.wkb);
        forces_m2 += g.area();
        if (f.values[0] == "Derbyshire Constabulary") {
            CHECK(f.values[1] == "Amber Valley, Bolsover, Chesterfield, Derby, Derbyshire Dales, Erewash, High Peak, "
                                 "North East Derbyshire, South Derbyshire");
            derbyshire.emplace(std::move(g));
        }
    }
    CHECK(forces_m2 == doctest::Approx(districts_m2).epsilon(1e-5));
    // England is about 130,300 km2 of land; these boundaries reach the low-water line.
    CHECK(districts_m2 / 1e6 == doctest::Approx(132935).epsilon(0.001));

    // Derbyshire still matches the bundled, ungeneralised force area.
    REQUIRE(derbyshire);
    const auto bundled =
        hotref::geo::StudyArea::from_file(hotref::test::geodata("derbyshire_force_area.gpkg"), "force_area");
    const auto bundled_geom = ctx.from_wkb(bundled.wkb());
    const double common = ctx.intersection_area(*derbyshire, bundled_geom);
    const double symmetric_difference = derbyshire->area() + bundled_geom.area() - 2 * common;
    CHECK(derbyshire->area() == doctest::Approx(bundled.area_m2()).epsilon(0.005));
    CHECK(symmetric_difference < 0.005 * bundled.area_m2());
}

TEST_CASE("force area: Derbyshire's feed gives the Derbyshire force area, with the force name and without") {
    const double bundled_m2 = derbyshire_force_area_m2();
    const hotref::geo::Context ctx;
    const hotref::geo::PreparedGeometry bundled{
        ctx, ctx.from_wkb(
                 hotref::geo::StudyArea::from_file(hotref::test::geodata("derbyshire_force_area.gpkg"), "force_area")
                     .wkb())};
    // The ASB rows (what `hotspots` maps), and all rows; the numbers are those of geodata/README.md.
    struct Feed {
        const Points* points;
        std::size_t rows;
        std::size_t outside_rows; // outside the bundled force area (-1: not published)
    };
    for (const Feed& feed : {Feed{&derbyshire_asb(), 15987, std::size_t(-1)}, Feed{&derbyshire_all(), 102621, 1430}}) {
        const Points& points = *feed.points;
        CAPTURE(points.size());
        REQUIRE(points.size() == feed.rows);
        const auto independent = outside_bundled_derbyshire(points);
        if (feed.outside_rows != std::size_t(-1)) {
            CHECK(independent.size() == feed.outside_rows);
        }
        // The farthest of those from the bundled area, measured here.
        double farthest_km = 0;
        for (const std::size_t i : independent) {
            farthest_km = std::max(farthest_km, bundled.distance_to(ctx.point(points[i][0], points[i][1])) / 1000);
        }
        for (const std::vector<std::string>& forces :
             {std::vector<std::string>{"Derbyshire Constabulary"}, std::vector<std::string>{},
              std::vector<std::string>{"British Transport Police"}, std::vector<std::string>{"Kent Police"},
              std::vector<std::string>{"Derbyshire Constabulary", "Nottinghamshire Police"}}) {
            CAPTURE(forces.empty() ? std::string{"(none)"} : forces.front());
            const auto d = hotref::geo::derive_study_area(points, forces, force_areas());
            CAPTURE(d.how);
            CHECK_FALSE(d.hull);
            CHECK(d.districts == nine);
            CHECK(d.area.area_m2() == doctest::Approx(bundled_m2).epsilon(0.005));
            // The strays: nearly the same points as the ungeneralised area leaves out
            // (the two outlines differ by up to 50 m).
            CHECK(d.outside_points == d.outside.size());
            CHECK(d.outside_weight == doctest::Approx(static_cast<double>(d.outside.size())));
            std::vector<std::size_t> diff;
            std::set_symmetric_difference(d.outside.begin(), d.outside.end(), independent.begin(), independent.end(),
                                          std::back_inserter(diff));
            CHECK(diff.size() <= independent.size() / 100);
            CHECK(d.farthest_km == doctest::Approx(farthest_km).epsilon(0.01));
            for (const std::size_t i : d.outside) {
                CHECK_FALSE(d.area.contains(points[i][0], points[i][1]));
            }
        }
    }
    // The farthest of all rows: Thanet, Kent, 247 km away (geodata/README.md).
    CHECK(hotref::geo::derive_study_area(derbyshire_all(), {}, force_areas()).farthest_km ==
          doctest::Approx(247).epsilon(0.005));

    const Points& points = derbyshire_asb();
    const auto named = hotref::geo::derive_study_area(points, {"Derbyshire Constabulary"}, force_areas());
    CHECK(named.how == "Derbyshire Constabulary: 9 districts (bundled 2011 boundaries)");
    const auto unnamed = hotref::geo::derive_study_area(points, {}, force_areas());
    CHECK(hotref::test::contains(unnamed.how, "the 9 districts holding at least 1.0% of the incidents each"));
    CHECK(hotref::test::contains(unnamed.how, "all 9 of Derbyshire Constabulary"));
    CHECK(hotref::test::contains(unnamed.how, "no force name in the feed"));
    const auto wrong = hotref::geo::derive_study_area(points, {"Kent Police"}, force_areas());
    CHECK(hotref::test::contains(wrong.how, "the feed names Kent Police but only 0.0% of the incidents lie in it"));
    // Another spelling of the same name is the same force.
    const auto spelt = hotref::geo::derive_study_area(points, {"DERBYSHIRE  constabulary"}, force_areas());
    CHECK(spelt.how == named.how);
}

TEST_CASE("force area: stray points far away leave the area alone and are reported") {
    const Points& base = derbyshire_asb();
    Points points = base;
    add_cluster(points, 1.3862, 51.3813, 25);  // Margate, Kent
    add_cluster(points, -5.0510, 50.2632, 25); // Truro, Cornwall

    for (const std::vector<std::string>& forces :
         {std::vector<std::string>{"Derbyshire Constabulary"}, std::vector<std::string>{}}) {
        CAPTURE(forces.size());
        const auto before = hotref::geo::derive_study_area(base, forces, force_areas());
        const auto after = hotref::geo::derive_study_area(points, forces, force_areas());
        CAPTURE(after.how);
        CHECK(after.districts == nine);
        CHECK(after.area.area_m2() == doctest::Approx(before.area.area_m2()).epsilon(1e-9));
        // Exactly the strays found before, and the fifty added.
        std::vector<std::size_t> want = before.outside;
        for (std::size_t i = base.size(); i < points.size(); ++i) {
            want.push_back(i);
        }
        CHECK(after.outside == want);
        CHECK(after.outside_points == before.outside_points + 50);
        CHECK(after.outside_weight == doctest::Approx(before.outside_weight + 50));
        // Truro is about 367 km from the nearest point of Derbyshire (South Derbyshire).
        CHECK(after.farthest_km > 340);
        CHECK(after.farthest_km < 400);
    }
}

TEST_CASE("force area: a Welsh force, and points outside England, give a flagged hull") {
    const auto t = hotref::geo::wgs84_to_bng();
    SUBCASE("a Welsh force name") {
        const Points& points = derbyshire_all();
        const auto d = hotref::geo::derive_study_area(points, {"Dyfed-Powys Police"}, force_areas());
        CHECK(d.hull);
        CHECK(d.districts.empty());
        CHECK(hotref::test::contains(d.how, "hull of the points within "));
        CHECK(hotref::test::contains(d.how, "(Welsh force Dyfed-Powys Police: boundaries not bundled)"));
        // The far strays are left out, the county's towns are in.
        const auto derby = t.forward({-1.4746, 52.9225});
        const auto buxton = t.forward({-1.9110, 53.2587});
        const auto chesterfield = t.forward({-1.4216, 53.2350});
        CHECK(d.area.contains(derby.x, derby.y));
        CHECK(d.area.contains(buxton.x, buxton.y));
        CHECK(d.area.contains(chesterfield.x, chesterfield.y));
        std::size_t far = 0;
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (distance_km(points[i], derby) > 150) {
                ++far;
                CHECK(std::binary_search(d.outside.begin(), d.outside.end(), i));
            }
        }
        CHECK(far > 0);
        CHECK(d.outside_weight < 0.02 * static_cast<double>(points.size()));
        CHECK(d.area.area_m2() / 1e6 < 2 * derbyshire_force_area_m2() / 1e6);
    }
    SUBCASE("Cardiff with no force name, and three strays in Newcastle") {
        Points points;
        add_cluster(points, -3.1791, 51.4816, 300); // Cardiff
        add_cluster(points, -3.9436, 51.6214, 200); // Swansea
        add_cluster(points, -1.6178, 54.9783, 3);   // Newcastle upon Tyne
        const auto d = hotref::geo::derive_study_area(points, {}, force_areas());
        CHECK(d.hull);
        CHECK(hotref::test::contains(d.how, "points mostly outside England"));
        CHECK(d.outside == std::vector<std::size_t>{500, 501, 502});
        CHECK(d.farthest_km > 300);
        const auto cardiff = t.forward({-3.1791, 51.4816});
        CHECK(d.area.contains(cardiff.x, cardiff.y));
    }
    CHECK(hotref::geo::is_welsh_force("South Wales Police"));
    CHECK(hotref::geo::is_welsh_force("north wales police"));
    CHECK_FALSE(hotref::geo::is_welsh_force("West Mercia Police"));
}

TEST_CASE("force area: finding the bundled file, and files that are not it") {
    {
        const ScopedEnv env{"HOTREF_GEODATA", nullptr};
        const std::string path = hotref::geo::bundled_geodata();
        CHECK(hotref::geo::vsi_stat(path).exists);
        CHECK(hotref::test::contains(path, "geodata/england_force_areas.gpkg"));
    }
    {
        hotref::test::TempDir empty;
        const ScopedEnv env{"HOTREF_GEODATA", empty.path().c_str()};
        const std::string want =
            empty.path().string() + "/england_force_areas.gpkg: not found; HOTREF_GEODATA names a folder without it";
        CHECK_THROWS_WITH_AS(hotref::geo::bundled_geodata(), doctest::Contains(want.c_str()), hotref::InputError);
    }
    {
        const ScopedEnv env{"HOTREF_GEODATA", HOTREF_GEODATA};
        CHECK(hotref::geo::bundled_geodata() == std::string{HOTREF_GEODATA} + "/england_force_areas.gpkg");
    }
    const Points one{{440000, 340000, 1}};
    // The Derbyshire GeoPackage has a districts layer, but no force field.
    CHECK_THROWS_WITH_AS(hotref::geo::derive_study_area(one, {}, hotref::test::geodata("derbyshire_force_area.gpkg")),
                         doctest::Contains("layer 'districts' has no field 'force' (expected the force areas "
                                           "GeoPackage made by tools/make_force_areas.sh)"),
                         hotref::InputError);
    CHECK_THROWS_WITH_AS(hotref::geo::derive_study_area(one, {}, "/nonexistent/forces.gpkg"),
                         doctest::Contains("/nonexistent/forces.gpkg: no such file"), hotref::InputError);
    const Points none{{NAN, 1, 1}};
    CHECK_THROWS_AS(hotref::geo::derive_study_area(none, {}, force_areas()), hotref::InputError);
}
