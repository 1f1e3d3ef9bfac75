"""A realistic Consolidated Screening List file of any size, for benchmarks (today's column layout).

    from benchmarks.csl_generate import generate_csl
    generate_csl("/tmp/csl.csv", n=30000, seed=7)

Names follow the patterns of the real list: Chinese companies (city, trade name, trade, legal form,
often a place in parentheses), Russian companies (OOO/AO forms in transliteration), Iranian companies,
trading companies in the Gulf, Turkey, Hong Kong and South-East Asia, and persons in the list's
`SURNAME, Given` style; many with aliases. The real entries of the test fixtures are included as well.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Callable
from pathlib import Path


def words(text: str) -> tuple[str, ...]:
    """The words of a vocabulary written as one string."""
    return tuple(text.split())


FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "screening"
COLUMNS = words(
    "_id source entity_number type programs name title addresses federal_register_notice start_date end_date "
    "standard_order license_requirement license_policy call_sign vessel_type gross_tonnage "
    "gross_registered_tonnage vessel_flag vessel_owner remarks source_list_url alt_names citizenships "
    "dates_of_birth nationalities places_of_birth source_information_url ids"
)

SOURCES = (
    ("Entity List (EL) - Bureau of Industry and Security", 40),
    ("Specially Designated Nationals (SDN) - Treasury Department", 30),
    ("Sectoral Sanctions Identifications List (SSI) - Treasury Department", 5),
    ("Military End User (MEU) List - Bureau of Industry and Security", 3),
    ("Unverified List (UVL) - Bureau of Industry and Security", 4),
    ("Denied Persons List (DPL) - Bureau of Industry and Security", 5),
    ("ITAR Debarred (DTC) - State Department", 5),
    ("Nonproliferation Sanctions (ISN) - State Department", 3),
    ("Foreign Sanctions Evaders (FSE) - Treasury Department", 2),
    ("Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department", 3),
)


EL_URL = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list"

PINYIN = words(
    "hua xin zhong ke tian guo hai kang wei shi da heng tong yuan long jin bao sheng fei teng xun lian "
    "rui jie an bo chuang ling ying jia cheng de feng hong kai li mei nan qi shen tai wan xiang yi yu "
    "zhi chen guang ming sai lan hao yun fang run ding xing hui ao bai bin can ce chang chao dian dong "
    "duo en fu gang gao ge gong han he heng hu huan ji jian jiang jing ju jun kun lei liang lin lu luo "
    "mao meng min mu neng ning ou pan peng ping pu qian qiang qing quan ren rong sen shan shang shu "
    "si song su tao ting wen xi xia xiao xu xuan ya yan yang yao ye yin yong you ze zhan zhao zhen zheng "
    "zhou zhu zi zong zun"
)
CN_CITIES = (
    ("Beijing", "CN"),
    ("Shanghai", "CN"),
    ("Shenzhen", "CN"),
    ("Guangzhou", "CN"),
    ("Tianjin", "CN"),
    ("Chengdu", "CN"),
    ("Wuhan", "CN"),
    ("Hangzhou", "CN"),
    ("Nanjing", "CN"),
    ("Xian", "CN"),
    ("Suzhou", "CN"),
    ("Wuxi", "CN"),
    ("Changsha", "CN"),
    ("Hefei", "CN"),
    ("Dalian", "CN"),
    ("Harbin", "CN"),
    ("Chongqing", "CN"),
    ("Xiamen", "CN"),
    ("Hong Kong", "HK"),
    ("Dongguan", "CN"),
)
CN_TRADES = (
    "Technology",
    "Electronics Technology",
    "Information Technology",
    "Intelligent Technology",
    "Semiconductor",
    "Microelectronics",
    "Trading",
    "Import and Export",
    "International Trade",
    "Optoelectronics",
    "Precision Machinery",
    "New Material",
    "Aerospace Technology",
    "Communication Technology",
    "Network Technology",
    "Computing Technology",
    "Electronic Components",
    "Science and Technology",
    "Industrial",
    "Logistics",
    "Instrument",
    "Integrated Circuit",
)
CN_FORMS = ("Co., Ltd.", "Co. Ltd", "Limited", "Company Limited", "Corporation", "Group Co., Ltd.", "Co., Limited")
RU_HEADS = words(
    "TEKH PROM ENERGO AVIA RADIO ELEKTRO MIKRO OPTO STROI NEFTE GAZ SPETS SIB URAL VOLGA MASH SEVER "
    "KOMPOZIT ROS ALMAZ KRIO LAZER TITAN AERO AGRO AKVA ARKTIK BALT BIO DAL DON GIDRO GEO KAM KRAS "
    "KUBAN LEN METALL MOS NEVA NOVO OKA POLI PRIBOR SAMARA SVYAZ TERM TRUBO VOSTOK YUG ZAPAD"
)
RU_TAILS = words(
    "SERVIS INVEST KOMPLEKT SNAB TEKH PROM RESURS INZHINIRING PRIBOR SISTEMA AVTOMATIKA ELEKTRONIKA "
    "TRANS STROI MONTAZH TORG DETAL PRIVOD LOGISTIK KONTRAKT PROEKT REMONT SINTEZ SPLAV FLOT KHIM "
    "LIT METALL OPTIKA RADAR SVYAZ TEKHNIKA ZAPCHAST POSTAVKA ENERGIYA"
)
RU_CITIES = (
    ("Moscow", "RU"),
    ("Saint Petersburg", "RU"),
    ("Novosibirsk", "RU"),
    ("Yekaterinburg", "RU"),
    ("Kazan", "RU"),
    ("Samara", "RU"),
    ("Nizhny Novgorod", "RU"),
    ("Minsk", "BY"),
)
IR_WORDS = words(
    "PARS KAVEH TAVAN SEPEHR ARYA SINA FARAYAND RAAD HAMOON KISH MEHR PISHGAMAN BEHSAZ FANAVAR ANDISHEH "
    "SAMAN TADBIR NEGIN AZAR PAYA ROSHAN NOOR KAVOSH ALBORZ ARVAND ATLAS BAHAR BARAN DAMAVAND DENA "
    "ELM FAJR FARZAN GOLSHAN HAFEZ JAHAN KARUN KHAZAR KOOSHA LIAN MAHAN MAJD NASR NIKAN OMID PARSIAN "
    "PAYAM POUYA RAHBAR RASTIN SABA SADRA SAHAND SEPANTA SHAYAN SOROUSH TABAN TOOS VARAMIN YAS ZAGROS "
    "ZARRIN ZAMAN NAVID MOJ ASIA AFRA ARMAN BEHRAD DORNA FARDIS GOHAR HIRAD IMEN JAVID KIAN"
)
IR_TRADES = ("SANAYE", "INDUSTRIES", "TRADING COMPANY", "TEJARAT", "ELECTRONIC", "ENGINEERING", "ENERGY", "GROUP")
IR_CITIES = (("Tehran", "IR"), ("Isfahan", "IR"), ("Shiraz", "IR"), ("Tabriz", "IR"), ("Mashhad", "IR"))
OTHER_WORDS = words(
    "Falcon Crescent Orient Horizon Apex Summit Zenith Atlas Vega Nova Delta Sigma Titan Eagle Phoenix Golden "
    "Silver Royal Star Oasis Pearl Emerald Sapphire Coral Mega Prime Unity Vertex Nexus Onyx Cobalt Acacia "
    "Admiral Albatross Amber Anchor Aquila Arcadia Arrow Aspen Aurora Avalon Azure Baltic Beacon Birch Bluebird "
    "Boreal Cardinal Cedar Citadel Comet Condor Cypress Dolphin Dragon Dune Ember Everest Fortune Galaxy Garnet "
    "Glacier Granite Harbor Hawk Helix Heron Indigo Iris Jade Jasmine Jupiter Kestrel Lagoon Lotus Lynx Magnolia "
    "Mariner Meridian Mistral Monarch Neptune Nimbus Obsidian Olympus Orchid Osprey Pinnacle Polaris Quartz "
    "Radiant Raven Redwood Sahara Saturn Sentinel Sequoia Sierra Solaris Spectrum Stallion Sterling Tiger"
)
OTHER_FORMS = (
    ("General Trading LLC", "AE", "Dubai"),
    ("FZE", "AE", "Sharjah"),
    ("FZCO", "AE", "Dubai"),
    ("Electronics Limited", "HK", "Hong Kong"),
    ("Dis Ticaret Limited Sirketi", "TR", "Istanbul"),
    ("Sdn. Bhd.", "MY", "Kuala Lumpur"),
    ("Pte. Ltd.", "SG", "Singapore"),
    ("Trading Co.", "TH", "Bangkok"),
    ("Technology Limited", "HK", "Hong Kong"),
    ("Logistics LLC", "AM", "Yerevan"),
)
SURNAMES = {
    "CN": words(
        "WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO HE LIN GAO LUO ZHENG LIANG XIE "
        "SONG TANG HAN FENG DENG CAO PENG ZENG XIAO TIAN DONG PAN YUAN CAI JIANG YU DU YE CHENG WEI SU LU DING"
    ),
    "RU": words(
        "IVANOV PETROV SIDOROV SMIRNOV KUZNETSOV POPOV SOKOLOV LEBEDEV KOZLOV NOVIKOV MOROZOV VOLKOV SOLOVYOV "
        "VASILYEV ZAYTSEV PAVLOV SEMYONOV GOLUBEV VINOGRADOV BOGDANOV VOROBYOV FYODOROV MIKHAYLOV BELYAYEV "
        "TARASOV BELOV KOMAROV ORLOV KISELYOV MAKAROV ANDREYEV KOVALYOV ILYIN GUSEV TITOV KUZMIN KUDRYAVTSEV"
    ),
    "IR": words(
        "AHMADI HOSSEINI MOHAMMADI REZAEI MOUSAVI KARIMI JAFARI RAHIMI HASHEMI SADEGHI NAJAFI GHASEMI "
        "EBRAHIMI AKBARI SALEHI BAGHERI MORADI ZAREI HEIDARI SHARIFI KAZEMI RAHMANI ABBASI TAHERI SOLEIMANI "
        "NOURI FARAHANI AMINI KHALILI JAHANGIRI MALEKI ESMAEILI ROSTAMI"
    ),
    "AR": words(
        "AL-HASSAN AL-SAYED ABU-KHALIL AL-RASHID HADDAD NASSER SALEH AL-MASRI KHOURY AL-AMIN AL-ZOUBI "
        "AL-HAKIM MANSOUR ABDALLAH AL-TIKRITI HAMDAN AL-OBEIDI SHEHADEH BARAKAT AL-JABOURI QASIM AL-KHATIB "
        "YASSIN AL-SHAMI DARWISH AL-HUSSEINI ISSA AWAD AL-MAJID ZAKARIA"
    ),
    "US": words(
        "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ LOPEZ HERNANDEZ GONZALEZ "
        "WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON WHITE HARRIS SANCHEZ CLARK "
        "RAMIREZ LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT TORRES NGUYEN HILL FLORES"
    ),
}
GIVEN = {
    "CN": words("Wei Fang Jun Lei Min Jing Hao Yan Tao Qiang Xin Yong Hui Ling Bo Gang Ping Xiu Ying Jian Hong Dan"),
    "RU": words(
        "Sergei Dmitry Andrei Alexei Igor Oleg Vladimir Nikolai Yuri Pavel Mikhail Ivan Anatoly Boris Viktor "
        "Yevgeny Konstantin Roman Denis Artem Olga Natalia Elena Tatiana Irina"
    ),
    "IR": words("Mohammad Ali Reza Hossein Mehdi Hamid Saeed Javad Amir Majid Hassan Mahmoud Abbas Farhad Kamran"),
    "AR": words("Mohammed Ahmad Khaled Omar Ibrahim Yusuf Hassan Samir Walid Nabil Tariq Faisal Ziad Bassam Rami"),
    "US": words("John Michael David Robert James Maria Linda Carlos Jose Daniel Thomas Steven Kevin Brian Susan Karen"),
}
PERSON_PLACES = {
    "CN": ("Beijing", "CN"),
    "RU": ("Moscow", "RU"),
    "IR": ("Tehran", "IR"),
    "AR": ("Damascus", "SY"),
    "US": ("Miami", "US"),
}

Name = tuple[str, list[str], str]  # name, aliases, address


def chinese(rng: random.Random) -> Name:
    core = "".join(rng.sample(PINYIN, 2)).capitalize()
    city, cc = rng.choice(CN_CITIES)
    trade = rng.choice(CN_TRADES)
    form = rng.choice(CN_FORMS)
    style = rng.random()
    if style < 0.5:
        name = f"{city} {core} {trade} {form}"
    elif style < 0.8:
        name = f"{core} {trade} ({city}) {form}"
    else:
        name = f"{core} {trade} {form}"
    aliases = []
    if rng.random() < 0.5:
        aliases.append(f"{core} {trade}")
    if rng.random() < 0.3:
        aliases.append(core)
    if rng.random() < 0.15:
        aliases.append(f"{core} ({rng.choice(['Hong Kong', 'HK'])}) {rng.choice(['Limited', 'Co., Ltd.'])}")
    return name, aliases, f"{city}, {cc}"


def russian(rng: random.Random) -> Name:
    core = rng.choice(RU_HEADS) + rng.choice(RU_TAILS)
    if rng.random() < 0.3:
        core = f"{core}-{rng.choice(['M', 'K', 'T', 'S', 'PLUS', 'GROUP', 'TSENTR'])}"
    city, cc = rng.choice(RU_CITIES)
    forms = (
        f"{core}, OOO",
        f"AO {core}",
        f"OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU '{core}'",
        f"{core} LLC",
        f"JOINT STOCK COMPANY {core}",
        f"NPO {core}",
        f"{core} ZAVOD, AO",
    )
    name, *rest = rng.sample(forms, 3)
    aliases = rest[: rng.randint(0, 2)]
    if rng.random() < 0.3:
        aliases.append(core.replace("KH", "CH").replace("Y", "I"))
    return name, aliases, f"{city}, {cc}"


def iranian(rng: random.Random) -> Name:
    words = rng.sample(IR_WORDS, rng.randint(1, 2))
    trade = rng.choice(IR_TRADES)
    city, cc = rng.choice(IR_CITIES)
    core = " ".join(words)
    name = f"{core} {trade}"
    aliases = [f"SHERKAT-E {core}"] if rng.random() < 0.4 else []
    if rng.random() < 0.3:
        aliases.append(f"{core} {rng.choice(IR_TRADES)} CO")
    return name, aliases, f"{city}, {cc}"


def other(rng: random.Random) -> Name:
    core = " ".join(rng.sample(OTHER_WORDS, rng.randint(1, 2)))
    form, cc, city = rng.choice(OTHER_FORMS)
    aliases = [f"{core} {rng.choice(['Trading', 'Electronics', 'Group'])}"] if rng.random() < 0.3 else []
    return f"{core} {form}", aliases, f"{city}, {cc}"


def person(rng: random.Random) -> Name:
    culture = rng.choice(list(SURNAMES))
    surname = rng.choice(SURNAMES[culture])
    given = " ".join(rng.sample(GIVEN[culture], rng.randint(1, 2)))
    aliases = []
    if rng.random() < 0.3:
        aliases.append(f"{surname}, {given.split()[0]}")
    if rng.random() < 0.2:
        aliases.append(f"{given} {surname}".upper())
    city, cc = PERSON_PLACES[culture]
    name = f"{surname}, {given}" if rng.random() < 0.7 else f"{given} {surname}"
    return name, aliases, f"{city}, {cc}"


MAKERS: tuple[tuple[Callable[[random.Random], Name], int], ...] = (
    (chinese, 40),
    (russian, 20),
    (iranian, 10),
    (other, 12),
    (person, 18),
)


def random_name(rng: random.Random) -> Name:
    """A name, its aliases and an address, drawn like the list's own."""
    makers, weights = zip(*MAKERS, strict=True)
    return rng.choices(makers, weights)[0](rng)


