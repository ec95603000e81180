#include "consensus/path.h"

namespace consensus {

bool is_clean_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return false;
    if (path.size() == 1) return true;
    // Every element between slashes must be non-empty and neither "." nor "..";
    // an empty last element is a trailing slash, which Clean removes.
    std::size_t begin = 1;
    while (true) {
        std::size_t slash = path.find('/', begin);
        std::size_t end = slash == std::string_view::npos ? path.size() : slash;
        std::string_view element = path.substr(begin, end - begin);
        if (element.empty() || element == "." || element == "..") return false;
        if (slash == std::string_view::npos) return true;
        begin = slash + 1;
    }
}

}  // namespace consensus
