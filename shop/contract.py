"""DATA-CONTRACT.md as data: log types, fields, aliases, enums and ranges.

Everything that reads, validates, templates or documents a log takes its
definitions from here, so the contract is written down once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Field kinds. Each maps to one parser in etl/validate.py.
DATE, CODE, ENUM, MULTI, YESNO, INT, NUMBER, TEXT = (
    "date", "code", "enum", "multi_enum", "yes_no", "integer", "number", "text")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = False
    values: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    max_len: int | None = None
    aliases: tuple[str, ...] = ()
    default: str | None = None
    rule: str = ""
    unit: str = ""                    # minutes: time and duration cells (h:mm) become minutes

    @property
    def column(self) -> str:
        """The column name in core: yes/no fields become is_*."""
        if self.kind == YESNO:
            return "is_" + self.name
        return "person_key" if self.kind == CODE else self.name


@dataclass(frozen=True)
class LogType:
    name: str
    title: str
    grain: str
    fields: tuple[Field, ...]
    aliases: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def date_field(self) -> Field:
        return self.fields[[f.kind for f in self.fields].index(DATE)]


def _f(name, kind, required=False, values="", lo=None, hi=None, max_len=None,
       aliases="", default=None, rule="", unit=""):
    return Field(name, kind, required, tuple(values.split()), lo, hi, max_len,
                 tuple(aliases.split(",")) if aliases else (), default, rule, unit)


OUTREACH_MODES = "street drop_in online phone_text escort_agency safe_suite court hospital other"
SERVICES = ("one_to_one crisis_intervention court_accompaniment health_navigation family_support "
            "child_apprehension_support work_safe_education harm_reduction_education bad_date_report "
            "shower laundry clothing_room toiletries internet_access meal other")
CHANNELS = ("drop_in street_outreach online_request escort_agency safe_suite friday_network "
            "community_event other")
ITEMS = ("external_condom internal_condom lubricant dental_dam naloxone_kit safer_injection_kit "
         "safer_smoking_kit sharps_container pregnancy_test hygiene_kit clothing other")
REFERRAL_TYPES = ("hiv_testing_care hcv_testing_care sti_testing primary_care mental_health "
                  "substance_use_treatment detox housing shelter income_assistance legal "
                  "victim_services family_child_services exiting_support missing_persons_police "
                  "employment_education other")
INCIDENTS = ("physical_assault sexual_assault robbery_theft refused_payment condom_refusal "
             "threats_harassment stalking drugging other")
SCOPES = "all outreach supplies referrals safe_suite friday_network bad_dates education"

LOG_TYPES: dict[str, LogType] = {lt.name: lt for lt in [
    LogType("outreach", "Outreach contacts", "one row per contact with a person or an anonymous contact", (
        _f("contact_date", DATE, True, aliases="date"),
        _f("client_code", CODE, aliases="client,code,id", rule="blank = anonymous contact"),
        _f("contact_mode", ENUM, True, OUTREACH_MODES, aliases="mode,type"),
        _f("worker_group", ENUM, False, "outdoor indoor online exited unknown", aliases="group",
           default="unknown", rule="unknown (default)"),
        _f("new_contact", YESNO, aliases="new", rule="first contact with SHOP"),
        _f("services", MULTI, False, SERVICES, aliases="service"),
        _f("minutes", INT, lo=0, hi=1440, aliases="duration", unit="minutes"),
    )),
    LogType("supplies", "Harm-reduction supplies", "one row per hand-out of one item", (
        _f("dist_date", DATE, True, aliases="date"),
        _f("channel", ENUM, True, CHANNELS),
        _f("item", ENUM, True, ITEMS, aliases="supply"),
        _f("quantity", INT, True, lo=1, hi=10000, aliases="qty,count"),
        _f("client_code", CODE, rule="blank = anonymous (online requests usually are)"),
    )),
    LogType("referrals", "Referrals", "one row per referral", (
        _f("referral_date", DATE, True, aliases="date"),
        _f("client_code", CODE),
        _f("referral_type", ENUM, True, REFERRAL_TYPES, aliases="type"),
        _f("referred_to", TEXT, max_len=80, aliases="agency", rule="an organisation, at most 80 characters"),
        _f("status", ENUM, True, "made attended not_attended declined pending", aliases="outcome"),
        _f("status_date", DATE, rule="not before referral_date"),
    )),
    LogType("suite_stays", "Safe Suite stays", "one row per stay, identified by (client_code, check_in)", (
        _f("client_code", CODE, True),
        _f("check_in", DATE, True),
        _f("check_out", DATE, rule="blank = still staying; not before check_in"),
        _f("referral_source", ENUM, False, "self outreach police hospital agency other"),
        _f("exit_destination", ENUM, False, "returned_home housing treatment shelter family other unknown"),
    ), aliases=("suite stays", "safe suite stays", "stays")),
    LogType("suite_requests", "Safe Suite requests", "one row per request for the Safe Suite, met or not", (
        _f("request_date", DATE, True, aliases="date"),
        _f("client_code", CODE),
        _f("outcome", ENUM, True, "admitted full not_eligible withdrawn"),
    ), aliases=("suite requests", "safe suite requests")),
    LogType("friday_network", "Friday Afternoon Network", "one row per attendee of a Friday session", (
        _f("session_date", DATE, True, aliases="date",
           rule="normally a Friday; another weekday is loaded with a warning"),
        _f("client_code", CODE, rule="blank = attendee who gave no code"),
        _f("attendee_group", ENUM, True, "alumni indoor outdoor guest", aliases="group"),
        _f("event", TEXT, max_len=80, rule="the session's special event, if any, at most 80 characters"),
    ), aliases=("friday network", "friday afternoon network", "friday")),
    LogType("bad_dates", "Bad date reports", "one row per bad date report (aggregate use only)", (
        _f("report_date", DATE, True, aliases="date"),
        _f("incident_date", DATE, rule="not after report_date"),
        _f("incident_type", MULTI, True, INCIDENTS, aliases="type"),
        _f("work_setting", ENUM, False, "street incall outcall vehicle online_arranged other", aliases="setting"),
        _f("reported_to_police", YESNO, aliases="police"),
        _f("alert_circulated", YESNO, aliases="alert"),
    ), aliases=("bad date", "bad date reports")),
    LogType("education", "Community education", "one row per community education session", (
        _f("session_date", DATE, True, aliases="date"),
        _f("audience", ENUM, True, "youth_school post_secondary community_group business police "
           "landlords_housing health_social_services other"),
        _f("topic", ENUM, True, "sex_work_awareness human_trafficking safer_sex harm_reduction other"),
        _f("attendees", INT, True, lo=0, hi=5000, aliases="count"),
    )),
    LogType("targets", "Funder targets", "one row per fiscal year and indicator", (
        _f("fiscal_year", TEXT, True, max_len=9, rule="FY2025-26: the year that starts in 2025"),
        _f("indicator", TEXT, True, max_len=60, rule="an indicator id the dashboard defines"),
        _f("target", NUMBER, True, lo=0, rule=">= 0"),
    )),
    LogType("annotations", "Annotations", "one row per note of program context", (
        _f("start_date", DATE, True),
        _f("end_date", DATE, rule="blank = one day; not before start_date"),
        _f("scope", ENUM, False, SCOPES, default="all"),
        _f("note", TEXT, True, max_len=120, rule="about the program, never about a person"),
    )),
]}

# Header words that name a direct identifier: a file with such a column is refused. Headers are
# split into words (camelCase, punctuation); `compact` forms are the header's letters with the
# number marks (`#`, `no.`, `num`) removed, so `D.O.B.`, `Tel #` and `Health card no.` are caught.
IDENTIFIER_WORDS = {"name", "names", "firstname", "lastname", "surname", "fullname", "nickname",
                    "dob", "birthdate", "dateofbirth", "birthday", "bday", "birth", "born", "phone",
                    "phones", "telephone", "tel", "cell", "cellphone", "mobile", "fax", "email",
                    "mail", "address", "addr", "postal", "postcode", "zip", "zipcode", "healthnumber",
                    "phn", "carecard", "msp", "sin", "licenceplate", "licenseplate", "plate", "notes",
                    "note", "comment", "comments", "description", "remarks"}
IDENTIFIER_PHRASES = ("firstname", "lastname", "fullname", "givenname", "clientname", "dateofbirth",
                      "birthdate", "phonenumber", "telephone", "phoneno", "emailaddress", "email",
                      "healthnumber", "healthcard", "carecard", "personalhealth", "medicalservicesplan",
                      "healthinsurance", "socialinsurance", "licenceplate", "licenseplate", "driverslicen",
                      "streetaddress", "homeaddress", "mailingaddress", "postalcode", "postcode",
                      "zipcode")
IDENTIFIER_COMPACT = {"dob", "tel", "telno", "ph", "phno", "phone", "cell", "hc", "hcn", "msp", "phn",
                      "sin", "addr", "address", "pc", "email", "bd"}

# Names staff give files and sheets -> the log types they may mean. A name that fits one type is
# read as that type; one that fits several (the suite keeps two logs) is decided by its header.
# Compared like headers, at the start of the name and ending at a word boundary.
NAME_ALIASES: dict[str, tuple[str, ...]] = {
    "contacts": ("outreach",), "outreach contacts": ("outreach",), "street outreach": ("outreach",),
    "supply": ("supplies",), "harm reduction supplies": ("supplies",), "hr supplies": ("supplies",),
    "distribution": ("supplies",), "handouts": ("supplies",),
    "referral": ("referrals",),
    "suite": ("suite_stays", "suite_requests"), "safe suite": ("suite_stays", "suite_requests"),
    "the suite": ("suite_stays", "suite_requests"),
    "stays": ("suite_stays",), "suite stays": ("suite_stays",), "safe suite stays": ("suite_stays",),
    "guest stays": ("suite_stays",), "occupancy": ("suite_stays",),
    "requests": ("suite_requests",), "suite requests": ("suite_requests",),
    "safe suite requests": ("suite_requests",), "turnaways": ("suite_requests",),
    "friday": ("friday_network",), "friday network": ("friday_network",),
    "friday afternoon network": ("friday_network",), "friday dinner": ("friday_network",),
    "friday dinners": ("friday_network",), "dinner": ("friday_network",), "dinners": ("friday_network",),
    "fan": ("friday_network",), "shop dinner": ("friday_network",), "shop dinners": ("friday_network",),
    "bad date": ("bad_dates",), "bad date reports": ("bad_dates",), "bdr": ("bad_dates",),
    "bad dates": ("bad_dates",),
    "community education": ("education",), "presentations": ("education",),
    "workshops": ("education",), "education sessions": ("education",),
    "target": ("targets",), "deliverables": ("targets",),
    "annotation": ("annotations",), "program notes": ("annotations",),
}


def norm_header(text: str) -> str:
    """Header comparison key: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


