#pragma once
// OGC API - Features pages as HTML (f=html, or a browser's Accept: text/html),
// as pygeoapi and pg_featureserv answer them: the same JSON documents the API
// serves, drawn as plain pages with every text escaped. Internal to the service.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace hotref::server {

/// Text made safe for HTML element content and quoted attributes (&, <, >, ", ').
std::string html_escape(std::string_view text);

/// `href` with its query's f= set to `format` (added when it has none).
std::string with_format(const std::string& href, const std::string& format);

/// A link of the API as the HTML pages follow it: JSON documents of this service get f=html.
std::string html_href(const std::string& href, const std::string& type);

/// The landing page, the collections, one collection, a page of items (a FeatureCollection)
/// and one feature, from the JSON documents the API answers with.
std::string landing_html(const nlohmann::ordered_json& landing);
std::string collections_html(const nlohmann::ordered_json& collections);
std::string collection_html(const nlohmann::ordered_json& collection);
std::string items_html(const nlohmann::ordered_json& features, const std::string& collection_title);
std::string item_html(const nlohmann::ordered_json& feature, const std::string& collection_title);

} // namespace hotref::server
