// The touchscreen, as far as the flows need it: a plain sentence for the person in front of the
// box. The SDL2 UI renders it with the theme and translations; a headless box logs it.
#pragma once

#include <string_view>

namespace civicbox::drivers {

class Screen {
 public:
  virtual ~Screen() = default;
  virtual void show(std::string_view message) = 0;
  // A flow's door was unlocked (the touchscreen shows which one to open); before the sensor says
  // it opened. Called on the flow's thread.
  virtual void door_unlocked(int /*compartment*/) {}
};

}  // namespace civicbox::drivers
