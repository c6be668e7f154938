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
       aliases="", default=None, rule=""):
    return Field(name, kind, required, tuple(values.split()), lo, hi, max_len,
                 tuple(aliases.split(",")) if aliases else (), default, rule)


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
        _f("minutes", INT, lo=0, hi=1440, aliases="duration"),
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

# Header words that name a direct identifier: a file with such a column is refused.
IDENTIFIER_WORDS = {"name", "names", "firstname", "lastname", "surname", "fullname", "dob",
                    "birthdate", "dateofbirth", "birthday", "phone", "telephone", "cell", "mobile",
                    "email", "mail", "address", "healthnumber", "phn", "carecard", "sin",
                    "licenceplate", "licenseplate", "plate", "notes", "note", "comment",
                    "comments", "description", "remarks"}
IDENTIFIER_PHRASES = ("firstname", "lastname", "fullname", "dateofbirth", "birthdate",
                      "phonenumber", "emailaddress", "healthnumber", "licenceplate",
                      "licenseplate", "streetaddress", "homeaddress")


def norm_header(text: str) -> str:
    """Header comparison key: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


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


def identifier_header(header: str) -> bool:
    """True when a column header names a direct identifier (name, phone, notes, ...)."""
    words = [w for w in re.split(r"[^0-9a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header)).lower()) if w]
    joined = "".join(words)
    return any(w in IDENTIFIER_WORDS for w in words) or any(p in joined for p in IDENTIFIER_PHRASES)


def log_type_for(name: str) -> LogType | None:
    """The log type a file or sheet name starts with, compared like headers."""
    key = norm_header(name)
    candidates = []
    for lt in LOG_TYPES.values():
        for n in (lt.name, *lt.aliases):
            k = norm_header(n)
            if key.startswith(k):
                candidates.append((len(k), lt))
    return max(candidates, key=lambda c: c[0])[1] if candidates else None

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
