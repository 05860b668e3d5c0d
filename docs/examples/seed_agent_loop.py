# The seed's agent loop (ReAct style): one generate() per reasoning step. The seed counts 3-4
# changes: import + device swap (as in seed_pipeline.py), a barrier per step, a static KV cache.
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

device = "cuda"
tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-3-8B")
model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3-8B").to(device)


def run_tool(action):
    return f"Observation: looked up {action!r}"


prompt = "Question: what is the capital of France?\n"
for step in range(5):
    inputs = tokenizer(prompt, return_tensors="pt").to(device)
    output = model.generate(**inputs, max_new_tokens=64)
    thought = tokenizer.decode(output[0], skip_special_tokens=True)
    if "Final Answer:" in thought:
        break
    prompt += thought + "\n" + run_tool(thought) + "\n"
print(prompt)
