"""The yolo-lat command: key=value arguments and one-line errors."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import one_line_error, run_cli
from yolo_lat.cli import UsageError, main, parse_args


def test_console_script_runs():
    """The installed `yolo-lat` entry point (beside this interpreter) runs and reports its version."""
    from yolo_lat import __version__

    script = Path(sys.executable).with_name("yolo-lat")
    exe = str(script) if script.is_file() else shutil.which("yolo-lat")
    assert exe, f"no yolo-lat console script beside {sys.executable} or on PATH: is the package installed?"
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == f"yolo-lat {__version__}"


def test_parse_key_values():
    mode, args = parse_args(["train", "model=yolo-lat-n.yaml", "epochs=3", "imgsz=320", "name=exp 1", "device=cpu"])
    assert mode == "train"
    assert args == {"model": "yolo-lat-n.yaml", "epochs": 3, "imgsz": 320, "name": "exp 1", "device": "cpu"}


@pytest.mark.parametrize(
    "argv, match",
    [
        (["fly"], "unknown mode 'fly'"),
        (["trian"], "did you mean 'train'"),
        (["train", "epoch=3"], "'epoch' is not a valid argument for train (similar: epochs"),
        (["train", "epochs"], "not of the form key=value"),
    ],
)
def test_usage_errors(argv, match):
    with pytest.raises(UsageError, match=match.replace("(", r"\(")):
        parse_args(argv)


def test_unknown_dataset(tmp_path):
    one_line_error(
        run_cli("train", "data=nosuchdata", "epochs=1", f"project={tmp_path}"), "unknown dataset 'nosuchdata'"
    )


def test_weights_that_are_not_a_checkpoint(tmp_path):
    fake = tmp_path / "fake.pt"
    fake.write_text("not a checkpoint")
    one_line_error(run_cli("val", f"model={fake}"), "fake.pt")


def test_missing_weights():
    one_line_error(run_cli("predict", "model=nothere.pt"), "weights 'nothere.pt' not found")


def test_missing_source(trained_run, tmp_path):
    run, _ = trained_run
    one_line_error(
        run_cli("predict", f"model={run / 'weights' / 'best.pt'}", f"source={tmp_path / 'none.jpg'}"), "none.jpg"
    )


def test_help_and_version(capsys):
    assert main(["help"]) == 0
    assert "yolo-lat train" in capsys.readouterr().out
    assert main(["--version"]) == 0


def test_demo_takes_predict_settings():
    mode, args = parse_args(["demo", "source=0", "max_det=5", "classes=[0,1]", "agnostic_nms=True", "quantize=16"])
    assert mode == "demo" and args["max_det"] == 5 and args["classes"] == [0, 1] and args["quantize"] == 16
    with pytest.raises(UsageError, match="'epochs' is not a valid argument for demo"):
        parse_args(["demo", "epochs=3"])
