import json

import numpy as np
import pytest

TABLE = """arch,width,params,seed,accuracy
scalecnn,4,10000,0,0.2
scalecnn,8,100000,0,0.6
scalecnn,16,1000000,0,0.8
scalecnn,4,10000,1,0.2
scalecnn,8,100000,1,0.8
scalecnn,16,1000000,1,0.95
mobilenetv2,0.25,100000,0,0.5
mobilenetv2,1.0,1000000,0,0.75
"""

# Seed-mean scalecnn errors 0.8, 0.3, 0.125; α per seed log10 2 and log10 4.
# RSS (ln space) = 1.5·r²·ln(10)² with r = −0.01525 (the middle log10 residual) = 1.8495e-3;
# AIC = 3·ln(RSS/3) + 2·3 = −22.17 + 6 = −16.17, BIC = −22.17 + 3·ln 3 = −18.88.
# mobilenetv2 is an exact 2-point fit: RSS/n at the 1e-20 floor → 2·ln(1e-20) = −92.10,
# AIC = −86.10, BIC = −92.10 + 3·ln 2 = −90.02.
EXPECTED_TEXT = """\
scalecnn: 6 models, 3 sizes, 2 seeds
  alpha            0.4515 ± 0.2129  (mean ± std over 2 seeds)
  R²               0.9989
  local exponents  0.426  0.380  (smallest size first)
  AIC / BIC        power law -16.17 / -18.88; broken power law not fitted (needs ≥ 6 sizes)
  verdict          power law
mobilenetv2: 2 models, 2 sizes, 1 seed
  alpha            0.3010  (single fit, 1 seed)
  R²               — (needs ≥ 3 widths)
  local exponents  0.301  (smallest size first)
  verdict          — (needs ≥ 3 widths: a line through 2 sizes always fits)
"""


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "scaling.csv"
    path.write_text(TABLE)
    return path


def test_analyze_scaling_text(run_cli, table):
    result = run_cli("analyze", "scaling", "--table", str(table))
    assert result.code == 0, result.err
    assert result.out == EXPECTED_TEXT


def test_analyze_scaling_json(run_cli, table):
    result = run_cli("analyze", "scaling", "--table", str(table), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert list(report) == ["scalecnn", "mobilenetv2"]
    for arch in report.values():
        assert {"alpha", "alpha_std", "r2", "local_exponents", "aic", "bic", "verdict",
                "n_models"} <= arch.keys()
    assert report["scalecnn"]["alpha"] == pytest.approx(0.45154, abs=1e-5)
    assert report["scalecnn"]["alpha_std"] == pytest.approx(0.21286, abs=1e-5)
    assert report["mobilenetv2"]["alpha_std"] is None
    assert report["mobilenetv2"]["local_exponents"] == pytest.approx([0.30103], abs=1e-5)


@pytest.mark.parametrize(("text", "message"), [
    (None, "does not exist"),
    ("arch,params,seed,accuracy\nx,10,0,0.5\n", "missing column(s) width"),
    ("arch,width,params,seed,accuracy\nx,1,10,0,72\nx,2,100,0,80\n", "line 2: column 'accuracy'"),
    ("arch,width,params,seed,accuracy\nx,1,ten,0,0.5\n",
     "line 2: column 'params' must be a number"),
])
def test_bad_tables_exit_2_with_one_line(run_cli, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    if text is not None:
        path.write_text(text)
    result = run_cli("analyze", "scaling", "--table", str(path))
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("tinyedge: error: ") and message in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


@pytest.mark.slow  # builds a whole report with its plots (6-8 s)
def test_analyze_scaling_reads_the_table_tinyedge_report_writes(run_cli, tmp_path):
    """The manual journey: evaluate, `tinyedge report`, then analyze its variants.csv."""
    from report.results_tree import build_tree

    from tinyedge.report import build_report

    built = build_report(build_tree(tmp_path))
    table = str(built.tables["variants.csv"])
    result = run_cli("analyze", "scaling", "--table", table, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    # scalecnn float errors 30, 10, 4 of 120 at N = 1000, 4000, 16000 (equally spaced in
    # ln N: the least-squares slope is the end-to-end one) → α = ln 7.5 / ln 16
    assert report["scalecnn"]["alpha"] == pytest.approx(np.log(7.5) / np.log(16))
    assert report["scalecnn"]["params"] == [1000, 4000, 16000]
    tflm = json.loads(run_cli("analyze", "scaling", "--table", table, "--runtime", "tflm",
                              "--json").out)
    # tflm errors 31, 10, 5 of 120 → α = ln(31/5) / ln 16
    assert tflm["scalecnn"]["alpha"] == pytest.approx(np.log(31 / 5) / np.log(16))
    # one size on the device: nothing to fit, one line, exit 2
    device = run_cli("analyze", "scaling", "--table", table, "--runtime",
                     "device-nucleo-f746", "--json")
    assert device.code == 2 and device.out == ""
    assert "scalecnn has only one size" in device.err and device.err.count("\n") == 1


def test_analyze_scaling_help_documents_the_columns(capsys):
    from tinyedge.cli import main

    assert main(["analyze", "scaling", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ("arch, width, params, seed and the top-1 accuracy as a fraction in accuracy "
                  "or top1", "results.csv", "variants.csv", "(default float)",
                  "R² and the verdict need ≥ 3 widths"):
        assert words in text


def test_two_sizes_say_needs_3_widths_on_the_command_line(run_cli, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("arch,width,params,seed,top1\nx,1,100,0,0.5\nx,2,10000,0,0.875\n"
                    "y,1,100,0,0.5\n")
    result = run_cli("analyze", "scaling", "--table", str(path))
    assert result.code == 0, result.err
    assert result.out == (
        "x: 2 models, 2 sizes, 1 seed\n"
        "  alpha            0.3010  (single fit, 1 seed)\n"
        "  R²               — (needs ≥ 3 widths)\n"
        "  local exponents  0.301  (smallest size first)\n"
        "  verdict          — (needs ≥ 3 widths: a line through 2 sizes always fits)\n"
        "y: skipped — 1 model(s) of one size; a scaling fit needs ≥ 2 sizes\n")
