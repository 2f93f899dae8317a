import numpy as np
import pytest

from tinyedge.analysis import analyze_table, format_scaling_report, read_scaling_table
from tinyedge.errors import TinyedgeError

# scalecnn: seed 0 errors 0.8, 0.4, 0.2 (halving per decade → α = log10 2),
# seed 1 errors 0.8, 0.2, 0.05 (quartering → α = log10 4); mobilenetv2: one seed,
# errors 0.5, 0.25 over one decade → α = log10 2.
TABLE = """arch,width,params,seed,accuracy,notes
scalecnn,4,10000,0,0.2,
scalecnn,8,100000,0,0.6,
scalecnn,16,1000000,0,0.8,
scalecnn,4,10000,1,0.2,
scalecnn,8,100000,1,0.8,
scalecnn,16,1000000,1,0.95,
mobilenetv2,0.25,100000,0,0.5,
mobilenetv2,1.0,1000000,0,0.75,
"""


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "scaling.csv"
    path.write_text(TABLE)
    return path


def test_seeds_give_alpha_mean_std_and_the_mean_curve_the_rest(table):
    report = analyze_table(table)
    assert list(report) == ["scalecnn", "mobilenetv2"]
    cnn = report["scalecnn"]
    a0, a1 = np.log10(2), np.log10(4)
    assert cnn["alpha_per_seed"] == pytest.approx({"0": a0, "1": a1})
    assert cnn["alpha"] == pytest.approx((a0 + a1) / 2)
    assert cnn["alpha_std"] == pytest.approx((a1 - a0) / np.sqrt(2))
    # Seed-mean errors 0.8, 0.3, 0.125: local exponents log10(0.8/0.3), log10(0.3/0.125).
    assert cnn["error"] == pytest.approx([0.8, 0.3, 0.125])
    assert cnn["local_exponents"] == pytest.approx([np.log10(0.8 / 0.3), np.log10(2.4)])
    # Three equally spaced x: the middle residual is r = y2 − ȳ, the ends −r/2 each, so
    # RSS = 1.5·r²; TSS = Σ(y − ȳ)². With y = log10 e: r = −0.01525, TSS = 0.32531.
    y = np.log10([0.8, 0.3, 0.125])
    r = y[1] - y.mean()
    assert cnn["r2"] == pytest.approx(1 - 1.5 * r**2 / np.sum((y - y.mean()) ** 2))
    assert cnn["r2"] == pytest.approx(0.99893, abs=1e-5)
    assert (cnn["n_models"], cnn["n_sizes"], cnn["seeds"]) == (6, 3, [0, 1])
    assert cnn["verdict"] == "power law" and cnn["broken_power_law"] is None

    # two sizes: α is the slope between them; R² and a verdict would be vacuous (issue 12)
    mnv2 = report["mobilenetv2"]
    assert mnv2["alpha"] == pytest.approx(np.log10(2)) and mnv2["alpha_std"] is None
    assert mnv2["r2"] is None and mnv2["verdict"] is None and mnv2["aic"] is None
    assert mnv2["note"] == "needs ≥ 3 widths"
    assert mnv2["local_exponents"] == pytest.approx([np.log10(2)])


def test_six_sizes_fit_the_broken_law(tmp_path):
    sizes = np.logspace(4, 7, 6)
    rows = [f"net,{i},{n:.0f},0,{1 - 0.9 * (n / 1e4) ** -0.2:.6f}" for i, n in enumerate(sizes)]
    path = tmp_path / "t.csv"
    path.write_text("arch,width,params,seed,accuracy\n" + "\n".join(rows) + "\n")
    net = analyze_table(path)["net"]
    assert net["alpha"] == pytest.approx(0.2, abs=1e-4)
    assert set(net["broken_power_law"]) == {"alpha1", "alpha2", "n_break", "smoothness"}
    assert net["aic"]["broken_power_law"] is not None and net["verdict"] == "power law"


def test_format_lists_each_arch(table):
    text = format_scaling_report(analyze_table(table))
    lines = text.splitlines()
    assert lines[0] == "scalecnn: 6 models, 3 sizes, 2 seeds"
    assert lines[1] == "  alpha            0.4515 ± 0.2129  (mean ± std over 2 seeds)"
    assert lines[3] == "  local exponents  0.426  0.380  (smallest size first)"
    assert "  verdict          power law" in lines
    assert "mobilenetv2: 2 models, 2 sizes, 1 seed" in lines
    assert "  alpha            0.3010  (single fit, 1 seed)" in lines
    assert "  R²               — (needs ≥ 3 widths)" in lines
    assert lines[-1] == ("  verdict          — (needs ≥ 3 widths: a line through 2 sizes "
                         "always fits)")
    assert "power law" not in text.split("mobilenetv2:")[1]


