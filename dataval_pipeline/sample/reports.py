"""Compose one synthetic inspection report: document blocks plus its gold labels.

A report is a list of blocks (``("title"|"h1"|"p"|"table", content)``) that the
PDF renderer lays out, and a gold record: personal-data surfaces, must-keep
facts, themes and the facts of ``extracted_facts``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from dataval_pipeline.sample import people as pp
from dataval_pipeline.sample import vocabulary as vocab
from dataval_pipeline.sample.people import Gold, Person

STATUS_LABELS = {"public": "public", "private_non_profit": "privé non lucratif", "private_commercial": "privé commercial"}
CODE_NAMES = {"CASF": "code de l'action sociale et des familles", "CSP": "code de la santé publique",
              "CCH": "code de la construction et de l'habitation", "CT": "code du travail"}
SECTIONS_ONSITE = {
    "1. Population accueillie et organisation générale": ["governance", "staffing", "financial", "training"],
    "2. Locaux et sécurité": ["building_safety", "hygiene"],
    "3. Accompagnement au quotidien": ["residents_rights", "nutrition", "mistreatment", "restraint"],
    "4. Soins": ["care_quality", "medication", "adverse_events"],
}
SECTIONS_DESK = {
    "1. Gouvernance": ["governance", "financial", "adverse_events", "residents_rights", "restraint", "mistreatment"],
    "2. Ressources humaines": ["staffing", "training"],
    "3. Prise en charge": ["care_quality", "medication", "nutrition", "hygiene", "building_safety"],
}


@dataclass
class Establishment:
    finess: str
    finess_ej: str
    name: str
    legal_entity: str
    status: str
    capacity: int
    region: str
    dept_code: str
    dept_name: str
    city: str
    postal: str
    street_number: int
    street_type: str
    street_name: str
    medec_fte: float
    observed_care_fte: float
    night_staff: int
    head_office_fees: int
    daily_price: float
    residents: int
    planted: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return f"EHPAD {self.name}"

    @property
    def address(self) -> str:
        return f"{self.street_number} {self.street_type} {self.street_name}, {self.postal} {self.city}"


@dataclass
class Report:
    file_name: str
    blocks: list[tuple[str, object]]
    header: str
    gold: dict


def fr_number(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") if value != int(value) else str(int(value))


def fr_date(day: dt.date) -> str:
    return f"{'1er' if day.day == 1 else day.day} {vocab.MONTHS[day.month - 1]} {day.year}"


def num_date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def fr_amount(value: float) -> str:
    return f"{round(value):,}".replace(",", " ")


NUMBER_WORDS = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq"}
MEASURE_KINDS = ("injonction", "prescription", "recommandation")


@dataclass(frozen=True)
class HouseStyle:
    """How one report writes what every report says: labels, references, measures, dates, tables."""

    findings: str   # long | dash | dotted | short | constat | graded | bullets | table | table_er
    measures: str   # numbered | inline | bullets | table | table_ipr
    references: int  # which wording cites an article
    long_codes: bool  # "code de l'action sociale et des familles" rather than "CASF"
    spaced_articles: bool  # "D. 312-156" rather than "D.312-156"
    numeric_dates: bool
    summary_table: bool
    count_sentence: bool

    @property
    def numbered(self) -> bool:
        return self.findings not in ("graded", "bullets")


def house_style(rng: random.Random) -> HouseStyle:
    findings = rng.choice(["long", "dash", "dotted", "short", "constat", "graded", "bullets", "table", "table_er"])
    measures = rng.choice(["numbered", "inline", "bullets", "table", "table_ipr"])
    if measures == "table_ipr" and findings in ("short", "table", "dotted"):
        measures = "table"  # "R1" would be a remark and a recommendation at once
    return HouseStyle(
        findings=findings, measures=measures, references=rng.randrange(5), long_codes=rng.random() < 0.3,
        spaced_articles=rng.random() < 0.2, numeric_dates=rng.random() < 0.35,
        summary_table=findings in ("long", "dash", "dotted", "short", "constat") and rng.random() < 0.4,
        count_sentence=rng.random() < 0.6,
    )


def _finding_label(style: HouseStyle, kind: str, number: int) -> tuple[str, str]:
    """(label as written before the wording, id as the gold records it)."""
    ecart = kind == "ecart"
    if style.findings == "long":
        ident = f"Écart n° {number}" if ecart else f"Remarque n° {number}"
        return ident + " :", ident
    if style.findings == "dash":
        ident = f"Ecart {number}" if ecart else f"Remarque {number}"
        return ident + " –", ident
    if style.findings == "dotted":
        ident = f"{'E' if ecart else 'R'}.{number}"
        return ident + " :", ident
    if style.findings == "short":
        ident = f"{'E' if ecart else 'R'}{number}"
        return ident + " :", ident
    if style.findings == "constat":
        ident = f"Constat n°{number}" if ecart else f"Observation n°{number}"
        return ident + " :", ident
    raise ValueError(style.findings)


def _article(style: HouseStyle, article: str) -> str:
    return article.replace(".", ". ", 1) if style.spaced_articles else article


def _code(style: HouseStyle, code: str) -> str:
    return CODE_NAMES[code] if style.long_codes or code == "CT" else code


def _references(style: HouseStyle, refs: list[tuple[str, str]]) -> str:
    """'l'article D.312-156 du CASF' / 'des articles L.311-4-1 du CASF et R.4127-8 du CSP'."""
    parts = [f"{_article(style, a)} du {_code(style, c)}" for a, c in refs]
    return f"l'article {parts[0]}" if len(parts) == 1 else "des articles " + " et ".join(parts)


