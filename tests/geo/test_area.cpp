#include "geo/area.hpp"
#include "geo/gdal.hpp"
#include "geo/proj.hpp"
#include "core/error.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

using hotref::geo::StudyArea;

TEST_CASE("area: England and Wales envelope") {
    const auto ew = StudyArea::england_and_wales();
    const auto t = hotref::geo::wgs84_to_bng();
    const auto derby = t.forward({-1.4746, 52.9225});
    const auto paris = t.forward({2.352222, 48.856613});
    CHECK(ew.contains(derby.x, derby.y));
    CHECK_FALSE(ew.contains(paris.x, paris.y));
}

TEST_CASE("area: the Derbyshire force area from geodata") {
    const auto area = StudyArea::from_file(hotref::test::geodata("derbyshire_force_area.gpkg"), "force_area");
    const auto t = hotref::geo::wgs84_to_bng();
    const auto derby = t.forward({-1.4746, 52.9225});
    const auto buxton = t.forward({-1.9110, 53.2587});
    const auto nottingham = t.forward({-1.1505, 52.9548});
    const auto sheffield = t.forward({-1.4701, 53.3811});
    CHECK(area.contains(derby.x, derby.y));
    CHECK(area.contains(buxton.x, buxton.y));
    CHECK_FALSE(area.contains(nottingham.x, nottingham.y));
    CHECK_FALSE(area.contains(sheffield.x, sheffield.y));
}

TEST_CASE("area: a file that is not a vector data set is a clear error") {
    CHECK_THROWS_AS(StudyArea::from_file(hotref::test::data("export/mapping.json")), hotref::InputError);
    CHECK_THROWS_WITH_AS(StudyArea::from_file("/nonexistent/area.gpkg"),
                         doctest::Contains("/nonexistent/area.gpkg: cannot open as a vector data set"),
                         hotref::InputError);
}

TEST_CASE("gdal: gzip files read through /vsigzip/ give the original bytes") {
    const std::string gz = hotref::test::geodata("police-uk/derbyshire-2025/2025-02-derbyshire-street.csv.gz");
    const std::string text = hotref::geo::read_whole_file(hotref::geo::vsi_path(gz));
    CHECK(text.size() == 1716694); // the size of the uncompressed data.police.uk file
    CHECK(text.rfind("Crime ID,Month,Reported by,", 0) == 0);
}
