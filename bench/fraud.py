"""Fraud signals and the watchlist, on the development corpus and on generated corpora with reference data.

    python bench/fraud.py [--llm] [--seeds 0-11] [--reports 21,30] [--max-pages 1] [--skip-dev] [--skip-generated]

Development corpus (``<repo>/../shared/corpus/dev``, other authors, no reference data): every PDF through
``dataval_pipeline.analyse`` (extraction, anonymisation, reader, signals by rules), signal precision and
recall per document against the ``planted`` list of its gold record, rules only and, with ``--llm``, with
the LLM settling the rules' candidates; then ``fraud_features`` + ``score`` on the reports alone: does every
establishment with a stated irregularity rank above every one without?

Generated corpora (``dataval sample``, with the FINESS extract and financial declarations): facts and
themes from the gold records (as the fraud tests do, so the ranking is measured apart from the reader),
signals read from each PDF's anonymised text; precision at k (k = planted establishments) per corpus, as
the fraud evaluation has always computed it, and signal precision / recall against each report's
``planted`` list (the signals its text states, as in the development corpus).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import polars as pl  # noqa: E402

from dataval_pipeline.analyse import analyse_texts, llm_client, read_document  # noqa: E402
from dataval_pipeline.evaluation.signals import markdown, score_signals, separation  # noqa: E402
from dataval_pipeline.fraud.evaluate import evaluate, planted_from_gold  # noqa: E402
from dataval_pipeline.fraud.features import compute_features  # noqa: E402
from dataval_pipeline.fraud.score import score  # noqa: E402
from dataval_pipeline.settings import paths  # noqa: E402
from dataval_pipeline.signals.vocabulary import load_vocabulary  # noqa: E402

DEV = REPO.parent / "shared" / "corpus" / "dev"


def _gold(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def _ranges(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def _facts_rows(analyses: dict) -> list[dict]:
    rows = []
    for rid, analysis in analyses.items():
        facts = analysis.facts
        date = facts.get("inspection_date")
        rows.append({"report_id": rid, "finess": facts.get("finess"), "establishment_name": facts.get("establishment_name"),
                     "inspection_date": dt.date.fromisoformat(date) if isinstance(date, str) else date,
                     **{k: facts.get(k) for k in ("trigger", "capacity", "residents_present", "breaches", "injunctions",
                                                  "care_fte", "medec_fte", "night_staff")},
                     "evidence": json.dumps(facts.get("evidence") or [], ensure_ascii=False, default=str)})
    return rows


def dev_corpus(use_llm: bool) -> None:
    if not (DEV / "gold.jsonl").exists():
        raise SystemExit(f"development corpus missing: {DEV}")
    gold = [g for g in _gold(DEV) if g.get("expected_status", "ok") == "ok" and "planted" in g]
    originals, names = {}, {}
    for record in gold:
        rid, text = read_document(DEV / record["file"])
        originals[rid], names[rid] = text, record["file"][:2]
    started = time.perf_counter()
    analyses = analyse_texts(originals, None)
    planted = {g["report_id"]: g["planted"] for g in gold}
    found = {rid: {s["signal"] for s in a.signals} for rid, a in analyses.items()}
    rules = score_signals(found, planted)
    print(f"## Development corpus ({len(gold)} documents, rules only, {time.perf_counter() - started:.0f} s)\n")
    print(markdown(rules, names))
    sanction = {names[rid]: sorted(d.unscored) for rid, d in ((d.report_id, d) for d in rules.documents) if d.unscored}
    if sanction:
        print(f"\nSignals outside the gold vocabulary (not scored): {sanction}")
    signals_rows = [s for a in analyses.values() for s in a.signals]
    if use_llm:
        from dataval_pipeline.signals import signal_rows, tag_signals

        with llm_client(True, paths().cache) as llm:
            started = time.perf_counter()
            tagged = tag_signals({rid: (a.text, a.reading) for rid, a in analyses.items()}, llm)
            spent = time.perf_counter() - started
        found_llm = {rid: {s.signal for s in r.signals} for rid, r in tagged.items()}
        with_llm = score_signals(found_llm, planted)
        questions = sum(r.questions for r in tagged.values())
        print(f"\n## Development corpus, with the LLM on the rules' candidates ({questions} questions, {spent:.0f} s, "
              f"{sum(len(r.failures) for r in tagged.values())} failed)\n")
        print(markdown(with_llm, names))
        now = dt.datetime.now(dt.timezone.utc)
        signals_rows = [row for rid, r in tagged.items() for row in signal_rows(rid, r, now)]

    facts = pl.DataFrame(_facts_rows(analyses), infer_schema_length=None)
    measures = [m for a in analyses.values() for m in a.measures]
    ranked = score(compute_features(None, None, facts, None, pl.DataFrame(signals_rows, infer_schema_length=None)
                                    if signals_rows else None,
                                    pl.DataFrame(measures, infer_schema_length=None) if measures else None))
    by_finess = {g["facts"]["finess"]: g for g in gold}
    ranks = dict(ranked.select("finess", "risk_rank").iter_rows())
    sep = separation(ranks, {f: g["planted"] for f, g in by_finess.items()})
    print(f"\n## Development corpus watchlist, no reference data ({ranked.height} establishments)\n")
    print(f"Every establishment with a stated irregularity above every one without: **{sep.separated}** "
          f"(misordered pairs: {sep.misordered_pairs})\n")
    print("| rank | document | planted | score (signals + peers) | first reason |")
    print("|---|---|---|---|---|")
    for row in ranked.iter_rows(named=True):
        record = by_finess.get(row["finess"])
        doc = record["file"][:2] if record else "?"
        reason = (row["top_reasons"] or ["—"])[0]
        print(f"| {row['risk_rank']} | {doc} | {', '.join(record['planted']) if record else ''} | "
              f"{row['anomaly_score']:.1f} ({row['signal_score']:.0f} + {row['peer_score']:.1f}) | {reason[:160]} |")


def generated_corpus(seed: int, reports: int, max_pages: int):
    from dataval_pipeline.anonymise.engine import get_anonymiser
    from dataval_pipeline.findings.read import read_report
    from dataval_pipeline.reference.declarations import read_declarations
    from dataval_pipeline.reference.finess import read_register
    from dataval_pipeline.sample import generate_sample
    from dataval_pipeline.signals import signal_rows, tag_signals

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        summary = generate_sample(out, reports=reports, seed=seed, with_bad_files=False, max_pages=max_pages)
        gold = _gold(out)
        engine = get_anonymiser()
        reports_in = {}
        for record in gold:
            rid, text = read_document(out / record["file"])
            anonymised = engine.anonymise(text).text
            reports_in[rid] = (anonymised, read_report(anonymised))
        tagged = tag_signals(reports_in, None)
        now = dt.datetime.now(dt.timezone.utc)
        signals = [row for rid, r in tagged.items() for row in signal_rows(rid, r, now)]
        facts = [{**{k: v for k, v in g["facts"].items() if k != "measures"}, "report_id": g["report_id"],
                  "inspection_date": dt.date.fromisoformat(g["facts"]["inspection_date"]), "evidence": "[]"} for g in gold]
        classes = [{"report_id": g["report_id"], "themes": g["themes"], "evidence": "[]"} for g in gold]
        ranked = score(compute_features(read_register(summary.reference_dir).frame,
                                        read_declarations(summary.reference_dir).frame, pl.DataFrame(facts),
                                        pl.DataFrame(classes), pl.DataFrame(signals, infer_schema_length=None) if signals else None,
                                        None))
        result = evaluate(ranked, planted_from_gold(summary.gold_path))
        planted_finess = set(summary.planted)
        false_signals = sum(1 for rid, r in tagged.items() for s in r.signals
                            if next(g for g in gold if g["report_id"] == rid)["facts"]["finess"] not in planted_finess)
        stated = score_signals({rid: {s.signal for s in r.signals} for rid, r in tagged.items()},
                               {g["report_id"]: g.get("planted") or [] for g in gold},
                               load_vocabulary().ids)
        return result.precision_at_k, result.k, false_signals, stated


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", action="store_true", help="also settle the rules' candidates with the LLM (dev corpus)")
    parser.add_argument("--seeds", default="0-11")
    parser.add_argument("--reports", default="21,30")
    parser.add_argument("--max-pages", type=int, default=1)
    parser.add_argument("--skip-dev", action="store_true")
    parser.add_argument("--skip-generated", action="store_true")
    args = parser.parse_args()
    if not args.skip_dev:
        dev_corpus(args.llm)
    if not args.skip_generated:
        print(f"\n## Generated corpora with reference data (max {args.max_pages} page(s) per report)\n")
        print("| seed | reports | k | precision at k | signals on establishments not planted | signal precision | signal recall |")
        print("|---|---|---|---|---|---|---|")
        perfect = total = 0
        for reports in _ranges(args.reports):
            for seed in _ranges(args.seeds):
                precision, k, false_signals, stated = generated_corpus(seed, reports, args.max_pages)
                total += 1
                perfect += precision == 1.0
                print(f"| {seed} | {reports} | {k} | {precision:.2f} | {false_signals} | {_fmt(stated.precision)} | "
                      f"{_fmt(stated.recall)} |", flush=True)
        print(f"\nPrecision at k = 1.00 on {perfect} of {total} corpora.")


if __name__ == "__main__":
    main()