def _of(cited: str) -> str:
    """'de l'article …' / 'des articles …'."""
    return cited[1:] if cited.startswith("des ") else f"de {cited}"


def _to(cited: str) -> str:
    """'à l'article …' / 'aux articles …'."""
    return "aux" + cited[3:] if cited.startswith("des ") else f"à {cited}"


def _breach_wording(style: HouseStyle, body: str, refs: list[tuple[str, str]]) -> str:
    cited = _references(style, refs)
    if style.references == 0:
        return f"{body}, ce qui contrevient {_to(cited)}."
    if style.references == 1:
        return f"{body}, en méconnaissance {_of(cited)}."
    if style.references == 2:
        short = " et ".join(f"{_article(style, a)} {_code(style, c)}" for a, c in refs)
        return f"{body} ({'art.' if len(refs) == 1 else 'art.'} {short})."
    if style.references == 3:
        return f"{body}, contrairement aux dispositions {_of(cited)}."
    return f"{body}. Ce constat méconnaît {cited}."


def _deadline(rng: random.Random, kind: str, visit: dt.date, style: HouseStyle) -> str | None:
    options = {
        "injonction": ["immédiat", "sans délai", "1 mois", "15 jours", "date"],
        "prescription": ["3 mois", "6 mois", "1 mois", "3 mois", "date"],
        "recommandation": ["6 mois", "12 mois", None, "3 mois", "date"],
    }[kind]
    choice = rng.choice(options)
    if choice == "date":
        due = visit + dt.timedelta(days=rng.choice([90, 120, 180]))
        return f"avant le {num_date(due) if style.numeric_dates or rng.random() < 0.5 else fr_date(due)}"
    return choice


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:]


def _pick_findings(rng: random.Random, themes: list[str], est: Establishment, fill: dict) -> list[dict]:
    """Each finding: theme, kind, body, refs, measure; the first theme gets the most findings, then planted ones."""
    chosen: list[dict] = []
    for index, theme in enumerate(themes):
        bank = vocab.FINDINGS[theme]
        count = 3 if index == 0 else rng.choice([1, 1, 2])
        for entry in rng.sample(bank, k=min(count, len(bank))):
            chosen.append({"theme": theme, "kind": entry["kind"], "body": entry["body"].format(**fill),
                           "refs": entry.get("refs", []), "measure": entry["measure"].format(**fill), "signal": None})
    for signal in est.planted:
        spec = vocab.SIGNAL_FINDINGS.get(signal)
        if spec is None:
            continue
        body, measure = rng.choice(spec["variants"])
        finding = {"theme": spec["theme"], "kind": spec["kind"], "body": body.format(**fill), "refs": spec["refs"],
                   "measure": measure.format(**fill), "signal": signal}
        # Stated among the findings of its theme when there are, else after the others.
        same = [i for i, f in enumerate(chosen) if f["theme"] == spec["theme"]]
        chosen.insert(same[0] + 1 if same else len(chosen), finding)
    return chosen


