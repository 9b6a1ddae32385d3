#include "base/duration.hpp"

#include <cmath>
#include <cstdio>

namespace ssekit {

std::string format_duration(std::chrono::duration<double> d) { return seconds_number(d) + " s"; }

std::string seconds_number(std::chrono::duration<double> d) {
    double ms = std::round(d.count() * 1000.0);
    if (!std::isfinite(ms) || std::fabs(ms) >= 1e18) {  // beyond any wait we use: say it roughly
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", d.count());
        return buf;
    }
    const bool negative = ms < 0;
    const auto magnitude = static_cast<unsigned long long>(std::fabs(ms));
    std::string out = negative ? "-" : "";
    out += std::to_string(magnitude / 1000);
    if (const auto frac = static_cast<unsigned>(magnitude % 1000); frac != 0) {
        char digits[8];
        std::snprintf(digits, sizeof digits, ".%03u", frac);
        out += digits;
        out.erase(out.find_last_not_of('0') + 1);
    }
    return out;
}

}  // namespace ssekit
