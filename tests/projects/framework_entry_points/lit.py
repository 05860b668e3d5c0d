import lightning as L
import torch


class Classifier(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(8, 2)

    def training_step(self, batch, batch_idx):
        x, y = batch
        keep = (y >= 0).nonzero()
        loss = torch.nn.functional.cross_entropy(self.net(x[keep]), y[keep])
        if batch_idx == 0:
            self.print("first batch")
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)
