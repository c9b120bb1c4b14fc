// OpenCV's core types for the camera simulator (system headers via civicbox_opencv: they warn
// under C++20).
#pragma once

#include <opencv2/core.hpp>
