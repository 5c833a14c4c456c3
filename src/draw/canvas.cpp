#include "draw/canvas.hpp"

#include "core/error.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

namespace hotref::draw {

namespace {

bool ends_with(const std::string& s, const char* suffix) {
    const std::string x{suffix};
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

} // namespace

std::string hex(const Colour& c) {
    auto byte = [](double v) { return static_cast<int>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); };
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", byte(c.r), byte(c.g), byte(c.b));
    return buf;
}

Canvas::Canvas(const std::string& path, double width, double height) : m_path(path), m_width(width), m_height(height) {
    if (ends_with(path, ".svg")) {
        m_kind = Kind::svg;
        m_surface = cairo_svg_surface_create(path.c_str(), width, height);
    } else if (ends_with(path, ".pdf")) {
        m_kind = Kind::pdf;
        m_surface = cairo_pdf_surface_create(path.c_str(), width, height);
    } else {
        m_kind = Kind::png;
        m_surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, static_cast<int>(width), static_cast<int>(height));
    }
    create_context();
}

Canvas Canvas::in_memory_svg(double width, double height) {
    Canvas c;
    c.m_path = "(in-memory SVG)";
    c.m_kind = Kind::memory_svg;
    c.m_width = width;
    c.m_height = height;
    c.m_buffer = std::make_unique<Buffer>();
    c.m_surface = cairo_svg_surface_create_for_stream(append_to_string, &c.m_buffer->text, width, height);
    c.create_context();
    return c;
}

Canvas Canvas::in_memory_pdf(double width, double height) {
    Canvas c;
    c.m_path = "(in-memory PDF)";
    c.m_kind = Kind::memory_pdf;
    c.m_width = width;
    c.m_height = height;
    c.m_buffer = std::make_unique<Buffer>();
    c.m_surface = cairo_pdf_surface_create_for_stream(append_to_string, &c.m_buffer->text, width, height);
    c.create_context();
    return c;
}

void Canvas::create_context() {
    if (cairo_surface_status(m_surface) != CAIRO_STATUS_SUCCESS) {
        const std::string why = cairo_status_to_string(cairo_surface_status(m_surface));
        cairo_surface_destroy(m_surface);
        m_surface = nullptr;
        throw Error(m_path + ": cannot create the drawing (" + why + ")");
    }
    if (m_kind == Kind::svg || m_kind == Kind::memory_svg) {
        cairo_svg_surface_restrict_to_version(m_surface, CAIRO_SVG_VERSION_1_1);
    }
    m_cr = cairo_create(m_surface);
    cairo_set_source_rgb(m_cr, 1, 1, 1);
    cairo_paint(m_cr);
    cairo_set_line_join(m_cr, CAIRO_LINE_JOIN_ROUND);
    select_font(10, false);
}

Canvas::~Canvas() {
    if (m_cr != nullptr) {
        cairo_destroy(m_cr);
    }
    if (m_surface != nullptr) {
        cairo_surface_destroy(m_surface);
    }
}

Canvas::Canvas(Canvas&& other) noexcept
    : m_path(std::move(other.m_path)), m_kind(other.m_kind), m_width(other.m_width), m_height(other.m_height),
      m_buffer(std::move(other.m_buffer)), m_surface(std::exchange(other.m_surface, nullptr)),
      m_cr(std::exchange(other.m_cr, nullptr)) {}

Canvas& Canvas::operator=(Canvas&& other) noexcept {
    if (this != &other) {
        Canvas tmp{std::move(other)};
        std::swap(m_path, tmp.m_path);
        std::swap(m_kind, tmp.m_kind);
        std::swap(m_width, tmp.m_width);
        std::swap(m_height, tmp.m_height);
        std::swap(m_buffer, tmp.m_buffer);
        std::swap(m_surface, tmp.m_surface);
        std::swap(m_cr, tmp.m_cr);
    }
    return *this;
}

_cairo* Canvas::cr() const noexcept {
    return m_cr;
}

void Canvas::colour(const Colour& c, double alpha) {
    cairo_set_source_rgba(m_cr, c.r, c.g, c.b, alpha);
}

void Canvas::line_width(double w) {
    cairo_set_line_width(m_cr, w);
}

void Canvas::dash(double on, double off) {
    if (on <= 0) {
        cairo_set_dash(m_cr, nullptr, 0, 0);
    } else {
        const double d[] = {on, off};
        cairo_set_dash(m_cr, d, 2, 0);
    }
}

void Canvas::move_to(double x, double y) {
    cairo_move_to(m_cr, x, y);
}

void Canvas::line_to(double x, double y) {
    cairo_line_to(m_cr, x, y);
}

void Canvas::close_path() {
    cairo_close_path(m_cr);
}

void Canvas::rectangle(double x, double y, double w, double h) {
    cairo_rectangle(m_cr, x, y, w, h);
}

