// The words printed around a receipt's facts, per language (ro, hu, en, ca, es, pt). A stop-gap
// until the kiosk's UI catalogue carries them; an unknown language gets English.
#pragma once

#include <string_view>

namespace civicbox::escpos {

struct ReceiptLabels {
  std::string_view title;                // "Proof of filing"
  std::string_view box;                  // "Box"
  std::string_view filed_at;             // "Date and time"
  std::string_view date_format;          // strftime, local time
  std::string_view tracking_code;        // above the big code
  std::string_view registration_number;  // "Registration number"
  std::string_view provisional_number;   // says loudly that the number is provisional
  std::string_view provisional_note;     // where the real number will appear
  std::string_view follow;               // above the QR
};

const ReceiptLabels& receipt_labels(std::string_view language);

}  // namespace civicbox::escpos
