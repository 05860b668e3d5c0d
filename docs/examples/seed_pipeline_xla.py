# seed_pipeline.py after its port, as the seed writes it: tpulint estimates 0 changes.
import torch
import torch_xla.core.xla_model as xm
from transformers import pipeline

device = xm.xla_device()
model = pipeline("text-generation", model="meta-llama/Llama-3-8B", device=device)
output = model("Hello, world!", max_length=50)