def _signal_figures(est: Establishment, visit: dt.date) -> dict:
    """Figures of the planted irregularities: the same for every report of the establishment."""
    rng = random.Random(f"dataval-signals-{est.finess}")
    declared = round(est.observed_care_fte + 9.1, 1)  # the declarations of reference.py say the same
    return {
        "amount": fr_amount(round(est.capacity * rng.uniform(900, 2400), -2)), "year": visit.year - 1,
        "n": rng.randint(2, 6), "declared": fr_number(declared), "observed": fr_number(est.observed_care_fte),
        "gap": fr_number(round(declared - est.observed_care_fte, 1)), "fte": fr_number(rng.choice([2.5, 3.0, 4.2, 5.5])),
        "per_place": fr_amount(est.head_office_fees / est.capacity), "monthly": rng.choice([90, 120, 150, 180]),
        "entry": rng.choice([300, 450, 500, 800]),
    }


def _split(total: int, rng: random.Random, parts: int) -> list[int]:
    """``total`` as a main share and ``parts - 1`` small ones (places: permanent, temporary, day care)."""
    small = [rng.randint(2, 8) for _ in range(parts - 1)]
    return [total - sum(small), *small]


def _capacity_sentence(rng: random.Random, est: Establishment) -> str:
    form = rng.randrange(5)
    status = STATUS_LABELS[est.status]
    if form == 0:
        return f"L'établissement, de statut {status}, dispose de {est.capacity} places d'hébergement permanent."
    if form == 1:
        permanent, temporary, day = _split(est.capacity, rng, 3)
        return (f"L'établissement, de statut {status}, est autorisé pour {permanent} lits d'hébergement permanent, "
                f"{temporary} places d'hébergement temporaire et {day} places d'accueil de jour.")
    if form == 2:
        return (f"Établissement {status}, l'EHPAD a une capacité autorisée de {est.capacity} lits, dont "
                f"{rng.choice([10, 12, 14, 20])} en unité protégée.")
    if form == 3:
        permanent, temporary = _split(est.capacity, rng, 2)
        return (f"L'établissement ({status}) dispose de {est.capacity} places : {permanent} en hébergement permanent "
                f"et {temporary} en hébergement temporaire.")
    return f"Statut : {status}. Capacité autorisée : {est.capacity} places."


