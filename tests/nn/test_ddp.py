"""The ELA attention layer under DistributedDataParallel (2 CPU processes, gloo) gives the same
gradients as one process on the combined batch."""

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP

from yolo_lat.nn import ELAttention


def _model():
    torch.manual_seed(0)
    # BatchNorm in eval mode: per-process batch statistics would differ from the combined batch's
    return ELAttention(16, num_heads=2).eval()


def _batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(4, 16, 6, 5, generator=g), torch.randn(4, 16, 6, 5, generator=g)


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    model = DDP(_model())
    x, target = _batch()
    per = x.shape[0] // world
    sl = slice(rank * per, (rank + 1) * per)
    loss = (model(x[sl]) - target[sl]).square().mean()
    loss.backward()
    if rank == 0:
        torch.save({n: p.grad.clone() for n, p in model.module.named_parameters()}, out)
    dist.barrier()
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_gradients_equal_single_process(tmp_path):
    out = str(tmp_path / "grads.pt")
    mp.spawn(_worker, args=(2, _free_port(), out), nprocs=2, join=True)
    ddp_grads = torch.load(out)

    model = _model()
    x, target = _batch()
    (model(x) - target).square().mean().backward()
    for name, p in model.named_parameters():
        assert torch.allclose(ddp_grads[name], p.grad, rtol=1e-5, atol=1e-7), name
