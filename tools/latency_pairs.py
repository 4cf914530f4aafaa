#!/usr/bin/env python
"""Paired CPU latency: two or more detectors timed in alternation, one fresh process per measurement.

python tools/latency_pairs.py models=yolo-lat-n,yolo11n backends=onnxruntime,openvino imgsz=640 rounds=5
    -> benchmarks/results/latency_pairs_cpu.json, benchmarks/latency_pairs_cpu.md

One benchmark run gives one median per (model, runtime), and on a shared 2-core machine two such
medians taken minutes apart differ by more than the models do. Here every round measures each model
once per runtime, in a process of its own (`yolo-lat benchmark`'s pipeline: batch 1, letterbox, the
exported network, NMS), with the order reversed every other round; the ratio of the first model to each
other one is taken within a round, so slow drifts of the machine cancel. The summary gives the mean
and range of those per-round ratios. Run it on a quiet machine (`cat /proc/loadavg`, 1-minute load
below ~0.7): every measurement records the load it ran under.
Arguments (key=value): models (first = the one compared), backends, imgsz, rounds, budget_s (per
timing, default 3), suffix (files kept beside another run's).
"""

import sys
from pathlib import Path
from statistics import mean, median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tools.results is not installed

KEYS = ("models", "backends", "imgsz", "rounds", "budget_s", "suffix")
PHASES = ("forward", "end_to_end")


def summarise(rows: list[dict], models: list[str]) -> list[dict]:
    """Per (backend, other model, phase): the median ms of each model over the rounds, and the first
    model's time over the other's within each round (mean, min, max over the rounds both have)."""
    out = []
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    for backend in backends:
        mine = [r for r in rows if r["backend"] == backend]
        by_round = {}
        for r in mine:
            by_round.setdefault(r["round"], {})[r["model"]] = r
        for other in models[1:]:
            for phase in PHASES:
                ratios = [
                    rnd[models[0]][phase] / rnd[other][phase]
                    for rnd in by_round.values()
                    if {models[0], other} <= set(rnd)
                ]
                if not ratios:
                    continue
                out.append({
                    "backend": backend, "model": models[0], "versus": other, "phase": phase,
                    "model_ms": round(median(r[phase] for r in mine if r["model"] == models[0]), 2),
                    "versus_ms": round(median(r[phase] for r in mine if r["model"] == other), 2),
                    "ratio_mean": round(mean(ratios), 3), "ratio_min": round(min(ratios), 3),
                    "ratio_max": round(max(ratios), 3), "rounds": len(ratios),
                })  # fmt: skip
    return out


def markdown(report: dict) -> str:
    env = report["environment"]
    lines = [
        "# Paired CPU latency (`tools/latency_pairs.py`)",
        "",
        f"{env.get('cpu', 'CPU')}; {report['command']}",
        "",
        f"{report['rounds']} rounds; in each, every model once per runtime, a fresh process per measurement, the order "
        "reversed every other round; batch 1, `yolo-lat benchmark`'s pipeline (forward: the network on a ready "
        "tensor; end to end: letterbox, network and NMS from uint8 images). Ratio: the first model's median over "
        "the other's within a round; mean (min…max) over the rounds. 1-minute load average while measuring: "
        f"{report['loadavg_range'][0]}–{report['loadavg_range'][1]}.",
        "",
        "| runtime | phase | model ms | versus | versus ms | ratio mean (min…max) |",
        "|---|---|---:|---|---:|---:|",
    ]
    for s in report["summary"]:
        lines.append(
            f"| {s['backend']} | {s['phase'].replace('_', ' ')} | {s['model']}: {s['model_ms']:.1f} | {s['versus']} | "
            f"{s['versus_ms']:.1f} | {s['ratio_mean']:.3f} ({s['ratio_min']:.3f}…{s['ratio_max']:.3f}) |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from tools.results import key_values

    try:
        args = key_values(sys.argv[1:] if argv is None else argv, KEYS)
        models = [m for m in args.get("models", "yolo-lat-n,yolo11n").split(",") if m]
        backends = [b for b in args.get("backends", "onnxruntime,openvino").split(",") if b]
        imgsz, rounds = int(args.get("imgsz", 640)), int(args.get("rounds", 5))
        budget = float(args.get("budget_s", 3.0))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(models) < 2 or rounds < 1 or imgsz < 32 or budget <= 0:
        print("error: give two or more models, rounds >= 1, imgsz >= 32 and budget_s > 0", file=sys.stderr)
        return 2

    import os
    import time

    from tools.results import BENCHMARKS, RESULTS
    from yolo_lat.bench.common import write_json
    from yolo_lat.bench.detectors import RUNTIMES, Plan, measure_in_fresh_process
    from yolo_lat.bench.run import make_plan

    unknown = [b for b in backends if b not in RUNTIMES]
    if unknown:
        print(f"error: backends={','.join(unknown)}: expected some of {', '.join(RUNTIMES)}", file=sys.stderr)
        return 2
    try:
        make_plan("cpu", models=models, backends=backends, log=lambda s: None)  # every model resolves
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    suffix = args.get("suffix", "")
    json_path, md_path = RESULTS / f"latency_pairs_cpu{suffix}.json", BENCHMARKS / f"latency_pairs_cpu{suffix}.md"
    print(f"1-minute load average now: {os.getloadavg()[0]:.2f} (timings are meaningful below ~0.7)")
    rows, env, loads = [], None, []
    for rnd in range(rounds):
        order = models if rnd % 2 == 0 else models[::-1]
        for backend in backends:
            for name in order:
                plan = Plan(
                    device="cpu", models=[name], imgszs=(imgsz,), batches=(1,), backends=(backend,), budget_s=budget
                )
                try:
                    rep = measure_in_fresh_process(plan, log=lambda s: None)
                except RuntimeError as exc:
                    print(f"error: round {rnd} {backend} {name}: {exc}", file=sys.stderr)
                    return 1
                if not rep["latency"]:
                    why = "; ".join(s.get("reason", str(s)) for s in rep["skipped"]) or "no row"
                    print(f"error: round {rnd} {backend} {name}: {why}", file=sys.stderr)
                    return 1
                env = env or rep["environment"]
                row = rep["latency"][0]
                loads.append(row["loadavg_1min"])
                rows.append({"round": rnd, "backend": backend, "model": name, "loadavg_1min": row["loadavg_1min"],
                             **{p: round(row[p]["median_ms"], 3) for p in PHASES}})  # fmt: skip
                print(f"round {rnd} {backend:12s} {name:28s} forward {rows[-1]['forward']:7.2f} ms, "
                      f"end to end {rows[-1]['end_to_end']:7.2f} ms (load {row['loadavg_1min']})", flush=True)  # fmt: skip
    command = "python tools/latency_pairs.py " + " ".join(f"{k}={v}" for k, v in args.items())
    report = {
        "benchmark": "latency_pairs", "command": command, "environment": env, "imgsz": imgsz, "rounds": rounds,
        "models": models, "backends": backends, "loadavg_range": [min(loads), max(loads)],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "measurements": rows, "summary": summarise(rows, models),
    }  # fmt: skip
    write_json(report, json_path)
    md_path.write_text(markdown(report))
    print(markdown(report))
    print(f"-> {json_path}, {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