def _staff_sentences(rng: random.Random, est: Establishment, onsite: bool) -> list[str]:
    residents = rng.choice([
        f"Le jour de la visite, {est.residents} résidents étaient présents." if onsite else
        f"À la date du contrôle, {est.residents} résidents étaient accueillis.",
        f"L'établissement accueillait {est.residents} résidents au moment du contrôle.",
        f"La mission a relevé la présence de {est.residents} résidents." if onsite else
        f"Selon la liste transmise, {est.residents} résidents étaient hébergés au début du contrôle.",
    ])
    tenths = round(est.observed_care_fte * 10)
    nurses = rng.randint(max(1, tenths // 5), max(2, tenths // 3))
    fte = fr_number(est.observed_care_fte)
    care = rng.choice([
        f"L'établissement dispose de {fte} ETP soignants (aides-soignants et infirmiers) selon les plannings consultés.",
        f"L'effectif soignant constaté sur les plannings s'élève à {fte} ETP (aides-soignants et infirmiers).",
        f"Les plannings font apparaître {fr_number((tenths - nurses) / 10)} ETP d'aides-soignants et "
        f"{fr_number(nurses / 10)} ETP d'infirmiers, soit {fte} ETP soignants.",
    ])
    n = est.night_staff
    aides = rng.randint(1, n - 1) if n > 1 else 1
    night = rng.choice([
        f"La nuit, {n} agents assurent la surveillance.",
        f"L'équipe de nuit se compose de {n} agents ({aides} aide(s)-soignant(s) et {n - aides} agent(s) de service).",
        f"{_capitalise(NUMBER_WORDS.get(n, str(n)))} agents sont présents chaque nuit.",
    ])
    return [residents, care, night]


def _visit_sentences(rng: random.Random, style: HouseStyle, onsite: bool, unannounced: bool, visit: dt.date,
                     gold: Gold) -> list[str]:
    write = num_date if style.numeric_dates else fr_date
    if not onsite:
        form = rng.randrange(3)
        if form == 0:
            return [f"Contrôle sur pièces conduit à partir du {gold.kept(write(visit))}, sur la base des documents "
                    f"demandés à l'établissement."]
        if form == 1:
            return [f"Le contrôle sur pièces a débuté le {gold.kept(write(visit))} par une demande de documents "
                    f"adressée à la direction."]
        return [f"Date d'engagement du contrôle sur pièces : {gold.kept(num_date(visit))}."]
    letter = visit - dt.timedelta(days=rng.randint(10, 30))
    if unannounced:
        mode = rng.choice(["de manière inopinée", "sans information préalable de l'établissement", None])
    else:
        mode = rng.choice(["après information préalable de la direction", f"annoncée par courrier du {write(letter)}", None])
    closing = "L'inspection n'avait pas été annoncée." if unannounced else \
        f"La direction avait été informée de la visite par courrier du {write(letter)}."
    nxt = visit + dt.timedelta(days=1)
    form = rng.randrange(5)
    if form == 0:
        first = f"Inspection sur site réalisée le {gold.kept(write(visit))}"
    elif form == 1:
        first = (f"La visite sur place, effectuée conjointement avec les services du conseil départemental, "
                 f"s'est déroulée le {gold.kept(write(visit))}")
    elif form == 2:
        days = (f"{visit.day} et {nxt.day} {vocab.MONTHS[visit.month - 1]} {visit.year}" if nxt.month == visit.month
                and not style.numeric_dates else f"{write(visit)} et {write(nxt)}")
        first = f"La mission s'est rendue dans l'établissement les {gold.kept(days)}"
    elif form == 3:
        return [f"Date de la visite : {gold.kept(num_date(visit))}.", closing]
    else:
        span = (f"{visit.day} au {fr_date(nxt)}" if nxt.month == visit.month and not style.numeric_dates
                else f"{write(visit)} au {write(nxt)}")
        first = f"L'inspection a eu lieu du {gold.kept(span)}"
    return [f"{first}, {mode}." if mode else f"{first}.", *([] if mode else [closing])]


TRIGGERS = {
    "programme": ["dans le cadre du programme régional d'inspection et de contrôle des EHPAD",
                  "au titre du plan national de contrôle des EHPAD",
                  "en application des orientations régionales de contrôle de l'année {year}"],
    "complaint": ["à la suite de réclamations répétées de familles de résidents",
                  "après la réception de plusieurs plaintes relatives à la prise en charge des résidents",
                  "pour donner suite à la réclamation d'une famille"],
    "incident": ["à la suite du signalement d'un événement indésirable grave",
                 "après la déclaration d'un événement indésirable grave survenu dans l'établissement",
                 "à la suite d'un EIG déclaré par la direction"],
}


def _render_findings(blocks: list, style: HouseStyle, findings: list[dict]) -> None:
    """Write the findings of one section (labels and wordings already decided)."""
    p = lambda text: blocks.append(("p", text))  # noqa: E731
    if style.findings in ("table", "table_er"):
        if not findings:
            return
        if style.findings == "table":
            rows = [["N°", "Constat", "Référence"]]
            rows += [[f["id"], f["cell"], f["ref_cell"] or "—"] for f in findings]
        else:
            rows = [["N°", "E/R", "Constat"]]
            rows += [[f["id"], "E" if f["kind"] == "ecart" else "R", f["text"]] for f in findings]
        blocks.append(("table", rows))
        for f in findings:
            if f.get("inline_measure"):
                p(f["inline_measure"])
        return
    for f in findings:
        if style.findings == "graded":
            p(f["text"] if f["kind"] == "ecart" else f"{f['label']} {f['text']}")
        elif style.findings == "bullets":
            p(f"- {'Écart' if f['kind'] == 'ecart' else 'Remarque'} : {f['text']}")
        else:
            p(f"{f['label']} {f['text']}")
        if f.get("inline_measure"):
            p(f["inline_measure"])


def _measure_line(style: HouseStyle, measure: dict, number: int) -> str:
    kind, text, deadline = measure["kind"].capitalize(), measure["text"], measure["deadline"]
    if style.measures == "inline":
        return f"{kind} n°{number} (délai : {deadline}) : {text}" if deadline else f"{kind} n°{number} : {text}"
    if style.measures == "bullets":
        return f"- {kind} : {text}" + (f" Délai : {deadline}." if deadline else "")
    return f"{kind} n° {number} : {text}" + (f" Délai : {deadline}." if deadline else "")


def _written_findings(rng: random.Random, style: HouseStyle, picked: list[dict]) -> list[dict]:
    """Number, label and word every finding in the report's house style; the gold record of each."""
    counters = {"ecart": 0, "remarque": 0}
    sequence = 0
    out = []
    for f in picked:
        counters[f["kind"]] += 1
        sequence += 1
        number = counters[f["kind"]]
        refs = f["refs"] if f["kind"] == "ecart" else []
        body = f["body"]
        grade = None
        label = ident = None
        if f["kind"] == "ecart":
            text = _breach_wording(style, body, refs) if refs else body + "."
        else:
            text = body + "."
        if style.findings == "graded":
            if f["kind"] == "ecart":
                grade = rng.choice(["majeur", "majeur", "mineur", "critique"])
                text = f"{body}. Ce manquement constitue un écart {grade} au regard {_of(_references(style, refs))}."
            else:
                grade = "majeure" if rng.random() < 0.4 else None
                label = "Remarque majeure :" if grade else "Remarque :"
        elif style.findings == "table":
            ident = f"{'E' if f['kind'] == 'ecart' else 'R'}{number}"
            text = body + "."
        elif style.findings == "table_er":
            ident = str(sequence)
        elif style.findings != "bullets":
            label, ident = _finding_label(style, f["kind"], number)
        ref_cell = " ; ".join(f"art. {_article(style, a)} {_code(style, c)}" for a, c in refs)
        out.append({**f, "number": number, "label": label, "id": ident, "text": text, "cell": text,
                    "ref_cell": ref_cell, "grade": grade,
                    "gold": {"id": ident, "kind": "breach" if f["kind"] == "ecart" else "remark", "text": text,
                             "themes": [f["theme"]], "legal_refs": [f"{a} {c}" for a, c in refs], "grade": grade}})
    return out


def compose_report(rng: random.Random, est: Establishment, visit: dt.date, index: int, max_pages: int = 15) -> Report:
    gold = Gold()
    onsite = rng.random() < 0.6
    style = house_style(rng)
    trigger = rng.choice(["programme", "programme", "complaint", "incident"])
    unannounced = onsite and (trigger != "programme" or rng.random() < 0.4)
    target_pages = min(max_pages, rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15]))
    all_themes = [t for t in vocab.FINDINGS if t != "financial"]
    themes = rng.sample(all_themes, k=rng.randint(1, 4))
    if est.planted and rng.random() < 0.5:
        themes.append("financial")
    fill = {"capacity": est.capacity, "medec_fte": fr_number(est.medec_fte), "night_staff": est.night_staff,
            "residents": est.residents, "year": visit.year - 1, **_signal_figures(est, visit)}
    sections = SECTIONS_ONSITE if onsite else SECTIONS_DESK
    order = {theme: i for i, section_themes in enumerate(sections.values()) for theme in section_themes}
    picked = sorted(_pick_findings(rng, themes, est, fill), key=lambda f: order[f["theme"]])  # numbered as read
    findings = _written_findings(rng, style, picked)
    write = num_date if style.numeric_dates else fr_date

    measures: list[dict] = []
    for f in findings:
        if f["kind"] == "remarque" and rng.random() < 0.15:
            continue  # a remark the report answers with no measure
        kind = ("injonction" if rng.random() < 0.3 or f["signal"] else "prescription") if f["kind"] == "ecart" \
            else "recommandation"
        measure = {"kind": kind, "text": f["measure"] + ".", "deadline": _deadline(rng, kind, visit, style),
                   "finding": f}
        if measure["deadline"] and measure["deadline"].startswith("avant le "):
            gold.kept(measure["deadline"][len("avant le "):])
        measures.append(measure)
    per_kind = {k: 0 for k in MEASURE_KINDS}
    for measure in measures:
        per_kind[measure["kind"]] += 1
        measure["number"] = per_kind[measure["kind"]]
        if style.measures == "inline":
            measure["finding"]["inline_measure"] = _measure_line(style, measure, measure["number"])

    blocks: list[tuple[str, object]] = []
    p = lambda text: blocks.append(("p", text))  # noqa: E731
    kind_label = "RAPPORT D'INSPECTION" if onsite else "RAPPORT DE CONTRÔLE SUR PIÈCES"
    gold.kept(est.finess)
    gold.kept(est.display_name)
    gold.kept(est.address)
    blocks.append(("title", f"{kind_label}\n{est.display_name}"))
    p(f"Agence régionale de santé {est.region} — Délégation départementale {est.dept_name.title()}")
    p(f"Établissement : {est.display_name}, {est.address}. N° FINESS : {est.finess}. "
      f"Organisme gestionnaire : {est.legal_entity} (FINESS juridique {est.finess_ej}).")
    for sentence in _visit_sentences(rng, style, onsite, unannounced, visit, gold):
        p(sentence)

    # Introduction: legal basis, trigger, team (inspectors are named: personal data).
    blocks.append(("h1", "Introduction"))
    reason = rng.choice(TRIGGERS[trigger]).format(year=visit.year)
    inspector, second = pp.new_person(rng, female=True), pp.new_person(rng)
    p(f"En application des articles L.313-13 et suivants du code de l'action sociale et des familles (CASF), "
      f"la directrice générale de l'ARS {est.region} a diligenté cette mission {reason}. La mission était "
      f"composée de {pp.mention(gold, inspector, 'title_first_caps')}, inspectrice de l'action sanitaire et sociale, "
      f"coordonnatrice de la mission, et de {pp.mention(gold, second, 'title_full')}, médecin inspecteur de santé publique.")
    p(f"Contact : {pp.email(rng, gold, inspector, 'ars.sante.fr')}, tél. {pp.phone(rng, gold, mobile=False)}.")
    if style.findings == "constat":
        p("Dans le présent rapport, les constats désignent des écarts à une disposition opposable et les "
          "observations des remarques, sans référence opposable.")
    if style.measures == "table_ipr":
        p("Les mesures sont codées I (injonction), P (prescription) et R (recommandation).")

    director, medec, idec = pp.new_person(rng), pp.new_person(rng), pp.new_person(rng, female=True)
    blocks.append(("h1", "Informations préalables"))
    medec_time = rng.choice([f"intervient à hauteur de {fr_number(est.medec_fte)} ETP",
                             f"dispose d'un temps de travail de {fr_number(est.medec_fte)} ETP",
                             f"exerce à temps partiel ({fr_number(est.medec_fte)} ETP)"])
    p(f"{_capacity_sentence(rng, est)} La direction est assurée par {pp.mention(gold, director, 'title_first_caps')} "
      f"depuis 2021. Le médecin coordonnateur, {pp.mention(gold, medec, 'doctor')} (RPPS {pp.rpps(rng, gold)}), "
      f"{medec_time}. L'infirmière coordinatrice est {pp.mention(gold, idec, 'title_full')}.")
    p(" ".join(_staff_sentences(rng, est, onsite)))
    if trigger == "complaint":
        relative, resident = pp.new_person(rng, female=True), pp.new_person(rng, female=True)
        p(f"La réclamation a été adressée par {pp.mention(gold, relative, 'title_first_caps')}, fille d'une "
          f"résidente, domiciliée {pp.home_address(rng, gold, est.city, est.postal)}, joignable au "
          f"{pp.phone(rng, gold)} ou par courriel ({pp.email(rng, gold, relative)}). Elle signale que sa mère, "
          f"{pp.mention(gold, resident, 'title_full')}, est restée plusieurs heures sans aide.")
    elif trigger == "incident":
        resident = pp.new_person(rng)
        year, month = rng.randint(1925, 1945), rng.randint(1, 12)
        p(f"Le signalement concerne {pp.mention(gold, resident, 'title_first_caps')}, "
          f"{'née' if resident.female else 'né'} le {pp.birth_date(rng, gold, year, month)} "
          f"(NIR {pp.nir(rng, gold, resident, year, month, est.dept_code)}), victime d'une chute le "
          f"{write(visit - dt.timedelta(days=rng.randint(10, 60)))}.")

    # Findings, grouped into the house style's sections.
    story_people = [pp.new_person(rng) for _ in range(3)]
    filler_budget = max(0, target_pages * 10 - 10)
    for section, section_themes in sections.items():
        blocks.append(("h1", section))
        if not onsite:
            p("Attendus : " + rng.choice(vocab.CONTEXT_SENTENCES))
            p("Constats :")
        for _ in range(filler_budget // (len(sections) + 1)):
            p(" ".join(rng.sample(vocab.CONTEXT_SENTENCES, k=5)))
        _render_findings(blocks, style, [f for f in findings if f["theme"] in section_themes])
        if section_themes is sections[next(iter(sections))] and story_people:
            person, resident, son = story_people
            story_people = []
            p(f"Lors de la visite, {pp.mention(gold, person, 'initial')}, {rng.randint(78, 101)} ans, a indiqué "
              f"attendre souvent l'aide pour se lever. Sa famille a confirmé ces difficultés.")
            year, month = rng.randint(1922, 1946), rng.randint(1, 12)
            p(f"Le dossier de {pp.mention(gold, resident, 'title_first_caps')}, "
              f"{'née' if resident.female else 'né'} le {pp.birth_date(rng, gold, year, month)}, "
              f"NIR {pp.nir(rng, gold, resident, year, month, est.dept_code)}, montre que les frais de séjour "
              f"sont prélevés sur le compte {pp.iban(rng, gold)} de {pp.mention(gold, son, 'title_full')}, "
              f"domicilié(e) {pp.home_address(rng, gold, est.city, est.postal)}, joignable au {pp.phone(rng, gold)} "
              f"et à l'adresse {pp.email(rng, gold, son)}. Le contrat de séjour de "
              f"{pp.mention(gold, resident, 'title_last')} n'a pas été signé.")
    # Later mentions of the same people, in other forms: the anonymiser must link them.
    p(f"Lors de la réunion de restitution, {pp.mention(gold, director, 'title_last')} a présenté les mesures "
      f"engagées. {pp.mention(gold, director, 'caps_last')} s'est engagé(e) à transmettre le plan d'action, "
      f"en lien avec {pp.mention(gold, medec, 'doctor_long')}.")
    if est.planted:
        payee = pp.new_person(rng)
        p(f"Des sommes correspondant à des prestations non réalisées ont été versées sur le compte "
          f"{pp.iban(rng, gold)} ouvert au nom de {pp.mention(gold, payee, 'full')}.")
    if onsite:
        agent = pp.new_person(rng)
        year, month = rng.randint(1960, 2000), rng.randint(1, 12)
        p(f"Le dossier administratif de l'agent {pp.mention(gold, agent, 'title_first_caps')}, date de naissance : "
          f"{pp.birth_date(rng, gold, year, month)}, NIR {pp.nir(rng, gold, agent, year, month, est.dept_code)}, "
          f"domicilié(e) {pp.home_address(rng, gold, est.city, est.postal)}, ne comporte pas de diplôme.")

    breaches = sum(f["kind"] == "ecart" for f in findings)
    remarks = len(findings) - breaches
    blocks.append(("h1", "Conclusion"))
    if style.count_sentence:
        p(rng.choice([
            f"La mission a relevé {breaches} écart(s) et {remarks} remarque(s).",
            f"Au total, {breaches} écart(s) à la réglementation et {remarks} remarque(s) ont été constatés.",
        ]))
    p("Les mesures correctives attendues sont récapitulées ci-dessous ; l'organisme gestionnaire dispose d'un "
      "délai de 15 jours pour faire part de ses observations dans le cadre de la procédure contradictoire.")
    if "prosecutor_referral" in est.planted:
        p(rng.choice(vocab.PROSECUTOR_REFERRAL).format(
            date=write(visit + dt.timedelta(days=rng.randint(5, 15))), city=est.city))
    if style.summary_table and findings:
        blocks.append(("h1", "Tableau récapitulatif des écarts et remarques"))
        blocks.append(("table", [["N°", "Libellé", "Référence"]] + [
            [f["id"], f["body"][:80] + ("…" if len(f["body"]) > 80 else ""), f["ref_cell"] or "—"] for f in findings]))
    if measures and style.measures != "inline":
        blocks.append(("h1", "Mesures correctives"))
        if style.measures == "table":
            blocks.append(("table", [["Constat", "Mesure", "Nature", "Délai"]] + [
                [m["finding"]["id"] or "—", m["text"], m["kind"].capitalize(), m["deadline"] or "—"] for m in measures]))
        elif style.measures == "table_ipr":
            blocks.append(("table", [["N°", "Mesure", "Délai"]] + [
                [f"{m['kind'][0].upper()}{m['number']}", m["text"], m["deadline"] or "—"] for m in measures]))
        else:
            for measure in measures:
                p(_measure_line(style, measure, measure["number"]))
    signer = pp.new_person(rng)
    p(f"Fait le {write(visit + dt.timedelta(days=rng.randint(20, 60)))}, pour la directrice générale de l'ARS, "
      f"{pp.mention(gold, signer, 'title_first_caps')}.")
    if onsite and target_pages > 2:
        blocks.append(("h1", "Annexe — Personnes rencontrées"))
        for person, role in ((director, "directeur(rice)"), (medec, "médecin coordonnateur"), (idec, "infirmière coordinatrice")):
            p(f"{pp.mention(gold, person, 'full')}, {role}, tél. {pp.phone(rng, gold)}")

    gold_measures = [{"kind": m["kind"], "text": m["text"], "deadline": m["deadline"]} for m in measures]
    facts = {
        "finess": est.finess,
        "establishment_name": est.display_name,
        "inspection_date": visit.isoformat(),
        "unannounced": unannounced,
        "trigger": trigger,
        "capacity": est.capacity,
        "breaches": breaches,
        "remarks": remarks,
        "injunctions": per_kind["injonction"],
        "prescriptions": per_kind["prescription"],
        "recommendations": per_kind["recommandation"],
        "measures": gold_measures,
        "care_fte": est.observed_care_fte,
        "night_staff": est.night_staff,
        "medec_fte": est.medec_fte,
        "residents_present": est.residents,
    }
    report_themes = []
    for f in findings:
        if f["theme"] not in report_themes:
            report_themes.append(f["theme"])
    # The theme with the most écarts; on a tie the gravest écart, then the most findings, then the first written.
    gravity = {"critique": 3, "majeur": 2, "majeure": 2, "mineur": 1}
    primary = max(report_themes, key=lambda t: (
        sum(f["theme"] == t and f["kind"] == "ecart" for f in findings),
        max((gravity.get(f["grade"] or "", 0) for f in findings if f["theme"] == t and f["kind"] == "ecart"),
            default=0),
        sum(f["theme"] == t for f in findings), -report_themes.index(t)))
    slug = re.sub(r"[^a-z0-9]+", "_", pp.ascii_fold(est.name).lower()).strip("_")
    file_name = f"{visit.isoformat()}_{est.finess}_{slug}_{index:04d}.pdf"
    header = f"ARS {est.region} — {kind_label.capitalize()} — {est.display_name}"
    gold_record = {
        "file": file_name,
        "expected_status": "ok",
        "mode": "on_site" if onsite else "desk",
        "numbering": style.findings,
        "style": f"findings {style.findings}, measures {style.measures}, references {style.references}"
                 + (", summary table" if style.summary_table else "") + (", dd/mm/yyyy dates" if style.numeric_dates else ""),
        "themes": sorted(report_themes),
        "primary_theme": primary,
        "facts": facts,
        "findings": [f["gold"] for f in findings],
        "pii": [{"kind": k, "surface": s} for k, s in gold.pii],
        "keep": gold.keep,
        "planted": sorted(s for s in est.planted
                          if s in vocab.SIGNAL_FINDINGS or s == "prosecutor_referral"),
    }
    return Report(file_name=file_name, blocks=blocks, header=header, gold=gold_record)
