// OpenCV's core types for the camera code. OpenCV 4.6 headers warn under C++20; CMake brings
// them in as system headers (civicbox_opencv), which silences that without a pragma here.
#pragma once

#include <opencv2/core.hpp>