_UNIT = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*")


def split_unit(header: str) -> tuple[str, str]:
    """(field part, unit) of a header: text in brackets is a unit (`Minutes (mins)`, `Qty [units]`)."""
    text = str(header)
    units = _UNIT.findall(text)
    return _UNIT.sub(" ", text).strip(), " ".join(u.strip() for u in units)


def norm_enum(text: str) -> str:
    """Enum comparison key: spaces, hyphens and slashes read as underscores."""
    return re.sub(r"[\s\-/]+", "_", str(text).strip().lower()).strip("_")


def header_map(log_type: LogType) -> dict[str, str]:
    """Normalised header or alias -> field name."""
    out = {}
    for f in log_type.fields:
        for h in (f.name, *f.aliases):
            out.setdefault(norm_header(h), f.name)
    return out


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(text))
    return [w for w in re.split(r"[^0-9a-z]+", spaced.lower()) if w]


def identifier_header(header: str) -> bool:
    """True when a column header names a direct identifier (name, phone, D.O.B., Tel #, ...)."""
    words = _words(header)
    joined = "".join(words)
    compact = re.sub(r"(no|num|number|nbr)$", "", joined) if len(joined) > 3 else joined
    return (any(w in IDENTIFIER_WORDS for w in words) or any(p in joined for p in IDENTIFIER_PHRASES)
            or joined in IDENTIFIER_COMPACT or compact in IDENTIFIER_COMPACT)


