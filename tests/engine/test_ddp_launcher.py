"""Multi-GPU training goes through Ultralytics' DDP launcher: the file it writes must rebuild
our trainer in a fresh process (here without starting the process group)."""

import subprocess
import sys
import textwrap
from pathlib import Path

from ultralytics.utils.dist import ddp_cleanup, generate_ddp_file

from yolo_lat.engine.trainer import YOLOLATTrainer


def test_ddp_file_rebuilds_the_trainer(tiny_data, tmp_path):
    trainer = YOLOLATTrainer(overrides={"model": "yolo-lat-t.yaml", "data": str(tiny_data), "imgsz": 64,
                                        "epochs": 1, "project": str(tmp_path), "name": "ddp"})  # fmt: skip
    trainer.model = trainer.get_model(cfg="yolo-lat-t.yaml", verbose=False)
    file = generate_ddp_file(trainer)
    try:
        state = file.replace(".py", ".pt")
        script = textwrap.dedent(
            f"""
            from ultralytics.utils import DEFAULT_CFG_DICT
            from ultralytics.utils.patches import torch_load
            state = torch_load({state!r}, map_location="cpu")
            cfg = DEFAULT_CFG_DICT.copy()
            cfg.update(save_dir="")
            trainer = state["trainer"](cfg=cfg, overrides=state["args"], _callbacks=state["callbacks"])
            trainer.model = state["model"]
            print(type(trainer).__module__, type(trainer).__name__, type(trainer.model).__name__, trainer.data["nc"])
            """
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.split()[-4:] == ["yolo_lat.engine.trainer", "YOLOLATTrainer", "YOLOLATDetectionModel", "6"]
        assert "trainer.train()" in Path(file).read_text()
    finally:
        ddp_cleanup(trainer, file)
