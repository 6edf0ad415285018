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
NUMBERING_STYLES = {
    # name: (écart label, remarque label)
    "long": (lambda n: f"Écart n° {n} :", lambda n: f"Remarque n° {n} :"),
    "short": (lambda n: f"E{n} :", lambda n: f"R{n} :"),
    "plain": (lambda n: f"Ecart {n} :", lambda n: f"Remarque {n} :"),
    "compact": (lambda n: f"Ecart n°{n} -", lambda n: f"R {n} -"),
}
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
    return f"{day.day} {vocab.MONTHS[day.month - 1]} {day.year}"


def _article(text: str) -> str | None:
    match = re.search(r"articles? ([LRD]\.[\d-]+(?:-\d+)*(?: [A-Z]+)?)", text)
    return match.group(1) if match else None


def _pick_findings(rng: random.Random, themes: list[str], est: Establishment) -> list[tuple[str, str, str]]:
    """(theme, kind, text) for each finding; the primary theme gets the most findings."""
    fill = {
        "capacity": est.capacity, "medec_fte": fr_number(est.medec_fte), "night_staff": est.night_staff,
        "residents": est.residents, "head_office_fees": f"{est.head_office_fees:,}".replace(",", " "),
    }
    chosen: list[tuple[str, str, str]] = []
    for index, theme in enumerate(themes):
        bank = [f for f in vocab.FINDINGS[theme] if len(f) == 2 or f[2] in est.planted]
        planted = [f for f in vocab.FINDINGS[theme] if len(f) == 3 and f[2] in est.planted]
        count = 3 if index == 0 else rng.choice([1, 1, 2])
        picks = planted + rng.sample([f for f in bank if f not in planted], k=min(count, len(bank) - len(planted)))
        for finding in picks[: max(count, len(planted))]:
            chosen.append((theme, finding[0], finding[1].format(**fill)))
    return chosen


def _measure(rng: random.Random, kind: str, theme: str, text: str) -> dict:
    if kind == "ecart":
        measure_kind = "injonction" if rng.random() < 0.3 else "prescription"
        article = _article(text)
        wording = f"Se mettre en conformité avec l'article {article}" if article else "Mettre fin à la non-conformité"
        deadline = rng.choice(["immédiat", "1 mois"]) if measure_kind == "injonction" else rng.choice(["3 mois", "6 mois"])
    else:
        measure_kind = "recommandation"
        wording = f"Améliorer l'organisation relative au thème « {theme.replace('_', ' ')} »"
        deadline = rng.choice(["6 mois", "12 mois", None])
    return {"kind": measure_kind, "text": wording, "deadline": deadline}