def _starts_with_name(name: str, alias: str) -> bool:
    """The name begins with the alias, compared like headers, ending where a word ends."""
    words = _words(name)
    key = norm_header(alias)
    acc = ""
    for w in words:
        acc += w
        if acc == key:
            return True
        if len(acc) >= len(key):
            break
    # Run-together names (`FridayNetwork2025`, `suppliesmarch`) still start with a long type name.
    return len(key) >= 6 and norm_header(name).startswith(key)


def log_types_named(name: str) -> tuple[str, ...]:
    """The log types a file or sheet name may mean (its longest matching start); () when none. A
    copy's prefix is not part of it (`Copy of outreach_2025-05.csv`, as Windows and Drive name it)."""
    name = re.sub(r"^(copy(\s*\(\d+\))?\s+of\s+)+", "", name, flags=re.I)
    best: tuple[int, tuple[str, ...]] = (0, ())
    names = [(n, (lt.name,)) for lt in LOG_TYPES.values() for n in (lt.name, *lt.aliases)]
    for alias, types in names + list(NAME_ALIASES.items()):
        k = len(norm_header(alias))
        if k > best[0] and _starts_with_name(name, alias):
            best = (k, types)
    return best[1]


def log_type_for(name: str) -> LogType | None:
    """The one log type a file or sheet name starts with, compared like headers; None when the
    name gives none or several."""
    types = log_types_named(name)
    return LOG_TYPES[types[0]] if len(types) == 1 else None

# The indicator ids of the contract ("Indicators"); metrics/indicators.py defines each one.
INDICATOR_IDS = (
    "outreach.contacts", "outreach.people", "outreach.anonymous_contacts", "outreach.new_people",
    "outreach.support_hours", "supplies.units", "supplies.naloxone_kits", "supplies.condoms",
    "supplies.online_units", "referrals.made", "referrals.people", "referrals.attended",
    "referrals.completion_rate", "suite.stays", "suite.guest_nights", "suite.people",
    "suite.occupancy_rate", "suite.turnaways_full", "friday.sessions", "friday.attendance",
    "friday.people", "friday.avg_attendance", "friday.alumni_attendance", "bad_dates.reports",
    "bad_dates.reported_to_police", "education.sessions", "education.attendees", "program.people",
)