def fixture_rows() -> list[dict[str, str]]:
    """The real entries of the test fixtures, in today's layout."""
    rows: list[dict[str, str]] = []
    for file in ("csl_ai_entities.csv", "csl_sample.csv"):
        with (FIXTURES / file).open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                row.setdefault("_id", hashlib.sha224(repr(sorted(row.items())).encode()).hexdigest())
                rows.append({column: row.get(column) or "" for column in COLUMNS})
    return rows


def generate_csl(
    path: str | Path, n: int = 30000, seed: int = 20240101, extra: list[dict[str, str]] | None = None
) -> int:
    """Write `n` entries to `path`: the fixtures' real entries and the `extra` rows (all of them, even past
    `n`), then generated ones; return the number written."""
    rng = random.Random(seed)
    rows = fixture_rows() + list(extra or [])
    sources, weights = zip(*SOURCES, strict=True)
    while len(rows) < n:
        name, aliases, address = random_name(rng)
        source = rng.choices(sources, weights)[0]
        start = f"{rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        end = ""
        if "Denied Persons" in source or rng.random() < 0.04:
            end = f"{int(start[:4]) + rng.randint(1, 12)}{start[4:]}"
        notice = f"{rng.randint(60, 90)} FR {rng.randint(1000, 99999)}" if rng.random() < 0.8 else ""
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            _id=hashlib.sha224(f"{seed}-{len(rows)}".encode()).hexdigest(),
            source=source,
            name=name,
            addresses=address,
            federal_register_notice=notice,
            start_date=start,
            end_date=end,
            source_list_url=EL_URL,
            alt_names="; ".join(dict.fromkeys(a for a in aliases if a != name)),
        )
        rows.append(row)
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
