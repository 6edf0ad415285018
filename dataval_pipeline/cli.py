"""The ``dataval`` command line."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from dataval_pipeline.settings import paths


def _demo(args: argparse.Namespace) -> int:
    from dataval_pipeline.demo import run_demo

    return run_demo(paths(), reports=args.reports, seed=args.seed, max_pages=args.max_pages)


def _sample(args: argparse.Namespace) -> int:
    from dataval_pipeline.sample import generate_sample

    summary = generate_sample(Path(args.out), reports=args.reports, seed=args.seed, with_bad_files=not args.no_bad_files)
    print(f"{summary.reports} reports, {summary.bad_files} bad files, {summary.establishments} establishments "
          f"in {summary.pdf_dir}; gold labels: {summary.gold_path}; reference data: {summary.reference_dir}")
    return 0


def _anonymise(args: argparse.Namespace) -> int:
    """Print the anonymised text (or JSON); exit 2 with a clear message when the file cannot be read."""
    import json

    from dataval_pipeline.anonymise.engine import TextTooLong, get_anonymiser
    from dataval_pipeline.ingest.extract import Rejected, extract_text

    path = Path(args.path)
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".pdf" or data[:5] == b"%PDF-":
            text = extract_text(data).text
        else:
            text = data.decode("utf-8")
    except (OSError, Rejected, UnicodeDecodeError) as error:
        reason = str(error) if isinstance(error, Rejected) else f"{type(error).__name__}: {error}"
        print(f"dataval anonymise: cannot read {path}: {reason}", file=sys.stderr)
        return 2
    try:
        result = get_anonymiser().anonymise(text)
    except TextTooLong as error:
        print(f"dataval anonymise: {path} not anonymised: {error}", file=sys.stderr)
        return 2
    if args.json:
        payload = {
            "text": result.text,
            "entity_counts": result.entity_counts,
            "entities": [{"kind": e.kind, "placeholder": e.placeholder, "start": e.start, "end": e.end}
                         for e in result.entities],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(result.text)
    return 0


def _analyse(args: argparse.Namespace) -> int:
    """One document through the whole chain in-process; exit 2 with a clear message when unreadable."""
    import json

    from dataval_pipeline.analyse import UnreadableFile, analyse_path, llm_client, read_document

    path = Path(args.path)
    try:
        read_document(path)  # fail fast, before any model loads
    except UnreadableFile as reason:
        print(f"dataval analyse: cannot read {path}: {reason}", file=sys.stderr)
        return 2
    home = paths()
    with llm_client(not args.no_llm, home.cache, log=None) as llm:
        analysis = analyse_path(path, llm)
    if args.json:
        print(json.dumps(analysis.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        from dataval_pipeline.analyse import summary

        print(summary(analysis, path.name))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from dataval_pipeline.evaluation.run import run_evaluate

    return run_evaluate(Path(args.dir), home=Path(args.home) if args.home else None, use_llm=not args.no_llm,
                        as_json=args.json)


def _llm_serve(args: argparse.Namespace) -> int:
    from dataval_pipeline.llm.server import main as serve

    argv = ["--port", str(args.port), "--parallel", str(args.parallel)] + (["--model", args.model] if args.model else [])
    return serve(argv)


def _dagster_home(args: argparse.Namespace) -> int:
    from dataval_pipeline.instance import prepare_dagster_home

    print(prepare_dagster_home(paths()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataval", description="EHPAD inspection reports to data products.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the whole pipeline on a sample corpus (embedded defaults)")
    demo.add_argument("--reports", type=int, default=3,
                      help="sample reports to generate if the inbox is empty (short ones: the embedded LLM runs on CPU)")
    demo.add_argument("--max-pages", type=int, default=1, help="longest sample report, in pages")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=_demo)

    sample = commands.add_parser("sample", help="generate synthetic report PDFs, gold labels and reference data")
    sample.add_argument("--out", required=True, help="output folder")
    sample.add_argument("--reports", type=int, default=20)
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument("--no-bad-files", action="store_true", help="only well-formed reports")
    sample.set_defaults(func=_sample)

    anonymise = commands.add_parser("anonymise", help="print the anonymised text of a PDF or .txt file")
    anonymise.add_argument("path", help="a report PDF or a UTF-8 text file")
    anonymise.add_argument("--json", action="store_true", help="text and entities (kind, placeholder, start, end)")
    anonymise.set_defaults(func=_anonymise)

    analyse = commands.add_parser("analyse", help="one PDF or text through the whole chain, in-process (no Dagster)")
    analyse.add_argument("path", help="a report PDF or a UTF-8 text file")
    analyse.add_argument("--json", action="store_true", help="facts, findings, measures, themes as JSON")
    analyse.add_argument("--no-llm", action="store_true", help="rules and evidence only (no LLM server)")
    analyse.set_defaults(func=_analyse)

    evaluate = commands.add_parser("evaluate", help="the whole pipeline (Dagster) on DIR/*.pdf, scored against DIR/gold.jsonl")
    evaluate.add_argument("dir", help="a folder of report PDFs with gold.jsonl (and optionally reference/)")
    evaluate.add_argument("--json", action="store_true", help="every metric as JSON")
    evaluate.add_argument("--no-llm", action="store_true", help="rules and evidence only (no LLM server)")
    evaluate.add_argument("--home", help="DATAVAL_HOME to run in (default: a fresh temporary one)")
    evaluate.set_defaults(func=_evaluate)

    llm = commands.add_parser("llm", help="the embedded OpenAI-compatible LLM server")
    llm_commands = llm.add_subparsers(dest="llm_command", required=True)
    serve = llm_commands.add_parser("serve", help="serve the embedded model (or --model GGUF) on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--model", help="path of another GGUF model to serve")
    serve.add_argument("--parallel", type=int, default=4, help="parallel slots (concurrent requests batched)")
    serve.set_defaults(func=_llm_serve)

    home = commands.add_parser("dagster-home", help="prepare and print the DAGSTER_HOME the commands use")
    home.set_defaults(func=_dagster_home)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Dagster flags some stable-in-practice parameters (backfill_policy) as beta; users need not see it.
    warnings.filterwarnings("ignore", category=Warning, module="dagster")
    warnings.filterwarnings("ignore", message=".*is currently in beta.*")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
