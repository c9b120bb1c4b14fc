#include "firmware/staff.hpp"

namespace civicbox::firmware {

std::string_view to_string(StaffRole role) {
  switch (role) {
    case StaffRole::clerk:
      return "clerk";
    case StaffRole::technician:
      return "technician";
  }
  return "clerk";
}

Expected<StaffRole> parse_staff_role(std::string_view text) {
  if (text == "clerk") return StaffRole::clerk;
  if (text == "technician") return StaffRole::technician;
  return make_error(ErrorCode::parse, "a staff role is \"clerk\" or \"technician\"");
}

}  // namespace civicbox::firmware
