"""Run folders go under ./runs of the current directory, whatever Ultralytics' settings say, and a
run that fails before its first checkpoint leaves no folder behind."""

import json
import subprocess
import sys

import pytest

from tests.cli_helpers import one_line_error, run_cli, user_env
from yolo_lat import YOLOLAT
from yolo_lat.engine.defaults import RunFolder, run_project
from yolo_lat.engine.trainer import discard_unfinished_run
from yolo_lat.paths import SAMPLES_DIR


@pytest.fixture
def elsewhere(tmp_path):
    """(working directory, environment): an Ultralytics settings file whose runs_dir points elsewhere,
    as after Ultralytics was first used inside a git checkout."""
    env = user_env(YOLO_CONFIG_DIR=str(tmp_path / "config"))
    code = (
        "import sys; from ultralytics.utils import SETTINGS; SETTINGS.update(runs_dir=sys.argv[1]); "
        "print(SETTINGS['runs_dir'])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "elsewhere")], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == str(tmp_path / "elsewhere")  # Ultralytics took the setting
    work = tmp_path / "work"
    work.mkdir()
    return work, env


def test_run_project_is_absolute_under_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_project(None) == str(tmp_path / "runs" / "detect")
    assert run_project("mine") == str(tmp_path / "mine")
    assert run_project(str(tmp_path / "abs")) == str(tmp_path / "abs")


def test_train_val_predict_demo_write_under_cwd_runs(elsewhere, tiny_data, tmp_path):
    work, env = elsewhere
    proc = run_cli("train", "model=yolo-lat-t.yaml", f"data={tiny_data}", "epochs=1", "imgsz=64", "batch=4",
                   "workers=0", "plots=False", cwd=work, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    best = work / "runs" / "detect" / "train" / "weights" / "best.pt"
    assert best.is_file()
    for argv in (
        ("val", f"model={best}", f"data={tiny_data}", "imgsz=64", "batch=4", "plots=False"),
        ("predict", f"model={best}", "imgsz=64"),
        ("demo", f"model={best}", f"source={SAMPLES_DIR}", "show=False", "save=True", "imgsz=64"),
    ):
        proc = run_cli(*argv, cwd=work, env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
    runs = work / "runs" / "detect"
    assert (runs / "val" / "coco_eval.json").is_file()
    assert list((runs / "predict").glob("*.jpg")) and list((runs / "demo").glob("frame_*.jpg"))
    assert not (tmp_path / "elsewhere").exists()


def test_python_api_predict_twice_stays_under_cwd(elsewhere, tmp_path):
    """Ultralytics recomputes the folder from its settings when a later predict call changes the
    arguments; YOLOLAT.predict passes the project each time."""
    work, env = elsewhere
    code = (
        "from yolo_lat import YOLOLAT; from yolo_lat.paths import SAMPLES_DIR; import json; m = YOLOLAT('yolo-lat-t.pt')\n"
        "a = m.predict(str(SAMPLES_DIR), save=True, verbose=False)[0].save_dir\n"
        "b = m.predict(str(SAMPLES_DIR), save=True, name='again', verbose=False)[0].save_dir\n"
        "print(json.dumps([str(a), str(b)]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, second = json.loads(proc.stdout.strip().splitlines()[-1])
    assert first == str(work / "runs" / "detect" / "predict")
    assert second == str(work / "runs" / "detect" / "again")
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    "bad, fragment", [("data=nosuchdata", "unknown dataset 'nosuchdata'"), ("imgsz=abc", "imgsz"), ("batch=x", "batch")]
)
def test_failed_train_leaves_no_run_folder(bad, fragment, tmp_path):
    one_line_error(run_cli("train", bad, "epochs=1", cwd=tmp_path, env=user_env()), fragment)
    assert list(tmp_path.iterdir()) == []  # not even an empty runs/detect


def test_failed_train_keeps_a_folder_it_did_not_create(tmp_path):
    folder = tmp_path / "runs" / "detect" / "train"
    (folder / "mine.txt").parent.mkdir(parents=True)
    (folder / "mine.txt").write_text("keep me")
    one_line_error(run_cli("train", "data=nosuchdata", "exist_ok=True", cwd=tmp_path, env=user_env()), "nosuchdata")
    assert (folder / "mine.txt").read_text() == "keep me"


class Stop(Exception):
    pass


def _stop_at(epoch: int):
    def callback(trainer):
        if trainer.epoch == epoch:
            raise Stop(f"stopped at epoch {epoch}")

    return callback


def _train(tmp_path, tiny_data, epochs: int, stop_epoch: int):
    model = YOLOLAT("yolo-lat-t.yaml")
    model.add_callback("on_train_epoch_start", _stop_at(stop_epoch))
    with pytest.raises(Stop):
        model.train(data=str(tiny_data), epochs=epochs, imgsz=64, batch=4, workers=0, plots=False, val=False,
                    project=str(tmp_path / "p"), name="r")  # fmt: skip


def test_failure_in_the_first_epoch_removes_the_run_folder(tmp_path, tiny_data):
    _train(tmp_path, tiny_data, epochs=1, stop_epoch=0)
    assert not (tmp_path / "p").exists()


def test_failure_after_a_checkpoint_keeps_the_run(tmp_path, tiny_data):
    _train(tmp_path, tiny_data, epochs=2, stop_epoch=1)
    assert (tmp_path / "p" / "r" / "weights" / "last.pt").is_file()


def test_discard_only_what_the_run_made(tmp_path):
    project = tmp_path / "runs" / "detect"
    folder = RunFolder(str(project), "train", exist_ok=False)  # noted before anything exists
    run = project / "train"
    (run / "weights").mkdir(parents=True)
    (run / "args.yaml").write_text("{}")
    (run / "weights" / "last.pt").write_bytes(b"x")
    assert not discard_unfinished_run(run, folder)  # it has a checkpoint
    (run / "weights" / "last.pt").unlink()
    assert discard_unfinished_run(run, folder)
    assert list(tmp_path.iterdir()) == []  # runs/detect went too: the run made them
    run.mkdir(parents=True)
    assert not discard_unfinished_run(run, RunFolder(str(project), "train", exist_ok=True))  # it was there
    assert run.is_dir()


def test_failed_val_leaves_no_run_folder(tmp_path):
    one_line_error(run_cli("val", "model=yolo-lat-t.pt", "data=nosuchdata", cwd=tmp_path, env=user_env()), "nosuchdata")
    assert list(tmp_path.iterdir()) == []
