#include "geo/proj.hpp"

#include "core/error.hpp"

#include <proj.h>

#include <cmath>
#include <limits>

namespace hotref::geo {

namespace {

struct ContextDeleter {
    void operator()(PJ_CONTEXT* ctx) const noexcept { proj_context_destroy(ctx); }
};
struct PjDeleter {
    void operator()(PJ* pj) const noexcept { proj_destroy(pj); }
};

} // namespace

struct Transformer::Impl {
    // Declaration order matters: the transformation is destroyed before its context.
    std::unique_ptr<PJ_CONTEXT, ContextDeleter> ctx;
    std::unique_ptr<PJ, PjDeleter> pj;
};

Transformer::Transformer(const std::string& source_crs, const std::string& target_crs)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->ctx.reset(proj_context_create());
    if (!m_impl->ctx) {
        throw GeoError("PROJ: cannot create a context");
    }
    proj_log_level(m_impl->ctx.get(), PJ_LOG_NONE);
    std::unique_ptr<PJ, PjDeleter> raw{
        proj_create_crs_to_crs(m_impl->ctx.get(), source_crs.c_str(), target_crs.c_str(), nullptr)};
    if (!raw) {
        const int err = proj_context_errno(m_impl->ctx.get());
        throw GeoError("PROJ: no transformation from " + source_crs + " to " + target_crs + ": " +
                       proj_context_errno_string(m_impl->ctx.get(), err) +
                       " (is the proj-data package installed?)");
    }
    m_impl->pj.reset(proj_normalize_for_visualization(m_impl->ctx.get(), raw.get()));
    if (!m_impl->pj) {
        throw GeoError("PROJ: cannot normalise axis order for " + source_crs + " -> " + target_crs);
    }
}

Transformer::~Transformer() = default;
Transformer::Transformer(Transformer&&) noexcept = default;
Transformer& Transformer::operator=(Transformer&&) noexcept = default;

namespace {

XY transform(PJ* pj, PJ_DIRECTION direction, XY p) noexcept {
    PJ_COORD c = proj_coord(p.x, p.y, 0, 0);
    c = proj_trans(pj, direction, c);
    if (c.xy.x == HUGE_VAL || !std::isfinite(c.xy.x) || !std::isfinite(c.xy.y)) {
        return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
    }
    return {c.xy.x, c.xy.y};
}

} // namespace

XY Transformer::forward(XY p) const noexcept {
    return transform(m_impl->pj.get(), PJ_FWD, p);
}

XY Transformer::inverse(XY p) const noexcept {
    return transform(m_impl->pj.get(), PJ_INV, p);
}

std::string Transformer::description() const {
    const PJ_PROJ_INFO info = proj_pj_info(m_impl->pj.get());
    return info.description != nullptr ? info.description : "";
}

} // namespace hotref::geo
