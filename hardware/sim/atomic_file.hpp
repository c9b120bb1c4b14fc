// Writes a whole file so that a reader (or the next start after a power cut) sees either the old
// content or the new one, never half: write a temporary file beside it, fsync, rename, fsync
// the folder.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/error.hpp"

namespace civicbox::sim {

Expected<void> write_file_atomically(const std::filesystem::path& file, std::string_view content);

}  // namespace civicbox::sim
