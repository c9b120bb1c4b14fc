// Files that are either wholly there or not at all: the content is written to a temporary file
// in the same folder, flushed, renamed over the final name and the folder is flushed, so a power
// cut never leaves a half-written key, certificate, receipt or door-state file behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace civicbox {

// Replaces `path` with `contents`, with permission bits exactly `mode` (0600 for keys, 0644
// for certificates). The temporary file is created with that mode, never wider.
Expected<void> write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                                     mode_t mode = 0644);

// The whole file as text (ErrorCode::not_found when it does not exist, io otherwise).
Expected<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace civicbox
