#pragma once
// A drawing surface over cairo (canvas.cpp and chart.cpp are the only files that
// include cairo.h): a PNG, SVG or multi-page PDF file chosen by the extension, or
// an SVG kept in memory for embedding in HTML. Units are points (1/72 inch) for
// PDF and SVG, pixels for PNG. Text is DejaVu Sans.

#include <array>
#include <memory>
#include <string>
#include <vector>

struct _cairo;         // cairo_t
struct _cairo_surface; // cairo_surface_t

namespace hotref::draw {

struct Colour {
    double r = 0, g = 0, b = 0;
};

/// "#rrggbb" for HTML and SVG.
std::string hex(const Colour& c);

enum class Align { left, centre, right };

class Canvas {
public:
    /// A file: .png, .svg or .pdf (A4 is 595.28 x 841.89 points).
    Canvas(const std::string& path, double width, double height);
    /// An SVG drawn in memory; take it with bytes() after finish().
    static Canvas in_memory_svg(double width, double height);
    /// A PDF drawn in memory (pages of width x height points); take it with bytes() after finish().
    static Canvas in_memory_pdf(double width, double height);

    ~Canvas();
    Canvas(Canvas&&) noexcept;
    Canvas& operator=(Canvas&&) noexcept;
    Canvas(const Canvas&) = delete;
    Canvas& operator=(const Canvas&) = delete;

    [[nodiscard]] _cairo* cr() const noexcept;
    [[nodiscard]] double width() const noexcept { return m_width; }
    [[nodiscard]] double height() const noexcept { return m_height; }

    // --- style ---
    void colour(const Colour& c, double alpha = 1);
    void line_width(double w);
    void dash(double on, double off); // 0, 0: solid

    // --- paths ---
    void move_to(double x, double y);
    void line_to(double x, double y);
    void close_path();
    void rectangle(double x, double y, double w, double h);
    void circle(double x, double y, double r);
    /// A closed ring per vertex list (already in canvas coordinates).
    void rings(const std::vector<std::vector<std::array<double, 2>>>& rings);
    void fill(bool preserve = false);
    /// Fill with the even-odd rule (polygons with holes).
    void fill_even_odd(bool preserve = false);
    void stroke(bool preserve = false);

    void save();
    void restore();
    /// Clip to a rectangle until restore().
    void clip_rectangle(double x, double y, double w, double h);

    // --- text ---
    /// Draws `s` with its baseline at y; `align` relative to x.
    void text(double x, double y, const std::string& s, double size, bool bold = false, Align align = Align::left);
    [[nodiscard]] double text_width(const std::string& s, double size, bool bold = false);
    /// Splits `s` into lines no wider than `width` (words longer than a line stay whole).
    [[nodiscard]] std::vector<std::string> wrap(const std::string& s, double width, double size, bool bold = false);
    /// Draws `s` wrapped to `width` from the first baseline y; returns the y after the last line.
    double paragraph(double x, double y, double width, const std::string& s, double size, bool bold = false,
                     double leading = 1.3);
    /// Text with a white halo, readable over map features.
    void halo_text(double x, double y, const std::string& s, double size, bool bold = false, Align align = Align::left);

    /// PDF: starts the next page.
    void new_page();
    /// Writes the file (PNG), or finishes the PDF/SVG; throws Error on failure.
    void finish();
    /// The document of an in-memory canvas (SVG text or PDF bytes), after finish().
    [[nodiscard]] const std::string& bytes() const noexcept { return m_buffer->text; }

private:
    struct Buffer {
        std::string text;
    };
    Canvas() = default;
    void select_font(double size, bool bold);
    void create_context();

    std::string m_path;
    enum class Kind { png, svg, pdf, memory_svg, memory_pdf } m_kind = Kind::png;
    double m_width = 0, m_height = 0;
    std::unique_ptr<Buffer> m_buffer;
    _cairo_surface* m_surface = nullptr;
    _cairo* m_cr = nullptr;
};

} // namespace hotref::draw
