"""GPU-only arguments of Hugging Face and vLLM APIs."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
from transformers import AutoModelForCausalLM, pipeline
from vllm import LLM

model = AutoModelForCausalLM.from_pretrained("gpt2", device_map="auto")  # [hf-device-map]  # torchtpu: [hf-device-map]
model2 = AutoModelForCausalLM.from_pretrained("gpt2", device_map="cuda:0")  # [hf-device-map]  # torchtpu: [hf-device-map]
model3 = AutoModelForCausalLM.from_pretrained("gpt2", torch_dtype=torch.float16)  # [half-model-dtype]  # torchtpu: [half-model-dtype]
model4 = AutoModelForCausalLM.from_pretrained("gpt2", dtype="float16")  # [half-model-dtype]  # torchtpu: [half-model-dtype]
generator = pipeline("text-generation", model="gpt2", device="cuda")  # [cuda-device]  # torchtpu: [cuda-device]
llm = LLM(model="meta-llama/Llama-3-8B", device="cuda")  # [vllm-gpu-option]  # torchtpu: [vllm-gpu-option]
quantized = LLM(model="TheBloke/Llama-2-7B-AWQ", quantization="awq")  # [vllm-gpu-option]
half = LLM(model="meta-llama/Llama-3-8B", dtype="half")  # [half-model-dtype]  # torchtpu: [half-model-dtype]

ported = AutoModelForCausalLM.from_pretrained("gpt2", dtype=torch.bfloat16).to(torch_xla.device())  # torchtpu: [torch-xla-api]
on_cpu = AutoModelForCausalLM.from_pretrained("gpt2", device_map="cpu")
fp8 = LLM(model="meta-llama/Llama-3-8B", quantization="fp8", tensor_parallel_size=8)

dtype = torch.float16  # [half-model-dtype]  # torchtpu: [half-model-dtype]
first = AutoModelForCausalLM.from_pretrained("gpt2", torch_dtype=dtype)
second = AutoModelForCausalLM.from_pretrained("gpt2", torch_dtype=dtype)
third = LLM(model="meta-llama/Llama-3-8B", dtype=dtype)
on_host = AutoModelForCausalLM.from_pretrained("gpt2", device_map={"": "cpu"})