@pytest.mark.parametrize(("text", "message"), [
    ("arch,width,params,accuracy\nx,1,10,0.5\n", "missing column(s) seed"),
    ("arch,width,params,seed,accuracy\n", "no data rows"),
    ("", "missing column(s) arch"),
    ("arch,width,params,seed,accuracy\nx,1,10,0,abc\nx,2,100,0,0.6\n",
     "line 2: column 'accuracy' must be a number"),
    ("arch,width,params,seed,accuracy\nx,1,10,0,72.5\nx,2,100,0,0.6\n",
     "divide percentages by 100"),
    ("arch,width,params,seed,accuracy\nx,1,10,0,0.5\nx,2,100,0,1.0\n",
     "line 3: column 'accuracy' must be a fraction in (0, 1)"),
    ("arch,width,params,seed,accuracy\nx,1,0,0,0.5\nx,2,100,0,0.6\n",
     "line 2: column 'params' must be > 0"),
    ("arch,width,params,seed,accuracy\nx,1,10,0.5,0.5\n", "column 'seed' must be an integer"),
    ("arch,width,params,seed,accuracy\nx,1,10,0\n", "column 'accuracy' is empty"),
    ("arch,width,params,seed,accuracy\nx,1,10,0,0.5\nx,1,10,1,0.6\n", "only one size"),
    ("arch,width,params,seed,accuracy\nx,1,10,0,0.5\nx,2,100,0,0.6\nx,1,10,1,0.5\n",
     "seed 1 has only one size"),
    ("arch,width,params,seed,accuracy\nx,1,10,0,0.5\nx,1,10,0,0.6\n",
     "line 3 repeats arch x, params 10, seed 0 of line 2"),
])
def test_bad_tables_raise_one_clear_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(TinyedgeError) as info:
        analyze_table(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(TinyedgeError, match="does not exist"):
        read_scaling_table(tmp_path / "nope.csv")
    with pytest.raises(TinyedgeError, match="is a folder"):
        read_scaling_table(tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(TinyedgeError, match="not a UTF-8"):
        read_scaling_table(tmp_path / "bin.csv")


def test_excel_bom_and_blank_lines_are_accepted(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffarch,width,params,seed,accuracy\r\nx,1,10,0,0.5\r\n\r\n"
                     "x,2,100,0,0.75\r\n".encode())
    assert analyze_table(path)["x"]["alpha"] == pytest.approx(np.log10(2))


def test_an_architecture_with_one_size_is_skipped_with_a_note(tmp_path):
    # net: errors 0.4, 0.1, 0.025 at 10, 100, 1000 → quartering per decade, α = log10 4
    path = tmp_path / "t.csv"
    path.write_text("arch,width,params,seed,accuracy\n"
                    "net,1,10,0,0.6\nnet,2,100,0,0.9\nnet,4,1000,0,0.975\n"
                    "lonely,1,50,0,0.5\nlonely,1,50,1,0.7\n")
    report = analyze_table(path)
    assert list(report) == ["net", "lonely"]
    assert report["net"]["alpha"] == pytest.approx(np.log10(4))
    assert report["net"]["r2"] == pytest.approx(1.0) and report["net"]["verdict"] == "power law"
    assert report["lonely"] == {"skipped": "lonely has only one size (params 50)",
                                "n_models": 2, "n_sizes": 1}
    text = format_scaling_report(report)
    assert text.splitlines()[-1] == ("lonely: skipped — 2 model(s) of one size; a scaling fit "
                                     "needs ≥ 2 sizes")


def test_two_sizes_give_alpha_but_no_r2_or_verdict(tmp_path):
    # errors 0.5 → 0.125 over two decades: α = log10(4)/2 = 0.30103
    path = tmp_path / "t.csv"
    path.write_text("arch,width,params,seed,accuracy\nx,1,100,0,0.5\nx,2,10000,0,0.875\n")
    x = analyze_table(path)["x"]
    assert x["alpha"] == pytest.approx(np.log10(4) / 2)
    assert (x["r2"], x["verdict"], x["aic"], x["bic"], x["broken_power_law"]) == (
        None, None, None, None, None)
    assert x["note"] == "needs ≥ 3 widths"


VARIANTS_CSV = """variant,arch,width,seed,params,runtime,n,top1,top5
scalecnn-w4-s0,scalecnn,4,0,1000,float,120,0.75,0.9
scalecnn-w4-s0,scalecnn,4,0,1000,tflm,120,0.7,0.9
scalecnn-w8-s0,scalecnn,8,0,4000,float,120,0.9,1.0
scalecnn-w8-s0,scalecnn,8,0,4000,tflm,120,0.875,1.0
scalecnn-w16-s0,scalecnn,16,0,16000,float,120,0.9625,1.0
scalecnn-w16-s0,scalecnn,16,0,16000,tflm,120,0.95,1.0
scalecnn-w4-s0,scalecnn,4,0,1000,device-nucleo-f746-qemu,60,0.5,
"""


def test_variants_csv_is_read_for_one_runtime(tmp_path):
    """tinyedge report's table: top1 for accuracy, one runtime's rows (float by default)."""
    path = tmp_path / "variants.csv"
    path.write_text(VARIANTS_CSV)
    # float errors 0.25, 0.1, 0.0375 at N = 1000·4^k: equally spaced in ln N, so the least-
    # squares slope is the end-to-end one: α = ln(0.25/0.0375)/ln 16
    rows = read_scaling_table(path)
    assert [(r.params, r.accuracy) for r in rows] == [(1000, 0.75), (4000, 0.9), (16000, 0.9625)]
    assert analyze_table(path)["scalecnn"]["alpha"] == pytest.approx(np.log(0.25 / 0.0375)
                                                                     / np.log(16))
    # tflm errors 0.3, 0.125, 0.05 → α = ln 6 / ln 16
    assert analyze_table(path, "tflm")["scalecnn"]["alpha"] == pytest.approx(np.log(6)
                                                                             / np.log(16))
    with pytest.raises(TinyedgeError, match="scalecnn has only one size"):
        analyze_table(path, "device-nucleo-f746-qemu")
    with pytest.raises(TinyedgeError, match=r"no rows for runtime 'litert' \(the table has "
                       r"device-nucleo-f746-qemu, float, tflm\); pass --runtime"):
        analyze_table(path, "litert")
    sweep = tmp_path / "results.csv"
    sweep.write_text("arch,width,params,seed,accuracy\nx,1,10,0,0.5\nx,2,100,0,0.6\n")
    with pytest.raises(TinyedgeError, match="has no runtime column"):
        analyze_table(sweep, "tflm")
