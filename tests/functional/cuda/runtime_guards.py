"""CUDA calls that run only where the device really is a GPU need no edit (issue 11, measured on
torchtune's recipes): `x.type == "cuda"` and `x.is_cuda` guard them (so does `torch.cuda.is_available()`, itself still
reported as a device query)."""
import torch  # [missing-torch-xla-import]


class Recipe:
    def __init__(self, device):
        self._device = torch.device(device)

    def setup(self, batch):
        if self._device.type == "cuda":
            torch.cuda.memory._record_memory_history()
        if batch.is_cuda and self._device.index == 0:
            torch.cuda.synchronize()
        if not self._device.type == "cuda":
            pass
        else:
            torch.cuda.reset_peak_memory_stats()

    def teardown(self):
        if self._device.type == "cpu":
            torch.cuda.synchronize()  # [cuda-runtime-call]  # torchtpu: [cuda-runtime-call]
        torch.cuda.empty_cache()  # [cuda-no-op-call]  # torchtpu: [cuda-no-op-call]


def attention_kernel(q):
    """Past `if not torch.cuda.is_available(): return`, only a GPU runs the code."""
    if not torch.cuda.is_available():  # [cuda-device-query]  # torchtpu: [cuda-device-query]
        return q
    torch.cuda.synchronize()
    return q.cuda()


def pick_kernels(flash):
    """`if not torch.cuda.is_available() or not flash: return`: past it CUDA is there too."""
    if not torch.cuda.is_available() or not flash:  # [cuda-device-query]  # torchtpu: [cuda-device-query]
        return None
    return torch.cuda.get_device_properties(torch.device("cuda"))


def not_a_guard(flash):
    if not flash or torch.cuda.is_available():  # [cuda-device-query]  # torchtpu: [cuda-device-query]
        return None
    return torch.cuda.get_device_properties(torch.device("cuda"))  # [cuda-device-query, cuda-device]  # torchtpu: [cuda-device-query, cuda-device]
