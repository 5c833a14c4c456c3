#include "publish/styles.hpp"

#include <cstdio>

namespace hotref::publish {

namespace {

constexpr const char* header = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n";

std::string option(const char* name, const std::string& value) {
    return std::string{"<Option name=\""} + name + "\" value=\"" + value + "\" type=\"QString\"/>";
}

std::string fill_symbol(const std::string& name, const std::string& fill, const std::string& outline,
                        const std::string& outline_width, const std::string& style = "solid") {
    return "<symbol type=\"fill\" name=\"" + name + "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">"
           "<layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\"><Option type=\"Map\">" +
           option("color", fill) + option("style", style) + option("outline_color", outline) +
           option("outline_style", outline_width == "0" ? "no" : "solid") + option("outline_width", outline_width) +
           option("outline_width_unit", "MM") + option("joinstyle", "miter") + "</Option></layer></symbol>";
}

std::string wrap(const std::string& body, bool labels) {
    return std::string{header} + "<qgis version=\"3.22.16-Białowieża\" styleCategories=\"AllStyleCategories\" labelsEnabled=\"" +
           (labels ? "1" : "0") + "\">" + body + "</qgis>\n";
}

struct Category {
    const char* value;
    const char* label;
    const char* colour;
};

} // namespace

std::string gistar_cells_qml() {
    static constexpr Category categories[] = {
        {"3", "Hot spot, 99 % confidence", "214,47,39,255"},  {"2", "Hot spot, 95 % confidence", "237,117,81,255"},
        {"1", "Hot spot, 90 % confidence", "250,185,132,255"}, {"0", "Not significant", "238,238,238,255"},
        {"-1", "Cold spot, 90 % confidence", "192,204,190,255"}, {"-2", "Cold spot, 95 % confidence", "132,158,186,255"},
        {"-3", "Cold spot, 99 % confidence", "69,117,181,255"}};
    std::string cats;
    std::string symbols;
    int i = 0;
    for (const auto& c : categories) {
        const std::string id = std::to_string(i++);
        cats += std::string{"<category render=\"true\" symbol=\""} + id + "\" value=\"" + c.value + "\" label=\"" +
                c.label + "\"/>";
        symbols += fill_symbol(id, c.colour, "255,255,255,0", "0");
    }
    return wrap("<renderer-v2 type=\"categorizedSymbol\" attr=\"bin\" symbollevels=\"0\" enableorderby=\"0\" "
                "forceraster=\"0\"><categories>" + cats + "</categories><symbols>" + symbols +
                    "</symbols></renderer-v2>",
                false);
}

std::string graduated_cells_qml(const std::string& field, const std::vector<double>& breaks) {
    static constexpr const char* ramp[] = {"255,255,178,255", "254,204,92,255", "253,141,60,255", "240,59,32,255",
                                           "189,0,38,255"};
    std::string ranges;
    std::string symbols;
    for (std::size_t i = 0; i + 1 < breaks.size() && i < 5; ++i) {
        char lower[32];
        char upper[32];
        std::snprintf(lower, sizeof lower, "%.6g", breaks[i]);
        std::snprintf(upper, sizeof upper, "%.6g", breaks[i + 1]);
        const std::string id = std::to_string(i);
        ranges += "<range render=\"true\" symbol=\"" + id + "\" lower=\"" + lower + "\" upper=\"" + upper +
                  "\" label=\"" + lower + " - " + upper + " per km²\"/>";
        symbols += fill_symbol(id, ramp[i], "255,255,255,0", "0");
    }
    return wrap("<renderer-v2 type=\"graduatedSymbol\" attr=\"" + field +
                    "\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">"
                    "<ranges>" + ranges + "</ranges><symbols>" + symbols + "</symbols></renderer-v2>",
                false);
}

std::string xml_escape(const std::string& v) {
    std::string out;
    for (const char c : v) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string change_qml(const std::string& field, const std::string& label_field) {
    struct Range {
        const char* lower;
        const char* upper;
        const char* label;
        const char* colour;
    };
    static constexpr Range ranges[] = {{"-100", "-50", "fell by half or more", "33,102,172,220"},
                                       {"-50", "-20", "fell 20-50 %", "103,169,207,220"},
                                       {"-20", "-5", "fell 5-20 %", "209,229,240,220"},
                                       {"-5", "5", "about the same", "240,240,240,220"},
                                       {"5", "25", "rose 5-25 %", "253,219,199,220"},
                                       {"25", "100000", "rose 25 % or more", "214,96,77,220"}};
    std::string rs;
    std::string symbols;
    int i = 0;
    for (const auto& r : ranges) {
        const std::string id = std::to_string(i++);
        rs += std::string{"<range render=\"true\" symbol=\""} + id + "\" lower=\"" + r.lower + "\" upper=\"" +
              r.upper + "\" label=\"" + r.label + "\"/>";
        symbols += fill_symbol(id, r.colour, "80,80,80,255", "0.4");
    }
    const std::string labeling =
        "<labeling type=\"simple\"><settings calloutType=\"simple\"><text-style fieldName=\"" + xml_escape(label_field) +
        "\" isExpression=\"1\" fontSize=\"8\" textColor=\"30,30,30,255\" fontFamily=\"DejaVu Sans\">"
        "<text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" "
        "bufferOpacity=\"0.9\"/></text-style><placement placement=\"1\"/></settings></labeling>";
    return wrap("<renderer-v2 type=\"graduatedSymbol\" attr=\"" + field +
                    "\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">"
                    "<ranges>" + rs + "</ranges><symbols>" + symbols + "</symbols></renderer-v2>" + labeling,
                true);
}

std::string outline_qml(const std::string& rgb, bool fill) {
    return wrap("<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\"><symbols>" +
                    fill_symbol("0", fill ? rgb + ",40" : "255,255,255,0", rgb + ",255", "0.6", fill ? "solid" : "no") +
                    "</symbols></renderer-v2>",
                false);
}

std::string hotspots_qml() {
    const std::string renderer = "<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" "
                                 "forceraster=\"0\"><symbols>" +
                                 fill_symbol("0", "214,47,39,40", "160,20,20,255", "0.8") +
                                 "</symbols></renderer-v2>";
    const std::string labeling =
        "<labeling type=\"simple\"><settings calloutType=\"simple\">"
        "<text-style fieldName=\"&quot;code&quot; || ' #' || &quot;rank&quot;\" isExpression=\"1\" fontSize=\"9\" "
        "fontWeight=\"75\" textColor=\"120,0,0,255\" fontFamily=\"DejaVu Sans\" namedStyle=\"Bold\" textOpacity=\"1\">"
        "<text-buffer bufferDraw=\"1\" bufferSize=\"1\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" "
        "bufferOpacity=\"0.9\"/></text-style>"
        "<placement placement=\"1\" priority=\"5\" dist=\"0\"/><rendering obstacle=\"1\" scaleVisibility=\"0\" "
        "fontLimitPixelSize=\"0\" upsidedownLabels=\"0\" displayAll=\"1\"/></settings></labeling>";
    return wrap(renderer + labeling, true);
}

std::string incidents_qml() {
    const std::string size_expr = "1.2 + 0.35 * sqrt(coalesce(&quot;total&quot;, 5))";
    return wrap("<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">"
                "<symbols><symbol type=\"marker\" name=\"0\" alpha=\"0.85\" clip_to_extent=\"1\" force_rhr=\"0\">"
                "<layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" pass=\"0\"><Option type=\"Map\">" +
                    option("name", "circle") + option("color", "60,60,60,200") + option("outline_color", "255,255,255,255") +
                    option("outline_width", "0.2") + option("size", "1.5") + option("size_unit", "MM") +
                    "</Option><data_defined_properties><Option type=\"Map\">" + option("name", "") +
                    "<Option name=\"properties\" type=\"Map\"><Option name=\"size\" type=\"Map\">"
                    "<Option name=\"active\" value=\"true\" type=\"bool\"/>"
                    "<Option name=\"expression\" value=\"" + size_expr + "\" type=\"QString\"/>"
                    "<Option name=\"type\" value=\"3\" type=\"int\"/></Option></Option>" +
                    option("type", "collection") +
                    "</Option></data_defined_properties></layer></symbol></symbols></renderer-v2>",
                false);
}

std::string study_area_qml() {
    return wrap("<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\"><symbols>" +
                    fill_symbol("0", "255,255,255,0", "90,90,90,255", "0.5", "no") + "</symbols></renderer-v2>",
                false);
}

void write_layer_styles(geo::VectorDataset& gpkg, const std::vector<std::pair<std::string, std::string>>& styles,
                        const std::string& update_time) {
    using geo::FieldType;
    auto& layer = gpkg.create_layer("layer_styles", geo::GeometryKind::none, 0,
                                    {{"f_table_catalog", FieldType::text}, {"f_table_schema", FieldType::text},
                                     {"f_table_name", FieldType::text},    {"f_geometry_column", FieldType::text},
                                     {"styleName", FieldType::text},       {"styleQML", FieldType::text},
                                     {"styleSLD", FieldType::text},        {"useAsDefault", FieldType::integer},
                                     {"description", FieldType::text},     {"owner", FieldType::text},
                                     {"ui", FieldType::text},              {"update_time", FieldType::text}},
                                    {"FID=id"});
    for (const auto& [table, qml] : styles) {
        layer.add({std::string{}, std::string{}, table, std::string{"geom"}, "hotref " + table, qml, std::string{},
                   std::int64_t{1}, std::string{"hotref default style"}, std::string{"hotref"}, geo::FieldValue{},
                   update_time},
                  {});
    }
}

std::string qml_body(const std::string& qml) {
    const auto start = qml.find("<renderer-v2");
    const auto end = qml.rfind("</qgis>");
    if (start == std::string::npos || end == std::string::npos) {
        return {};
    }
    return qml.substr(start, end - start);
}

} // namespace hotref::publish
