#include "publish/project.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "publish/styles.hpp"

#include <cstdio>
#include <fstream>

namespace hotref::publish {

namespace {

// British National Grid as QGIS writes it (QGIS reads the WKT; authid alone is not enough).
std::string bng_srs_xml() {
    return "<spatialrefsys><wkt>" + xml_escape(geo::crs_wkt(27700)) + "</wkt><proj4>" + xml_escape(geo::crs_proj4(27700)) +
           "</proj4><srid>27700</srid><authid>EPSG:27700</authid><description>OSGB36 / British National Grid"
           "</description><projectionacronym>tmerc</projectionacronym><ellipsoidacronym>EPSG:7001"
           "</ellipsoidacronym><geographicflag>false</geographicflag></spatialrefsys>";
}

} // namespace

void write_qgis_project(const std::string& path, const std::string& title, const std::string& gpkg_name,
                        const std::vector<ProjectLayer>& layers, const std::array<double, 4>& extent) {
    const std::string bng_srs = bng_srs_xml();
    char ext[256];
    std::snprintf(ext, sizeof ext, "<xmin>%.3f</xmin><ymin>%.3f</ymin><xmax>%.3f</xmax><ymax>%.3f</ymax>", extent[0],
                  extent[1], extent[2], extent[3]);
    std::string tree;
    std::string maplayers;
    std::string order;
    for (const auto& l : layers) {
        const std::string id = "hotref_" + l.table;
        const std::string source = "./" + gpkg_name + "|layername=" + l.table;
        tree += "<layer-tree-layer expanded=\"1\" checked=\"Qt::Checked\" id=\"" + id + "\" name=\"" + xml_escape(l.title) +
                "\" source=\"" + xml_escape(source) + "\" providerKey=\"ogr\"><customproperties/></layer-tree-layer>";
        order += "<item>" + id + "</item>";
        const bool labels = l.qml.find("labelsEnabled=\"1\"") != std::string::npos;
        maplayers += "<maplayer type=\"vector\" geometry=\"" + l.geometry + "\" labelsEnabled=\"" +
                     (labels ? "1" : "0") + "\" hasScaleBasedVisibilityFlag=\"0\" autoRefreshEnabled=\"0\">" +
                     "<extent>" + ext + "</extent><id>" + id + "</id><datasource>" + xml_escape(source) +
                     "</datasource><layername>" + xml_escape(l.title) + "</layername><srs>" + bng_srs +
                     "</srs><provider encoding=\"UTF-8\">ogr</provider>" + qml_body(l.qml) + "</maplayer>";
    }
    std::ofstream out{path, std::ios::binary};
    out << "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        << "<qgis projectname=\"" << xml_escape(title) << "\" version=\"3.22.16-Białowieża\">"
        << "<homePath path=\"\"/><title>" << xml_escape(title) << "</title>"
        << "<projectCrs>" << bng_srs << "</projectCrs>"
        << "<layer-tree-group><customproperties/>" << tree << "<custom-order enabled=\"0\">" << order
        << "</custom-order></layer-tree-group>"
        << "<mapcanvas annotationsVisible=\"1\" name=\"theMapCanvas\"><units>meters</units><extent>" << ext
        << "</extent><rotation>0</rotation><destinationsrs>" << bng_srs << "</destinationsrs></mapcanvas>"
        << "<projectlayers>" << maplayers << "</projectlayers>"
        << "<layerorder>" << order << "</layerorder>"
        << "<properties><Paths><Absolute type=\"bool\">false</Absolute></Paths><SpatialRefSys><ProjectionsEnabled "
           "type=\"int\">1</ProjectionsEnabled></SpatialRefSys></properties>"
        << "</qgis>\n";
    if (!out) {
        throw Error(path + ": cannot write the QGIS project");
    }
}

} // namespace hotref::publish
