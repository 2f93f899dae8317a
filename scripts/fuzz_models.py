"""Fuzz the model path: mutants of the seed corpus must be refused with one line, or run
sanitizer-clean and equal to TFLite Micro (tests/helpers/fuzzlib.py explains the harness).

    .venv/bin/python scripts/fuzz_models.py --cases 2000 [--seed 1] [--variant host_simd]

Prints a tally and every finding; failing mutants are saved under --keep (default
fuzz-findings/) to reproduce. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the shared test helpers (tests/helpers/)

from helpers.fuzzlib import SanitizedRunner, TflmWorker, check, corpus, mutate  # noqa: E402


def fuzz(cases: int, seed: int, variant: str, keep: Path | None,
         log=print) -> tuple[Counter, list[tuple[str, str, str]]]:
    seeds = corpus()
    if not seeds:
        raise SystemExit("no seed corpus; run scripts/make_fuzz_corpus.py")
    rng = np.random.default_rng(seed)
    tally: Counter = Counter()
    findings = []
    with tempfile.TemporaryDirectory(prefix="tinyedge-fuzz-") as tmp:
        work = Path(tmp)
        runner, tflm = SanitizedRunner(work, variant), TflmWorker(work)
        try:
            for i in range(cases):
                source = seeds[i % len(seeds)]
                data, what = mutate(source.read_bytes(), rng)
                name = f"m{seed}_{i}_{source.stem}"
                verdict = check(data, name, runner, tflm)
                tally[verdict.outcome] += 1
                if verdict.outcome == "FAIL":
                    findings.append((name, what, verdict.detail))
                    log(f"FAIL {name} ({what}): {verdict.detail}")
                    if keep is not None:
                        keep.mkdir(parents=True, exist_ok=True)
                        (keep / f"{name}.tflite").write_bytes(data)
        finally:
            tflm.close()
    return tally, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="mutants to try (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--variant", default="reference",
                        help="kernel variant to build (default reference)")
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"),
                        help="folder for failing mutants (default fuzz-findings/)")
    args = parser.parse_args()
    tally, findings = fuzz(args.cases, args.seed, args.variant, args.keep)
    print(", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
