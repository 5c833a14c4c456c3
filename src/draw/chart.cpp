#include "draw/chart.hpp"

#include "core/error.hpp"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace hotref::draw {

namespace {

struct SurfaceDeleter {
    void operator()(cairo_surface_t* s) const noexcept { cairo_surface_destroy(s); }
};
struct ContextDeleter {
    void operator()(cairo_t* c) const noexcept { cairo_destroy(c); }
};

bool ends_with(const std::string& s, const char* suffix) {
    const std::string x{suffix};
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// A drawing on a PNG or SVG surface, written out by finish().
class Canvas {
public:
    Canvas(const std::string& path, double width, double height) : m_path(path), m_svg(ends_with(path, ".svg")) {
        if (m_svg) {
            m_surface.reset(cairo_svg_surface_create(path.c_str(), width, height));
        } else {
            m_surface.reset(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, static_cast<int>(width),
                                                       static_cast<int>(height)));
        }
        if (cairo_surface_status(m_surface.get()) != CAIRO_STATUS_SUCCESS) {
            throw Error(path + ": cannot create the chart (" +
                        cairo_status_to_string(cairo_surface_status(m_surface.get())) + ")");
        }
        m_cr.reset(cairo_create(m_surface.get()));
        cairo_set_source_rgb(cr(), 1, 1, 1);
        cairo_paint(cr());
        cairo_select_font_face(cr(), "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    }
    [[nodiscard]] cairo_t* cr() const noexcept { return m_cr.get(); }

    void text(double x, double y, const std::string& s, double size, bool bold = false, double align = 0) {
        cairo_select_font_face(cr(), "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr(), size);
        cairo_text_extents_t ext;
        cairo_text_extents(cr(), s.c_str(), &ext);
        cairo_move_to(cr(), x - align * ext.x_advance, y);
        cairo_show_text(cr(), s.c_str());
    }
    void colour(const Colour& c) { cairo_set_source_rgb(cr(), c.r, c.g, c.b); }

    void finish() {
        cairo_surface_flush(m_surface.get());
        if (!m_svg) {
            if (cairo_surface_write_to_png(m_surface.get(), m_path.c_str()) != CAIRO_STATUS_SUCCESS) {
                throw Error(m_path + ": cannot write the PNG");
            }
        }
        m_cr.reset();
        cairo_surface_finish(m_surface.get());
        if (cairo_surface_status(m_surface.get()) != CAIRO_STATUS_SUCCESS) {
            throw Error(m_path + ": cannot write the chart");
        }
    }

private:
    std::string m_path;
    bool m_svg;
    std::unique_ptr<cairo_surface_t, SurfaceDeleter> m_surface;
    std::unique_ptr<cairo_t, ContextDeleter> m_cr;
};

constexpr Colour grey{0.55, 0.55, 0.55};
constexpr Colour dark{0.15, 0.15, 0.15};

double nice_step(double range) {
    const double raw = range / 5;
    const double mag = std::pow(10, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (raw <= m * mag) {
            return m * mag;
        }
    }
    return 10 * mag;
}

} // namespace

void line_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                const std::vector<std::string>& labels, const std::vector<Series>& series, int mark) {
    const double W = 900, H = 480, left = 70, right = 170, top = 70, bottom = 60;
    Canvas c{path, W, H};
    auto* cr = c.cr();
    double ymax = 1;
    for (const auto& s : series) {
        for (const double v : s.values) {
            if (std::isfinite(v)) {
                ymax = std::max(ymax, v);
            }
        }
    }
    const double step = nice_step(ymax);
    ymax = std::ceil(ymax / step) * step;
    const double pw = W - left - right;
    const double ph = H - top - bottom;
    const auto n = std::max<std::size_t>(labels.size(), 2);
    auto X = [&](std::size_t i) { return left + pw * static_cast<double>(i) / static_cast<double>(n - 1); };
    auto Y = [&](double v) { return top + ph * (1 - v / ymax); };
    c.colour(dark);
    c.text(left, 30, title, 17, true);
    c.colour(grey);
    c.text(left, 52, subtitle, 12);
    // Grid and axes.
    cairo_set_line_width(cr, 1);
    for (double v = 0; v <= ymax + 1e-9; v += step) {
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, left, Y(v));
        cairo_line_to(cr, left + pw, Y(v));
        cairo_stroke(cr);
        c.colour(grey);
        c.text(left - 8, Y(v) + 4, std::to_string(static_cast<long long>(v)), 11, false, 1);
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
        c.colour(grey);
        c.text(X(i), H - bottom + 20, labels[i].size() == 7 ? labels[i].substr(2) : labels[i], 10, false, 0.5);
    }
    if (mark >= 0 && static_cast<std::size_t>(mark) < labels.size()) {
        const double xm = (X(static_cast<std::size_t>(mark)) + X(static_cast<std::size_t>(std::max(mark - 1, 0)))) / 2;
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        const double dash[] = {5, 4};
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, xm, top - 5);
        cairo_line_to(cr, xm, top + ph);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        c.text(xm + 4, top + 8, "intervention", 11);
    }
    // Series and legend.
    double ly = top + 10;
    for (const auto& s : series) {
        c.colour(s.colour);
        cairo_set_line_width(cr, 2.5);
        if (s.dashed) {
            const double dash[] = {6, 4};
            cairo_set_dash(cr, dash, 2, 0);
        }
        bool started = false;
        for (std::size_t i = 0; i < s.values.size(); ++i) {
            if (!std::isfinite(s.values[i])) {
                continue;
            }
            if (started) {
                cairo_line_to(cr, X(i), Y(s.values[i]));
            } else {
                cairo_move_to(cr, X(i), Y(s.values[i]));
                started = true;
            }
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        cairo_move_to(cr, W - right + 20, ly);
        cairo_line_to(cr, W - right + 44, ly);
        cairo_stroke(cr);
        c.colour(dark);
        c.text(W - right + 50, ly + 4, s.name, 11);
        ly += 22;
    }
    c.finish();
}

void ratio_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                 const std::vector<Estimate>& estimates) {
    const double row = 24, left = 260, right = 40, top = 80, bottom = 50, W = 900;
    const double H = top + bottom + row * static_cast<double>(std::max<std::size_t>(estimates.size(), 1));
    Canvas c{path, W, H};
    auto* cr = c.cr();
    const double lo = std::log(0.25), hi = std::log(4.0);
    const double pw = W - left - right;
    auto X = [&](double v) {
        const double l = std::clamp(std::log(std::max(v, 1e-9)), lo, hi);
        return left + pw * (l - lo) / (hi - lo);
    };
    c.colour(dark);
    c.text(20, 30, title, 17, true);
    c.colour(grey);
    c.text(20, 52, subtitle, 12);
    for (const double v : {0.25, 0.5, 1.0, 2.0, 4.0}) {
        cairo_set_source_rgb(cr, v == 1.0 ? 0.3 : 0.88, v == 1.0 ? 0.3 : 0.88, v == 1.0 ? 0.3 : 0.88);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, X(v), top - 10);
        cairo_line_to(cr, X(v), H - bottom);
        cairo_stroke(cr);
        c.colour(grey);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%g", v);
        c.text(X(v), H - bottom + 18, buf, 11, false, 0.5);
    }
    c.colour(grey);
    c.text(X(0.5), H - 10, "fewer after", 11, false, 0.5);
    c.text(X(2.0), H - 10, "more after", 11, false, 0.5);
    for (std::size_t i = 0; i < estimates.size(); ++i) {
        const auto& e = estimates[i];
        const double y = top + row * (static_cast<double>(i) + 0.5);
        c.colour(dark);
        c.text(left - 12, y + 4, e.label, 12, i == 0, 1);
        const bool significant = std::isfinite(e.upper) && (e.upper < 1 || e.lower > 1);
        const Colour col = !significant ? grey : e.value < 1 ? Colour{0.17, 0.45, 0.70} : Colour{0.84, 0.19, 0.15};
        c.colour(col);
        cairo_set_line_width(cr, 2);
        if (std::isfinite(e.lower) && std::isfinite(e.upper)) {
            cairo_move_to(cr, X(e.lower), y);
            cairo_line_to(cr, X(e.upper), y);
            cairo_stroke(cr);
        }
        if (std::isfinite(e.value)) {
            cairo_arc(cr, X(e.value), y, i == 0 ? 6 : 4.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    c.finish();
}

} // namespace hotref::draw