void Canvas::circle(double x, double y, double r) {
    cairo_new_sub_path(m_cr);
    cairo_arc(m_cr, x, y, r, 0, 2 * M_PI);
}

void Canvas::rings(const std::vector<std::vector<std::array<double, 2>>>& rings) {
    for (const auto& ring : rings) {
        if (ring.size() < 3) {
            continue;
        }
        cairo_move_to(m_cr, ring.front()[0], ring.front()[1]);
        for (std::size_t i = 1; i < ring.size(); ++i) {
            cairo_line_to(m_cr, ring[i][0], ring[i][1]);
        }
        cairo_close_path(m_cr);
    }
}

void Canvas::fill(bool preserve) {
    cairo_set_fill_rule(m_cr, CAIRO_FILL_RULE_WINDING);
    preserve ? cairo_fill_preserve(m_cr) : cairo_fill(m_cr);
}

void Canvas::fill_even_odd(bool preserve) {
    cairo_set_fill_rule(m_cr, CAIRO_FILL_RULE_EVEN_ODD);
    preserve ? cairo_fill_preserve(m_cr) : cairo_fill(m_cr);
    cairo_set_fill_rule(m_cr, CAIRO_FILL_RULE_WINDING);
}

void Canvas::stroke(bool preserve) {
    preserve ? cairo_stroke_preserve(m_cr) : cairo_stroke(m_cr);
}

void Canvas::save() {
    cairo_save(m_cr);
}

void Canvas::restore() {
    cairo_restore(m_cr);
}

void Canvas::clip_rectangle(double x, double y, double w, double h) {
    cairo_rectangle(m_cr, x, y, w, h);
    cairo_clip(m_cr);
}

void Canvas::select_font(double size, bool bold) {
    cairo_select_font_face(m_cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(m_cr, size);
}

double Canvas::text_width(const std::string& s, double size, bool bold) {
    select_font(size, bold);
    cairo_text_extents_t ext;
    cairo_text_extents(m_cr, s.c_str(), &ext);
    return ext.x_advance;
}

void Canvas::text(double x, double y, const std::string& s, double size, bool bold, Align align) {
    const double w = text_width(s, size, bold);
    const double dx = align == Align::left ? 0 : align == Align::centre ? w / 2 : w;
    cairo_move_to(m_cr, x - dx, y);
    cairo_show_text(m_cr, s.c_str());
    cairo_new_path(m_cr);
}

void Canvas::halo_text(double x, double y, const std::string& s, double size, bool bold, Align align) {
    const double w = text_width(s, size, bold);
    const double dx = align == Align::left ? 0 : align == Align::centre ? w / 2 : w;
    cairo_save(m_cr);
    cairo_move_to(m_cr, x - dx, y);
    cairo_text_path(m_cr, s.c_str());
    cairo_set_source_rgba(m_cr, 1, 1, 1, 0.9);
    cairo_set_line_width(m_cr, size / 4);
    cairo_stroke(m_cr);
    cairo_restore(m_cr);
    cairo_move_to(m_cr, x - dx, y);
    cairo_show_text(m_cr, s.c_str());
    cairo_new_path(m_cr);
}

std::vector<std::string> Canvas::wrap(const std::string& s, double width, double size, bool bold) {
    std::vector<std::string> lines;
    std::istringstream words{s};
    std::string word, line;
    while (words >> word) {
        const std::string candidate = line.empty() ? word : line + " " + word;
        if (!line.empty() && text_width(candidate, size, bold) > width) {
            lines.push_back(line);
            line = word;
        } else {
            line = candidate;
        }
    }
    if (!line.empty()) {
        lines.push_back(line);
    }
    return lines;
}

double Canvas::paragraph(double x, double y, double width, const std::string& s, double size, bool bold,
                         double leading) {
    for (const auto& line : wrap(s, width, size, bold)) {
        text(x, y, line, size, bold);
        y += size * leading;
    }
    return y;
}

void Canvas::new_page() {
    cairo_show_page(m_cr);
    cairo_set_source_rgb(m_cr, 1, 1, 1);
    cairo_paint(m_cr);
}

void Canvas::finish() {
    cairo_surface_flush(m_surface);
    if (m_kind == Kind::png) {
        if (cairo_surface_write_to_png(m_surface, m_path.c_str()) != CAIRO_STATUS_SUCCESS) {
            throw Error(m_path + ": cannot write the PNG");
        }
    }
    const cairo_status_t drawn = cairo_status(m_cr);
    cairo_destroy(m_cr);
    m_cr = nullptr;
    cairo_surface_finish(m_surface);
    if (drawn != CAIRO_STATUS_SUCCESS || cairo_surface_status(m_surface) != CAIRO_STATUS_SUCCESS) {
        throw Error(m_path + ": cannot write the drawing (" +
                    cairo_status_to_string(drawn != CAIRO_STATUS_SUCCESS ? drawn : cairo_surface_status(m_surface)) +
                    ")");
    }
}

} // namespace hotref::draw
