# The seed's vLLM script: tpulint estimates 1 change (drop device="cuda"; install vllm-tpu).
from vllm import LLM

llm = LLM(model="meta-llama/Llama-3-8B", tensor_parallel_size=1, device="cuda")
outputs = llm.generate(["Hello!"])
