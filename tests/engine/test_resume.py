"""A run killed mid-epoch resumes from its last checkpoint and completes."""

import csv
import subprocess
import sys
import textwrap

from yolo_lat import YOLOLAT


def test_killed_run_resumes(tiny_data, tmp_path):
    script = textwrap.dedent(
        f"""
        import os
        from yolo_lat import YOLOLAT
        model = YOLOLAT("yolo-lat-t.yaml")
        seen = []
        def die_mid_epoch_two(trainer):
            seen.append(trainer.epoch)
            if trainer.epoch == 1 and seen.count(1) == 2:
                os._exit(3)  # like a kill: no cleanup, no final checkpoint
        model.add_callback("on_train_batch_end", die_mid_epoch_two)
        model.train(data={str(tiny_data)!r}, epochs=3, imgsz=64, batch=4, project={str(tmp_path)!r}, name="r",
                    plots=False, val=False, seed=0)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 3, out.stderr[-2000:]
    last = tmp_path / "r" / "weights" / "last.pt"
    assert last.is_file()
    rows = list(csv.DictReader((tmp_path / "r" / "results.csv").open()))
    assert len(rows) == 1  # epoch 1 finished, epoch 2 was interrupted

    model = YOLOLAT(last)
    model.train(resume=True)
    rows = list(csv.DictReader((tmp_path / "r" / "results.csv").open()))
    assert [int(float(r["epoch"])) for r in rows] == [1, 2, 3]
    assert (tmp_path / "r" / "weights" / "best.pt").is_file()
