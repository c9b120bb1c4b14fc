# Every dependency is a Debian 12 package listed in scripts/packages.txt.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(OpenSSL 3 REQUIRED)
find_package(CURL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)

# mbedTLS 2.28 ships no CMake package on Debian: wrap its three libraries.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h REQUIRED)
find_library(MBEDTLS_LIB mbedtls REQUIRED)
find_library(MBEDX509_LIB mbedx509 REQUIRED)
find_library(MBEDCRYPTO_LIB mbedcrypto REQUIRED)
add_library(civicbox_mbedtls INTERFACE)
target_include_directories(civicbox_mbedtls SYSTEM INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(civicbox_mbedtls INTERFACE ${MBEDTLS_LIB} ${MBEDX509_LIB} ${MBEDCRYPTO_LIB})

# Devices.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUSB REQUIRED IMPORTED_TARGET libusb-1.0)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(LIBPNG REQUIRED IMPORTED_TARGET libpng)
# The controller's PostgreSQL back end (several instances on one database).
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
find_package(SDL2 REQUIRED CONFIG)
find_package(SDL2_ttf REQUIRED CONFIG)
# ZXing-cpp 1.4: text() is a std::string only with ZX_USE_UTF8. Keep it behind one adapter.
find_package(ZXing 1.4 REQUIRED CONFIG)
add_library(civicbox_zxing INTERFACE)
target_link_libraries(civicbox_zxing INTERFACE ZXing::ZXing)
target_compile_definitions(civicbox_zxing INTERFACE ZX_USE_UTF8)

# OpenCV 4.6 (capture and image work only; it cannot decode QR on Debian). The split -dev
# packages ship no CMake package: wrap the four libraries. Headers as SYSTEM: they warn in C++20.
find_path(OPENCV_INCLUDE_DIR opencv2/videoio.hpp PATH_SUFFIXES opencv4 REQUIRED)
foreach(module core imgproc imgcodecs videoio)
  find_library(OPENCV_${module}_LIB opencv_${module} REQUIRED)
endforeach()
add_library(civicbox_opencv INTERFACE)
target_include_directories(civicbox_opencv SYSTEM INTERFACE ${OPENCV_INCLUDE_DIR})
target_link_libraries(civicbox_opencv INTERFACE ${OPENCV_core_LIB} ${OPENCV_imgproc_LIB}
                      ${OPENCV_imgcodecs_LIB} ${OPENCV_videoio_LIB})

if(CIVICBOX_BUILD_TESTS)
  find_package(GTest REQUIRED)
  # USB without hardware: libusb against an emulated device (umockdev-wrapper runs the test).
  pkg_check_modules(UMOCKDEV REQUIRED IMPORTED_TARGET umockdev-1.0)
  find_program(UMOCKDEV_WRAPPER umockdev-wrapper REQUIRED)
endif()
if(CIVICBOX_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  # zbar, only to compare QR decoding against ZXing in the benchmark.
  pkg_check_modules(ZBAR REQUIRED IMPORTED_TARGET zbar)
endif()
