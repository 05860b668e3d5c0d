# seed_agent_loop.py on every GPU of a host: torchrun --nproc_per_node=8 seed_agent_loop_torchrun.py
# The seed counts 1-2 changes more than the single-device loop: the process group (NCCL) and the
# per-process device selection.
import os

import torch
import torch.distributed as dist
from transformers import AutoModelForCausalLM, AutoTokenizer

dist.init_process_group("nccl")
local_rank = int(os.environ["LOCAL_RANK"])
torch.cuda.set_device(local_rank)
device = f"cuda:{local_rank}"
tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-3-8B")
model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3-8B").to(device)


def run_tool(action):
    return f"Observation: looked up {action!r}"


prompt = f"Question {dist.get_rank()}: what is the capital of France?\n"
for step in range(5):
    inputs = tokenizer(prompt, return_tensors="pt").to(device)
    output = model.generate(**inputs, max_new_tokens=64)
    thought = tokenizer.decode(output[0], skip_special_tokens=True)
    if "Final Answer:" in thought:
        break
    prompt += thought + "\n" + run_tool(thought) + "\n"
print(prompt)
dist.destroy_process_group()
