#include "drivers/printer/escpos/receipt_labels.hpp"

namespace civicbox::escpos {

namespace {

constexpr ReceiptLabels kRomanian{
    "Dovadă de depunere",   "Cutia",
    "Data și ora",          "%d.%m.%Y %H:%M",
    "Cod de urmărire",      "Număr de înregistrare",
    "Număr PROVIZORIU",     "Numărul de înregistrare va apărea pe pagina de urmărire.",
    "Urmăriți documentul:",
};

constexpr ReceiptLabels kHungarian{
    "Benyújtási igazolás",
    "Doboz",
    "Dátum és idő",
    "%Y.%m.%d. %H:%M",
    "Követési kód",
    "Iktatószám",
    "IDEIGLENES szám",
    "Az iktatószám a követési oldalon fog megjelenni.",
    "Kövesse nyomon a dokumentumát:",
};

constexpr ReceiptLabels kEnglish{
    "Proof of filing",       "Box",
    "Date and time",         "%Y-%m-%d %H:%M",
    "Tracking code",         "Registration number",
    "PROVISIONAL number",    "The registration number will appear on the tracking page.",
    "Follow your document:",
};

constexpr ReceiptLabels kCatalan{
    "Justificant de presentació",
    "Bústia",
    "Data i hora",
    "%d/%m/%Y %H:%M",
    "Codi de seguiment",
    "Número de registre",
    "Número PROVISIONAL",
    "El número de registre apareixerà a la pàgina de seguiment.",
    "Seguiu el vostre document:",
};

constexpr ReceiptLabels kSpanish{
    "Justificante de presentación",
    "Buzón",
    "Fecha y hora",
    "%d/%m/%Y %H:%M",
    "Código de seguimiento",
    "Número de registro",
    "Número PROVISIONAL",
    "El número de registro aparecerá en la página de seguimiento.",
    "Siga su documento:",
};

constexpr ReceiptLabels kPortuguese{
    "Comprovante de entrega",
    "Caixa",
    "Data e hora",
    "%d/%m/%Y %H:%M",
    "Código de acompanhamento",
    "Número de registro",
    "Número PROVISÓRIO",
    "O número de registro vai aparecer na página de acompanhamento.",
    "Acompanhe seu documento:",
};

}  // namespace

const ReceiptLabels& receipt_labels(std::string_view language) {
  if (language == "ro") return kRomanian;
  if (language == "hu") return kHungarian;
  if (language == "ca") return kCatalan;
  if (language == "es") return kSpanish;
  if (language == "pt") return kPortuguese;
  return kEnglish;
}

}  // namespace civicbox::escpos
