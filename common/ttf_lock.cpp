#include "common/ttf_lock.hpp"

namespace civicbox {

std::mutex& sdl_ttf_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace civicbox
