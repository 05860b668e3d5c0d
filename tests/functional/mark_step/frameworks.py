"""Loops a framework drives: Hugging Face Trainer, accelerate, Lightning Fabric."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
from lightning.fabric import Fabric
from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased").to(device)


def hugging_face(datasets):
    for dataset in datasets:
        trainer = Trainer(model=model, args=TrainingArguments(output_dir="out", optim="adamw_torch"), train_dataset=dataset)
        trainer.train()


def fabric_loop(loader):
    fabric = Fabric(accelerator="tpu")
    optimizer = torch.optim.AdamW(model.parameters())
    fabric_model, fabric_optimizer = fabric.setup(model, optimizer)
    for batch in fabric.setup_dataloaders(loader):
        loss = fabric_model(**batch).loss
        fabric.backward(loss)
        fabric_optimizer.step()


def plain_loop(loader):
    optimizer = torch.optim.AdamW(model.parameters())
    for batch in loader:  # [missing-graph-barrier]
        model(**batch).loss.backward()
        optimizer.step()
