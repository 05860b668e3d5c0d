import torch
from pkg import Transformer
from pkg.model import Transformer as T2
import pkg.model as models

model = Transformer().cuda()
other = T2().to("cuda")
third = models.Transformer().cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for x in range(10):
    loss = model(torch.ones(2, device="cuda")).sum()
    loss.backward()
    opt.step()
for x in range(10):
    y = other(torch.ones(2, device="cuda"))
for x in range(10):
    z = third(torch.ones(2, device="cuda"))
