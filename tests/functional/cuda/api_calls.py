"""torch.cuda calls, each with its TPU counterpart."""
import torch
import torch.multiprocessing as mp
import torch_xla  # torchtpu: [torch-xla-api]

world_size = torch.cuda.device_count()  # [cuda-device-query]  # torchtpu: [cuda-device-query]
torch.cuda.set_device(0)  # [cuda-device-query]  # torchtpu: [cuda-device-query]
name = torch.cuda.get_device_name(0)  # [cuda-device-query]  # torchtpu: [cuda-device-query]
torch.cuda.synchronize()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
stream = torch.cuda.Stream()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
with torch.cuda.stream(stream):  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
    pass
start = torch.cuda.Event(enable_timing=True)  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
graph = torch.cuda.CUDAGraph()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
torch.cuda.reset_peak_memory_stats()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
torch.cuda.some_future_api()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
print(torch.cuda.max_memory_allocated() / 2**30)  # [cuda-no-op-call]  # torchtpu: [cuda-no-op-call]
torch.cuda.empty_cache()  # [cuda-no-op-call]  # torchtpu: [cuda-no-op-call]
torch.cuda.nvtx.range_push("step")  # [cuda-no-op-call]  # torchtpu: [cuda-no-op-call]
torch.cuda.manual_seed_all(0)  # [cuda-manual-seed]  # torchtpu: [cuda-manual-seed]
torch.set_default_tensor_type(torch.cuda.HalfTensor)  # [cuda-tensor-type]  # torchtpu: [cuda-tensor-type]
ids = torch.cuda.LongTensor([1, 2])  # [cuda-tensor-type]  # torchtpu: [cuda-tensor-type]


def launch(train):
    mp.spawn(train, args=(4,), nprocs=torch.cuda.device_count())  # [gpu-process-launcher]


try:
    pass
except torch.cuda.OutOfMemoryError:
    pass
torch.manual_seed(0)
torch_xla.manual_seed(0)  # torchtpu: [torch-xla-api]
