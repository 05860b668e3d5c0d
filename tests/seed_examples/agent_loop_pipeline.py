# The seed's agent loop with the seed's own pipeline (seed_pipeline.py) called once per step: the
# seed counts 3-4 changes (import, device swap, a barrier per step).
import torch
from transformers import pipeline

generator = pipeline("text-generation", model="meta-llama/Llama-3-8B", device="cuda")


def run_tool(action):
    return f"Observation: looked up {action!r}"


prompt = "Question: what is the capital of France?\n"
for step in range(5):
    thought = generator(prompt, max_new_tokens=64)[0]["generated_text"]
    if "Final Answer:" in thought:
        break
    prompt += thought + "\n" + run_tool(thought) + "\n"
print(prompt)
