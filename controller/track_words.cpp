// The tracking page's words in the six languages of the kiosk. The terms follow ui/lang/*.toml
// (the receipt's "tracking code", "registration number", the kinds, the box's name) so the page
// says what the receipt says. Plain words, short sentences.
#include <array>

#include "controller/track_page.hpp"

namespace civicbox::controller {
namespace {

constexpr std::array<TrackWords, 6> kCatalog{{
    {
        .language = "ro",
        .name = "Română",
        .date_order = DateOrder::day_month_year_dots,
        .title = "Unde este documentul meu?",
        .tracking_code = "Cod de urmărire",
        .registration_number = "Număr de înregistrare",
        .number_pending = "Încă nu a fost dat: apare aici după ce primăria înregistrează "
                          "documentul.",
        .kind = "Document",
        .status = "Stare",
        .steps = "Ce s-a întâmplat",
        .times_in = "Orele sunt în {zone}.",
        .languages = "Limba",
        .no_personal_data = "Această pagină nu arată date personale.",
        .you_typed = "Ați scris",
        .ask_counter = "Pentru întrebări, mergeți la ghișeul primăriei cu bonul.",
        .received = {"Primit", "Documentul este în cutie. Primăria îl va înregistra în curând."},
        .registered = {"Înregistrat", "Primăria a înregistrat documentul."},
        .in_progress = {"În lucru", "Un funcționar lucrează la documentul dumneavoastră."},
        .resolved = {"Rezolvat",
                     "Documentul a fost rezolvat. Dacă aveți de ridicat un răspuns sau un "
                     "document, primăria vă anunță cum."},
        .rejected = {"Neacceptat",
                     "Primăria nu a putut accepta documentul. Întrebați la ghișeul primăriei "
                     "și arătați bonul."},
        .mistyped_code = {"Codul are o greșeală de scriere",
                          "Comparați-l cu bonul, caracter cu caracter, sau scanați din nou "
                          "codul QR de pe bon."},
        .malformed_code = {"Acesta nu este un cod de urmărire",
                           "Un cod de urmărire are 12 litere și cifre, ca pe bon, de exemplu "
                           "7K3M-Q9XR-2D4P."},
        .unknown_code = {"Niciun document nu are încă acest cod",
                         "Dacă l-ați depus chiar acum la o cutie fără rețea, încercați din nou "
                         "mai târziu."},
        .unavailable = {"Pagina nu poate fi afișată acum",
                        "Încercați din nou peste câteva minute."},
        .kind_request = "Cerere",
        .kind_complaint = "Reclamație sau petiție",
        .kind_form = "Formular",
        .kind_certificate_request = "Cerere de certificat",
        .kind_tax_declaration = "Declarație fiscală",
        .kind_other = "Alt document",
    },
    {
        .language = "hu",
        .name = "Magyar",
        .date_order = DateOrder::year_month_day,
        .title = "Hol tart a dokumentumom?",
        .tracking_code = "Követési kód",
        .registration_number = "Iktatószám",
        .number_pending = "Még nincs: itt jelenik meg, amikor a hivatal iktatja a "
                          "dokumentumot.",
        .kind = "Dokumentum",
        .status = "Állapot",
        .steps = "Mi történt eddig",
        .times_in = "Az időpontok {zone} szerint.",
        .languages = "Nyelv",
        .no_personal_data = "Ez az oldal nem mutat személyes adatot.",
        .you_typed = "Ezt írta be",
        .ask_counter = "Kérdéseivel forduljon a hivatal ügyfélszolgálatához, és vigye magával "
                       "az igazolást.",
        .received = {"Beérkezett", "A dokumentum a dobozban van. A hivatal hamarosan iktatja."},
        .registered = {"Iktatva", "A hivatal iktatta a dokumentumot."},
        .in_progress = {"Folyamatban", "Egy ügyintéző foglalkozik a dokumentumával."},
        .resolved = {"Elintézve",
                     "A dokumentumát elintézték. Ha választ vagy dokumentumot kell átvennie, "
                     "a hivatal értesíti, hogyan teheti meg."},
        .rejected = {"Nem fogadták el",
                     "A hivatal nem tudta elfogadni a dokumentumot. Kérdezzen az "
                     "ügyfélszolgálaton, és mutassa meg az igazolást."},
        .mistyped_code = {"A kódban elírás van",
                          "Hasonlítsa össze az igazolással karakterről karakterre, vagy "
                          "olvassa be újra az igazoláson lévő QR-kódot."},
        .malformed_code = {"Ez nem követési kód",
                           "A követési kód 12 betűből és számjegyből áll, ahogy az igazoláson "
                           "szerepel, például 7K3M-Q9XR-2D4P."},
        .unknown_code = {"Ehhez a kódhoz még nem tartozik dokumentum",
                         "Ha most adta be egy hálózat nélküli dobozban, próbálja újra később."},
        .unavailable = {"Az oldal most nem jeleníthető meg", "Próbálja újra néhány perc múlva."},
        .kind_request = "Kérelem",
        .kind_complaint = "Panasz vagy beadvány",
        .kind_form = "Nyomtatvány",
        .kind_certificate_request = "Igazolás kérése",
        .kind_tax_declaration = "Adóbevallás",
        .kind_other = "Egyéb dokumentum",
    },
    {
        .language = "en",
        .name = "English",
        .date_order = DateOrder::day_month_year_slashes,
        .title = "Where is my document?",
        .tracking_code = "Tracking code",
        .registration_number = "Registration number",
        .number_pending = "Not given yet: it appears here once the town hall registers your "
                          "document.",
        .kind = "Document",
        .status = "Status",
        .steps = "What has happened",
        .times_in = "Times are in {zone}.",
        .languages = "Language",
        .no_personal_data = "This page shows no personal data.",
        .you_typed = "You typed",
        .ask_counter = "For questions, go to the town hall's counter with your receipt.",
        .received = {"Received",
                     "Your document is in the box. The town hall will register it soon."},
        .registered = {"Registered", "The town hall has registered your document."},
        .in_progress = {"In progress", "A clerk is working on your document."},
        .resolved = {"Resolved",
                     "Your document has been dealt with. If there is an answer or a document "
                     "for you to collect, the town hall will tell you how."},
        .rejected = {"Not accepted",
                     "The town hall could not accept your document. Please ask at the town "
                     "hall's counter and show your receipt."},
        .mistyped_code = {"This code has a typing mistake",
                          "Compare it with your receipt, character by character, or scan the "
                          "QR code on the receipt again."},
        .malformed_code = {"This is not a tracking code",
                           "A tracking code has 12 letters and digits, as printed on your "
                           "receipt, for example 7K3M-Q9XR-2D4P."},
        .unknown_code = {"No document has this code yet",
                         "If you filed it just now at a box that was offline, try again later."},
        .unavailable = {"This page cannot be shown right now",
                        "Please try again in a few minutes."},
        .kind_request = "Request",
        .kind_complaint = "Complaint or petition",
        .kind_form = "Form",
        .kind_certificate_request = "Certificate request",
        .kind_tax_declaration = "Tax declaration",
        .kind_other = "Other document",
    },
    {
        .language = "ca",
        .name = "Català",
        .date_order = DateOrder::day_month_year_slashes,
        .title = "On és el meu document?",
        .tracking_code = "Codi de seguiment",
        .registration_number = "Número de registre",
        .number_pending = "Encara no n'hi ha: apareixerà aquí quan l'ajuntament registri el "
                          "document.",
        .kind = "Document",
        .status = "Estat",
        .steps = "Què ha passat",
        .times_in = "Les hores són en {zone}.",
        .languages = "Llengua",
        .no_personal_data = "Aquesta pàgina no mostra dades personals.",
        .you_typed = "Heu escrit",
        .ask_counter = "Per a qualsevol dubte, aneu a l'oficina d'atenció de l'ajuntament amb "
                       "el justificant.",
        .received = {"Rebut", "El document és a la bústia. L'ajuntament el registrarà aviat."},
        .registered = {"Registrat", "L'ajuntament ha registrat el document."},
        .in_progress = {"En tràmit", "Una persona de l'ajuntament treballa en el document."},
        .resolved = {"Resolt",
                     "El document s'ha resolt. Si heu de recollir una resposta o un document, "
                     "l'ajuntament us dirà com."},
        .rejected = {"No acceptat",
                     "L'ajuntament no ha pogut acceptar el document. Pregunteu a l'oficina "
                     "d'atenció i mostreu el justificant."},
        .mistyped_code = {"Aquest codi té un error d'escriptura",
                          "Compareu-lo amb el justificant, caràcter per caràcter, o torneu a "
                          "escanejar el codi QR del justificant."},
        .malformed_code = {"Això no és un codi de seguiment",
                           "Un codi de seguiment té 12 lletres i xifres, com al justificant, "
                           "per exemple 7K3M-Q9XR-2D4P."},
        .unknown_code = {"Encara cap document no té aquest codi",
                         "Si l'acabeu de presentar en una bústia sense connexió, torneu-ho a "
                         "provar més tard."},
        .unavailable = {"Ara no es pot mostrar aquesta pàgina",
                        "Torneu-ho a provar d'aquí a uns minuts."},
        .kind_request = "Sol·licitud",
        .kind_complaint = "Queixa o petició",
        .kind_form = "Formulari",
        .kind_certificate_request = "Sol·licitud de certificat",
        .kind_tax_declaration = "Declaració d'impostos",
        .kind_other = "Un altre document",
    },
    {
        .language = "es",
        .name = "Español",
        .date_order = DateOrder::day_month_year_slashes,
        .title = "¿Dónde está mi documento?",
        .tracking_code = "Código de seguimiento",
        .registration_number = "Número de registro",
        .number_pending = "Todavía no tiene: aparecerá aquí cuando el ayuntamiento registre su "
                          "documento.",
        .kind = "Documento",
        .status = "Estado",
        .steps = "Qué ha pasado",
        .times_in = "Las horas están en {zone}.",
        .languages = "Idioma",
        .no_personal_data = "Esta página no muestra datos personales.",
        .you_typed = "Ha escrito",
        .ask_counter = "Si tiene dudas, vaya a la ventanilla del ayuntamiento con su "
                       "justificante.",
        .received = {"Recibido",
                     "Su documento está en el buzón. El ayuntamiento lo registrará pronto."},
        .registered = {"Registrado", "El ayuntamiento ha registrado su documento."},
        .in_progress = {"En trámite", "Una persona del ayuntamiento trabaja en su documento."},
        .resolved = {"Resuelto",
                     "Su documento se ha resuelto. Si tiene que recoger una respuesta o un "
                     "documento, el ayuntamiento le dirá cómo."},
        .rejected = {"No aceptado",
                     "El ayuntamiento no ha podido aceptar su documento. Pregunte en la "
                     "ventanilla y muestre su justificante."},
        .mistyped_code = {"Este código tiene un error de escritura",
                          "Compárelo con su justificante, carácter por carácter, o vuelva a "
                          "escanear el código QR del justificante."},
        .malformed_code = {"Esto no es un código de seguimiento",
                           "Un código de seguimiento tiene 12 letras y cifras, como en su "
                           "justificante, por ejemplo 7K3M-Q9XR-2D4P."},
        .unknown_code = {"Todavía ningún documento tiene este código",
                         "Si lo acaba de presentar en un buzón sin conexión, vuelva a "
                         "intentarlo más tarde."},
        .unavailable = {"Ahora no se puede mostrar esta página",
                        "Vuelva a intentarlo dentro de unos minutos."},
        .kind_request = "Solicitud",
        .kind_complaint = "Queja o petición",
        .kind_form = "Formulario",
        .kind_certificate_request = "Solicitud de certificado",
        .kind_tax_declaration = "Declaración de impuestos",
        .kind_other = "Otro documento",
    },
    {
        .language = "pt",
        .name = "Português",
        .date_order = DateOrder::day_month_year_slashes,
        .title = "Onde está meu documento?",
        .tracking_code = "Código de acompanhamento",
        .registration_number = "Número de registro",
        .number_pending = "Ainda não tem: vai aparecer aqui quando a prefeitura registrar seu "
                          "documento.",
        .kind = "Documento",
        .status = "Situação",
        .steps = "O que aconteceu",
        .times_in = "Os horários estão em {zone}.",
        .languages = "Idioma",
        .no_personal_data = "Esta página não mostra dados pessoais.",
        .you_typed = "Você digitou",
        .ask_counter = "Em caso de dúvida, vá ao atendimento da prefeitura com seu comprovante.",
        .received = {"Recebido",
                     "Seu documento está na caixa. A prefeitura vai registrá-lo em breve."},
        .registered = {"Registrado", "A prefeitura registrou seu documento."},
        .in_progress = {"Em andamento",
                        "Uma pessoa da prefeitura está cuidando do seu "
                        "documento."},
        .resolved = {"Concluído",
                     "Seu documento foi resolvido. Se houver uma resposta ou um documento para "
                     "retirar, a prefeitura vai dizer como."},
        .rejected = {"Não aceito",
                     "A prefeitura não pôde aceitar seu documento. Pergunte no atendimento e "
                     "mostre seu comprovante."},
        .mistyped_code = {"Este código tem um erro de digitação",
                          "Compare com seu comprovante, caractere por caractere, ou leia de "
                          "novo o código QR do comprovante."},
        .malformed_code = {"Isto não é um código de acompanhamento",
                           "Um código de acompanhamento tem 12 letras e números, como no "
                           "comprovante, por exemplo 7K3M-Q9XR-2D4P."},
        .unknown_code = {"Nenhum documento tem este código ainda",
                         "Se você acabou de entregar numa caixa sem conexão, tente de novo "
                         "mais tarde."},
        .unavailable = {"Não é possível mostrar esta página agora",
                        "Tente de novo daqui a alguns minutos."},
        .kind_request = "Requerimento",
        .kind_complaint = "Reclamação ou petição",
        .kind_form = "Formulário",
        .kind_certificate_request = "Pedido de certidão",
        .kind_tax_declaration = "Declaração de impostos",
        .kind_other = "Outro documento",
    },
}};

}  // namespace

std::span<const TrackWords> track_catalog() {
  return kCatalog;
}

const TrackWords* track_words(std::string_view language) {
  for (const auto& words : kCatalog) {
    if (words.language == language) return &words;
  }
  return nullptr;
}

std::vector<std::pair<std::string_view, std::string_view>> phrases_of(const TrackWords& w) {
  return {
      {"language", w.language},
      {"name", w.name},
      {"title", w.title},
      {"tracking_code", w.tracking_code},
      {"registration_number", w.registration_number},
      {"number_pending", w.number_pending},
      {"kind", w.kind},
      {"status", w.status},
      {"steps", w.steps},
      {"times_in", w.times_in},
      {"languages", w.languages},
      {"no_personal_data", w.no_personal_data},
      {"you_typed", w.you_typed},
      {"ask_counter", w.ask_counter},
      {"state.received.name", w.received.name},
      {"state.received.meaning", w.received.meaning},
      {"state.registered.name", w.registered.name},
      {"state.registered.meaning", w.registered.meaning},
      {"state.in_progress.name", w.in_progress.name},
      {"state.in_progress.meaning", w.in_progress.meaning},
      {"state.resolved.name", w.resolved.name},
      {"state.resolved.meaning", w.resolved.meaning},
      {"state.rejected.name", w.rejected.name},
      {"state.rejected.meaning", w.rejected.meaning},
      {"problem.mistyped_code.title", w.mistyped_code.title},
      {"problem.mistyped_code.help", w.mistyped_code.help},
      {"problem.malformed_code.title", w.malformed_code.title},
      {"problem.malformed_code.help", w.malformed_code.help},
      {"problem.unknown_code.title", w.unknown_code.title},
      {"problem.unknown_code.help", w.unknown_code.help},
      {"problem.unavailable.title", w.unavailable.title},
      {"problem.unavailable.help", w.unavailable.help},
      {"kind.request", w.kind_request},
      {"kind.complaint", w.kind_complaint},
      {"kind.form", w.kind_form},
      {"kind.certificate_request", w.kind_certificate_request},
      {"kind.tax_declaration", w.kind_tax_declaration},
      {"kind.other", w.kind_other},
  };
}

}  // namespace civicbox::controller
