#pragma once
/// A fresh directory under the system's temp dir for one test, removed with its
/// contents when the test ends.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace consensus::testing {

class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "consensus-test-XXXXXX").string();
        const char* made = ::mkdtemp(pattern.data());
        path_ = made != nullptr ? made : "";
    }
    ~TempDir() {
        std::error_code ignored;
        if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    /// The directory; empty if it could not be made (tests REQUIRE it is not).
    const std::string& path() const { return path_; }
    /// A path inside the directory (not created).
    std::string sub(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace consensus::testing
