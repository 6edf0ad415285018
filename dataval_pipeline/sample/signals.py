"""Financial-irregularity signals a sample report states in words, several wordings each, and the gold
that says which (``stated_signals``: ids of ``dataval_pipeline/config/signals.yaml``).

``signal_paragraphs`` gives, for an establishment with a planted irregularity, one more signal stated in
words (a text-only kind: rebates, head-office fees, resident prices, phantom or unqualified staff, a
referral to the prosecutor) and, when its FTE are over-declared, the inspectors' count against the
declared FTE (the gap the reference declarations carry, so text and declarations confirm each other).
Deterministic and on its own random stream (keyed by the establishment, the visit and the report index),
so adding the paragraphs changes nothing else in a report. ``finding_signals`` says which of the
vocabulary's finding templates state a signal.
"""

from __future__ import annotations

import datetime as dt
import random

# Wordings, filled with {amount} (euros), {unit} (a price in euros), {fte}, {declared}, {observed} and
# {gap} (FTE, French decimals).
SIGNAL_PHRASINGS: dict[str, tuple[str, ...]] = {
    "supplier_rebates_kept": (
        "Les remises de fin d'année consenties par le fournisseur de protections ({amount} €) ont été conservées "
        "par le siège du gestionnaire.",
        "Les ristournes obtenues sur les dispositifs médicaux, soit {amount} €, n'ont pas été déduites des charges "
        "de l'établissement.",
        "Aucun des avoirs du fournisseur de produits d'incontinence ({amount} €) n'a été reversé à l'établissement.",
    ),
    "head_office_fees_excess": (
        "Les frais de siège facturés à l'établissement ({amount} €) représentent le double de la médiane des "
        "gestionnaires comparables.",
        "Des frais de siège de {amount} € sont facturés sans décision d'autorisation de l'autorité de tarification.",
    ),
    "resident_overcharging": (
        "Un forfait d'entrée de {unit} € non prévu par l'arrêté de tarification est facturé à chaque admission.",
        "Des suppléments de {unit} € par mois sont facturés aux résidents en sus du tarif hébergement pour des "
        "prestations comprises dans ce tarif.",
    ),
    "phantom_staff": (
        "Deux agents rémunérés sur la période ne figurent sur aucun planning et sont inconnus de l'encadrement.",
        "Un aide-soignant inscrit sur les bulletins de paie n'apparaît sur aucun planning réalisé.",
    ),
    "unqualified_staff_counted": (
        "{fte} ETP d'agents faisant fonction d'aide-soignant sont décomptés comme aides-soignants dans le tableau "
        "des effectifs.",
        "Des agents non diplômés sont rémunérés sur des postes d'aide-soignant financés par la section soins.",
    ),
    "prosecutor_referral": (
        "Au vu de ces constats, le directeur général de l'ARS a saisi le procureur de la République sur le "
        "fondement de l'article 40 du code de procédure pénale.",
        "Les faits relevés ont été signalés au procureur de la République.",
    ),
    "fte_overdeclared": (
        "Le tableau des effectifs de l'ERRD déclare {declared} ETP soignants alors que les plannings n'en font "
        "apparaître que {observed}, soit une différence de {gap} ETP.",
        "Les effectifs soignants financés excèdent de {gap} ETP les effectifs effectivement présents sur les "
        "plannings.",
    ),
}
TEXT_ONLY_SIGNALS = ("supplier_rebates_kept", "head_office_fees_excess", "resident_overcharging", "phantom_staff",
                     "unqualified_staff_counted", "prosecutor_referral")
FTE_GAP = 9.1  # the over-declaration the reference declarations carry (sample.reference.declarations)

# Opening words of the vocabulary's finding templates that state a signal (sample.vocabulary.FINDINGS).
FINDING_OPENINGS = {
    "Des charges de personnel relevant de la section hébergement": "care_budget_misuse",
    "Le nombre de résidents accueillis": "over_capacity",
    "Les frais de siège refacturés": "head_office_fees_excess",
}


def fr_decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") if value != int(value) else str(int(value))


def finding_signals(texts) -> list[str]:
    """The signals the report's filled finding texts state."""
    return sorted({signal for text in texts for opening, signal in FINDING_OPENINGS.items() if text.startswith(opening)})


def signal_paragraphs(planted, finess: str, observed_care_fte: float, visit: dt.date, index: int) -> list[tuple[str, str]]:
    """(sentence, signal) pairs for one report of an establishment; none without a planted irregularity."""
    if not planted:
        return []
    rng = random.Random(f"dataval-signals-{finess}-{visit.isoformat()}-{index}")
    kinds = [rng.choice(TEXT_ONLY_SIGNALS)]
    if "fte_overdeclared" in planted:
        kinds.append("fte_overdeclared")
    values = {
        "amount": f"{rng.randint(40, 400) * 100:,}".replace(",", " "), "unit": rng.choice([150, 180, 250, 300]),
        "fte": fr_decimal(rng.choice([2.5, 3.0, 4.2, 5.5])),
        "declared": fr_decimal(round(observed_care_fte + FTE_GAP, 1)), "observed": fr_decimal(observed_care_fte),
        "gap": fr_decimal(FTE_GAP),
    }
    return [(rng.choice(SIGNAL_PHRASINGS[kind]).format(**values), kind) for kind in kinds]
