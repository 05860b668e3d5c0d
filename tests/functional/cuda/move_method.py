"""`.cuda()` on tensors and modules."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]


class Net(torch.nn.Module):
    def setup(self):
        self.cuda()  # [cuda-move-method]  # torchtpu: [cuda-move-method]


model = Net().cuda()  # [cuda-move-method]  # torchtpu: [cuda-move-method]
batch = torch.zeros(2).cuda(non_blocking=True)  # [cuda-move-method]  # torchtpu: [cuda-move-method]
moved = list(map(torch.Tensor.cuda, [batch]))  # [cuda-move-method]  # torchtpu: [cuda-move-method]
both = (batch.cuda(), model.cuda())  # [cuda-move-method, cuda-move-method]  # torchtpu: [cuda-move-method, cuda-move-method]


class Args:
    cuda = True


if Args.cuda:
    print(Args().cuda)


def to_gpu(x, y, rank):
    x, y = x.cuda(rank), y.cuda(rank)  # [cuda-move-method, cuda-move-method]  # torchtpu: [cuda-move-method, cuda-move-method]
    return x, y
