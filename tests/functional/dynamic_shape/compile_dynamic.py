"""torch.compile(dynamic=True) raises on TorchTPU; other dynamic= values and other compile-like
calls stay silent."""
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        return x * 2


model = Net()
dynamic = torch.compile(model, dynamic=True)  # [inductor-compile]  # torchtpu: [tpu-compile-dynamic]
static = torch.compile(model, dynamic=False)  # [inductor-compile]
default = torch.compile(model)  # [inductor-compile]
other = some_library.compile(model, dynamic=True)
flag = True
unknown = torch.compile(model, dynamic=flag)  # [inductor-compile]
