"""The model path under fuzzing: every mutant of the seed corpus is refused with one line,
or runs AddressSanitizer/UBSan-clean and equal to TFLite Micro (tests/helpers/fuzzlib.py).
A bounded run per kernel variant here; `scripts/fuzz_models.py --cases N` runs longer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from helpers.fuzzlib import SanitizedRunner, TflmWorker, check, corpus, mutate

from tinyedge.firmware.host import compile_model_bytes

pytestmark = [pytest.mark.subprocess]

CASES = 150


@pytest.fixture(scope="module")
def tflm(tmp_path_factory: pytest.TempPathFactory):
    worker = TflmWorker(tmp_path_factory.mktemp("tflm"))
    yield worker
    worker.close()


def test_seed_corpus_runs_equal_to_tflite_micro(tmp_path: Path, tflm: TflmWorker) -> None:
    runner = SanitizedRunner(tmp_path)
    seeds = corpus()
    assert len(seeds) >= 10, "seed corpus missing; run scripts/make_fuzz_corpus.py"
    for seed in seeds:
        verdict = check(seed.read_bytes(), seed.stem, runner, tflm)
        assert verdict.outcome == "equal", f"{seed.name}: {verdict.outcome} {verdict.detail}"


def test_harness_reports_an_out_of_bounds_write(tmp_path: Path) -> None:
    """The sanitizer build really catches a write outside the arena (the harness can fail)."""
    seed = next(p for p in corpus() if p.name == "op_conv.tflite")
    compiled, generated = compile_model_bytes(seed.read_bytes(), seed.name)
    files = dict(generated.files)
    head = "static te_status layer_0(uint8_t *arena)\n{"
    assert head in files["model.c"]
    files["model.c"] = files["model.c"].replace(head, head + "\n    arena[-1] = 1;", 1)
    runner = SanitizedRunner(tmp_path)
    x = np.zeros((1, compiled.input.size), np.int8)
    out, problem = runner.run(files, x, compiled.output.size, "oob")
    assert out is None and "AddressSanitizer" in problem


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["reference", "host_simd"])
def test_mutants_are_refused_or_exact(variant: str, tmp_path: Path, tflm: TflmWorker) -> None:
    runner = SanitizedRunner(tmp_path, variant)
    rng = np.random.default_rng(20261121)
    seeds = corpus()
    tally: Counter = Counter()
    failures = []
    for i in range(CASES):
        source = seeds[i % len(seeds)]
        data, what = mutate(source.read_bytes(), rng)
        verdict = check(data, f"m{i}_{source.stem}", runner, tflm)
        tally[verdict.outcome] += 1
        if verdict.outcome == "FAIL":
            failures.append(f"mutant {i} of {source.name} ({what}): {verdict.detail[:600]}")
    assert not failures, "\n".join(failures)
    # The run must exercise both outcomes, or it proves nothing.
    assert tally["refused"] >= CASES // 4 and tally["equal"] >= CASES // 10, dict(tally)
