"""The words the demo data is made of: names, countries, cities, streets, campaign themes.

Kept apart from the SQL that draws from them so the generator reads as logic, not as lists. Every value is
fictional: e-mail addresses use the reserved ``.example`` top-level domain and the ``example.*`` domains, so
no generated address can reach a real person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    phone_prefix: str
    cities: tuple[str, str, str, str]


COUNTRIES: tuple[Country, ...] = (
    Country("DE", "49", ("Berlin", "Hamburg", "Munich", "Cologne")),
    Country("FR", "33", ("Paris", "Lyon", "Marseille", "Toulouse")),
    Country("GB", "44", ("London", "Manchester", "Bristol", "Leeds")),
    Country("IT", "39", ("Milan", "Rome", "Turin", "Bologna")),
    Country("ES", "34", ("Madrid", "Barcelona", "Valencia", "Seville")),
    Country("NL", "31", ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven")),
    Country("SE", "46", ("Stockholm", "Gothenburg", "Malmö", "Uppsala")),
    Country("PL", "48", ("Warsaw", "Kraków", "Wrocław", "Gdańsk")),
    Country("AT", "43", ("Vienna", "Graz", "Linz", "Salzburg")),
    Country("CH", "41", ("Zurich", "Geneva", "Basel", "Bern")),
    Country("BE", "32", ("Brussels", "Antwerp", "Ghent", "Liège")),
    Country("DK", "45", ("Copenhagen", "Aarhus", "Odense", "Aalborg")),
)

#: 1-based indexes into :data:`COUNTRIES`, repeated to weight the draw towards the bigger markets.
COUNTRY_WEIGHTS: tuple[int, ...] = (1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12)

FIRST_NAMES: tuple[str, ...] = (
    "Anna",
    "Lukas",
    "Sophie",
    "Maximilian",
    "Marie",
    "Jonas",
    "Emma",
    "Leon",
    "Chloé",
    "Hugo",
    "Léa",
    "Louis",
    "Olivia",
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Giulia",
    "Francesco",
    "Sofia",
    "Alessandro",
    "Lucía",
    "Diego",
    "Martina",
    "Pablo",
    "Daan",
    "Julia",
    "Sem",
    "Tess",
    "Elsa",
    "William",
    "Astrid",
    "Erik",
    "Zuzanna",
    "Jakub",
    "Hanna",
    "Antoni",
    "Lena",
    "Tobias",
    "Noah",
    "Mila",
    "Arthur",
    "Louise",
    "Freja",
    "Magnus",
    "Ida",
    "Mohammed",
    "Aylin",
    "Mehmet",
    "Priya",
    "Wei",
    "Yuki",
    "Amara",
)

LAST_NAMES: tuple[str, ...] = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "O'Brien",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "García",
    "Fernández",
    "López",
    "Martínez",
    "de Jong",
    "Jansen",
    "de Vries",
    "van Dijk",
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Gruber",
    "Huber",
    "Bauer",
    "Meier",
    "Keller",
    "Peeters",
    "Janssens",
    "Maes",
    "Nielsen",
    "Jensen",
    "Hansen",
    "Yılmaz",
    "Kaya",
    "Patel",
    "Chen",
    "Tanaka",
    "Okafor",
    "Novak",
    "Horvat",
    "Costa",
    "Silva",
    "Moreau",
)

EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com",
    "example.org",
    "example.net",
    "mail.example",
    "inbox.example",
    "post.example",
)

STREETS: tuple[str, ...] = (
    "Main Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Park Avenue",
    "High Street",
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Rue de la Paix",
    "Rue Victor Hugo",
    "Via Roma",
    "Via Garibaldi",
    "Calle Mayor",
    "Avenida del Sol",
    "Kerkstraat",
    "Dorpsstraat",
    "Storgatan",
    "Ulica Długa",
    "Ringstraße",
    "Grand-Place",
    "Strandvejen",
)

CAMPAIGN_THEMES: tuple[str, ...] = (
    "Spring Sale",
    "Summer Deals",
    "Back to School",
    "Autumn Collection",
    "Black Friday",
    "Winter Warmers",
    "New Arrivals",
    "Loyalty Rewards",
    "Flash Sale",
    "Win-back Offer",
    "Birthday Treat",
    "Clearance",
)


def sql_list(values: tuple[str, ...] | tuple[int, ...]) -> str:
    """A DuckDB list literal, e.g. ``['a', 'b']``; quotes are doubled so names like O'Brien survive."""
    items = (str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'" for v in values)
    return "[" + ", ".join(items) + "]"


def ascii_slug(name: str) -> str:
    """The lower-case ASCII letters of a name, for e-mail addresses: ``"O'Brien"`` -> ``"obrien"``."""
    folded = unicodedata.normalize("NFKD", name.replace("ı", "i").replace("ł", "l").replace("ß", "ss"))
    return re.sub("[^a-z]", "", folded.encode("ascii", "ignore").decode().lower())


#: Parallel to the name lists, so the same draw picks a name and its e-mail spelling.
FIRST_SLUGS: tuple[str, ...] = tuple(ascii_slug(n) for n in FIRST_NAMES)
LAST_SLUGS: tuple[str, ...] = tuple(ascii_slug(n) for n in LAST_NAMES)
