#include "ui/view.hpp"

namespace civicbox::ui {

const char* to_string(ScreenId id) {
  switch (id) {
    case ScreenId::home:
      return "home";
    case ScreenId::file_kind:
      return "file_kind";
    case ScreenId::file_contact:
      return "file_contact";
    case ScreenId::file_consent:
      return "file_consent";
    case ScreenId::door_open:
      return "door_open";
    case ScreenId::receipt:
      return "receipt";
    case ScreenId::collect_scan:
      return "collect_scan";
    case ScreenId::collect_keypad:
      return "collect_keypad";
    case ScreenId::notice:
      return "notice";
    case ScreenId::working:
      return "working";
    case ScreenId::staff_pin:
      return "staff_pin";
    case ScreenId::clerk_menu:
      return "clerk_menu";
    case ScreenId::clerk_load:
      return "clerk_load";
    case ScreenId::clerk_faulty:
      return "clerk_faulty";
    case ScreenId::technician:
      return "technician";
    case ScreenId::out_of_order:
      return "out_of_order";
    case ScreenId::setup:
      return "setup";
  }
  return "unknown";
}

}  // namespace civicbox::ui
