#pragma once
// QGIS styles (QML) for the published layers, stored in the GeoPackage's
// layer_styles table so each layer opens already styled.

#include "geo/vector.hpp"

#include <string>
#include <utility>
#include <vector>

namespace hotref::publish {

/// Gi* cells by confidence bin in the standard hot/cold colours
/// (hot 99 % 214,47,39; 95 % 237,117,81; 90 % 250,185,132; not significant light
/// grey; cold 90 % 192,204,190; 95 % 132,158,186; 99 % 69,117,181).
std::string gistar_cells_qml();

/// KDE cells on a graduated yellow-to-red ramp of `field` with the given class breaks.
std::string graduated_cells_qml(const std::string& field, const std::vector<double>& breaks);

/// Areas coloured by a change in percent: blue for falls, red for rises, labelled with `label_field`.
std::string change_qml(const std::string& field, const std::string& label_field);

/// An outline of a given colour ("r,g,b") with an optional faint fill.
std::string outline_qml(const std::string& rgb, bool fill);

/// Hotspot outlines, labelled with their code and rank.
std::string hotspots_qml();

/// Incident locations as small points sized by their count (field `total`).
std::string incidents_qml();

/// The study area as a grey outline.
std::string study_area_qml();

/// Text made safe for an XML attribute or element (&, <, >, ").
std::string xml_escape(const std::string& text);

/// Writes QGIS default styles (table name -> QML) into a GeoPackage's layer_styles table,
/// the way QGIS 3.22 looks them up (schema '', geometry column 'geom', registered in gpkg_contents).
void write_layer_styles(geo::VectorDataset& gpkg, const std::vector<std::pair<std::string, std::string>>& styles,
                        const std::string& update_time);

/// The renderer-v2 and labeling elements of a QML document (for embedding in a QGIS project).
std::string qml_body(const std::string& qml);

} // namespace hotref::publish
