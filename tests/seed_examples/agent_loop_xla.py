# docs/examples/seed_agent_loop.py after its port (every change tpulint asks for made): 0 changes.
import torch
import torch_xla
from transformers import AutoModelForCausalLM, AutoTokenizer

device = torch_xla.device()
tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-3-8B")
model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3-8B").to(device)


def run_tool(action):
    return f"Observation: looked up {action!r}"


prompt = "Question: what is the capital of France?\n"
for step in range(5):
    inputs = tokenizer(prompt, return_tensors="pt", padding="max_length", max_length=1024).to(device)
    output = model.generate(**inputs, max_new_tokens=64, cache_implementation="static")
    thought = tokenizer.decode(output[0], skip_special_tokens=True)
    if "Final Answer:" in thought:
        break
    prompt += thought + "\n" + run_tool(thought) + "\n"
    torch_xla.sync()
print(prompt)
