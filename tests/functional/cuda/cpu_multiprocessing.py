"""mp.spawn in a module with no GPU code is plain multiprocessing (e.g. CPU RPC workers)."""
import torch.distributed.rpc as rpc
import torch.multiprocessing as mp


def run_worker(rank, world_size):
    rpc.init_rpc(f"worker{rank}", rank=rank, world_size=world_size)
    rpc.shutdown()


if __name__ == "__main__":
    mp.spawn(run_worker, args=(2,), nprocs=2, join=True)