def compose_report(rng: random.Random, est: Establishment, visit: dt.date, index: int, max_pages: int = 15) -> Report:
    gold = Gold()
    onsite = rng.random() < 0.6
    style = rng.choice(list(NUMBERING_STYLES))
    ecart_label, remarque_label = NUMBERING_STYLES[style]
    trigger = rng.choice(["programme", "programme", "complaint", "incident"])
    unannounced = onsite and (trigger != "programme" or rng.random() < 0.4)
    target_pages = min(max_pages, rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15]))
    all_themes = list(vocab.FINDINGS)
    themes = rng.sample(all_themes, k=rng.randint(1, 4))
    if "financial" in themes:
        themes.remove("financial")
    if est.planted and any(p in ("care_budget_misuse", "over_capacity") for p in est.planted):
        themes.append("financial")
    if not themes:
        themes = [rng.choice([t for t in all_themes if t != "financial"])]
    findings = _pick_findings(rng, themes, est)

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
    visit_text = gold.kept(fr_date(visit))
    if onsite:
        mode = "de manière inopinée" if unannounced else "après information préalable de la direction"
        p(f"Inspection sur site réalisée le {visit_text}, {mode}.")
    else:
        p(f"Contrôle sur pièces conduit à partir du {visit_text}, sur la base des documents demandés à l'établissement.")

    # Introduction: legal basis, trigger, team (inspectors are named: personal data).
    blocks.append(("h1", "Introduction"))
    reason = {
        "programme": "dans le cadre du programme régional d'inspection et de contrôle des EHPAD",
        "complaint": "à la suite de réclamations répétées de familles de résidents",
        "incident": "à la suite du signalement d'un événement indésirable grave",
    }[trigger]
    inspector, second = pp.new_person(rng, female=True), pp.new_person(rng)
    p(f"En application des articles L.313-13 et suivants du code de l'action sociale et des familles (CASF), "
      f"la directrice générale de l'ARS {est.region} a diligenté cette mission {reason}. La mission était "
      f"composée de {pp.mention(gold, inspector, 'title_first_caps')}, inspectrice de l'action sanitaire et sociale, "
      f"coordonnatrice de la mission, et de {pp.mention(gold, second, 'title_full')}, médecin inspecteur de santé publique.")
    p(f"Contact : {pp.email(rng, gold, inspector, 'ars.sante.fr')}, tél. {pp.phone(rng, gold, mobile=False)}.")

    director, medec, idec = pp.new_person(rng), pp.new_person(rng), pp.new_person(rng, female=True)
    blocks.append(("h1", "Informations préalables"))
    p(f"L'établissement, de statut {STATUS_LABELS[est.status]}, dispose de {est.capacity} places "
      f"d'hébergement permanent. La direction est assurée par {pp.mention(gold, director, 'title_first_caps')} "
      f"depuis 2021. Le médecin coordonnateur, {pp.mention(gold, medec, 'doctor')} (RPPS {pp.rpps(rng, gold)}), "
      f"intervient à hauteur de {fr_number(est.medec_fte)} ETP. L'infirmière coordinatrice est "
      f"{pp.mention(gold, idec, 'title_full')}.")
    p(f"Le jour de la visite, {est.residents} résidents étaient présents. L'établissement dispose de "
      f"{fr_number(est.observed_care_fte)} ETP soignants (aides-soignants et infirmiers) selon les plannings "
      f"consultés. La nuit, {est.night_staff} agents assurent la surveillance.")
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
          f"(NIR {pp.nir(rng, gold, resident, year, month, est.dept_code)}), victime d'une chute le {fr_date(visit - dt.timedelta(days=rng.randint(10, 60)))}.")

    # Findings, grouped into the house style's sections.
    sections = SECTIONS_ONSITE if onsite else SECTIONS_DESK
    counters = {"ecart": 0, "remarque": 0}
    measures = []
    table_rows = []
    story_people = [pp.new_person(rng) for _ in range(3)]
    filler_budget = max(0, target_pages * 10 - 10)
    for section, section_themes in sections.items():
        blocks.append(("h1", section))
        if not onsite:
            p("Attendus : " + rng.choice(vocab.CONTEXT_SENTENCES))
            p("Constats :")
        for _ in range(filler_budget // (len(sections) + 1)):
            p(" ".join(rng.sample(vocab.CONTEXT_SENTENCES, k=5)))
        for theme, kind, text in [f for f in findings if f[0] in section_themes]:
            counters[kind] += 1
            number = counters[kind]
            label = ecart_label(number) if kind == "ecart" else remarque_label(number)
            p(f"{label} {text}")
            measure = _measure(rng, kind, theme, text)
            measures.append(measure)
            table_rows.append([("E" if kind == "ecart" else "R") + str(number), text[:90] + ("…" if len(text) > 90 else ""),
                               measure["kind"].capitalize(), measure["deadline"] or "—"])
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
    if "financial" in themes:
        payee = pp.new_person(rng)
        p(f"Des sommes correspondant à des prestations non réalisées ont été versées sur le compte "
          f"{pp.iban(rng, gold)} ouvert au nom de {pp.mention(gold, payee, 'full')}.")
    if onsite:
        agent = pp.new_person(rng)
        year, month = rng.randint(1960, 2000), rng.randint(1, 12)
        p(f"Le dossier administratif de l'agent {pp.mention(gold, agent, 'title_first_caps')}, date de naissance : "
          f"{pp.birth_date(rng, gold, year, month)}, NIR {pp.nir(rng, gold, agent, year, month, est.dept_code)}, "
          f"domicilié(e) {pp.home_address(rng, gold, est.city, est.postal)}, ne comporte pas de diplôme.")

    blocks.append(("h1", "Conclusion"))
    p(f"La mission a relevé {counters['ecart']} écart(s) et {counters['remarque']} remarque(s). Les mesures "
      f"correctives attendues sont récapitulées ci-dessous ; l'organisme gestionnaire dispose d'un délai de "
      f"15 jours pour faire part de ses observations dans le cadre de la procédure contradictoire.")
    if onsite:
        blocks.append(("table", [["N°", "Constat", "Mesure", "Délai"]] + table_rows))
    else:
        for number, measure in enumerate(measures, start=1):
            deadline = f" Délai : {measure['deadline']}." if measure["deadline"] else ""
            p(f"{measure['kind'].capitalize()} n° {number} : {measure['text']}.{deadline}")
    signer = pp.new_person(rng)
    p(f"Fait le {fr_date(visit + dt.timedelta(days=rng.randint(20, 60)))}, pour la directrice générale de l'ARS, "
      f"{pp.mention(gold, signer, 'title_first_caps')}.")
    if onsite and target_pages > 2:
        blocks.append(("h1", "Annexe — Personnes rencontrées"))
        for person, role in ((director, "directeur(rice)"), (medec, "médecin coordonnateur"), (idec, "infirmière coordinatrice")):
            p(f"{pp.mention(gold, person, 'full')}, {role}, tél. {pp.phone(rng, gold)}")

    counts = {
        "breaches": counters["ecart"],
        "remarks": counters["remarque"],
        "injunctions": sum(m["kind"] == "injonction" for m in measures),
        "prescriptions": sum(m["kind"] == "prescription" for m in measures),
        "recommendations": sum(m["kind"] == "recommandation" for m in measures),
    }
    facts = {
        "finess": est.finess,
        "establishment_name": est.display_name,
        "inspection_date": visit.isoformat(),
        "unannounced": unannounced,
        "trigger": trigger,
        "capacity": est.capacity,
        **counts,
        "measures": measures,
        "care_fte": est.observed_care_fte,
        "night_staff": est.night_staff,
        "medec_fte": est.medec_fte,
        "residents_present": est.residents,
    }
    slug = re.sub(r"[^a-z0-9]+", "_", pp.ascii_fold(est.name).lower()).strip("_")
    file_name = f"{visit.isoformat()}_{est.finess}_{slug}_{index:04d}.pdf"
    header = f"ARS {est.region} — {kind_label.capitalize()} — {est.display_name}"
    gold_record = {
        "file": file_name,
        "expected_status": "ok",
        "mode": "on_site" if onsite else "desk",
        "numbering": style,
        "themes": sorted(set(themes)),
        "primary_theme": themes[0],
        "facts": facts,
        "pii": [{"kind": k, "surface": s} for k, s in gold.pii],
        "keep": gold.keep,
        "planted": est.planted,
    }
    return Report(file_name=file_name, blocks=blocks, header=header, gold=gold_record)
