# The seed's simple inference script: tpulint estimates 2 changes (import + device swap).
import torch
from transformers import pipeline

model = pipeline("text-generation", model="meta-llama/Llama-3-8B", device="cuda")
output = model("Hello, world!", max_length=50)
