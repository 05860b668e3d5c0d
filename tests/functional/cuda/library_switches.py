"""GPU-only switches of the libraries people port: each stops the program on a TPU host."""
import torch
import torch.distributed as dist
from diffusers import DiffusionPipeline
from lightning import Trainer
from transformers import AutoModelForCausalLM, TrainingArguments
from transformers import GPTQConfig as Quantized

args = TrainingArguments("out", bf16=True)  # [gpu-only-option]
tf32 = TrainingArguments("out", bf16=True, tf32=True)  # [gpu-only-option]  # torchtpu: [gpu-only-option]
options = {"optim": "adamw_bnb_8bit"}  # [gpu-only-option]  # torchtpu: [gpu-only-option]
eight_bit = TrainingArguments("out", **options)
model = AutoModelForCausalLM.from_pretrained("gpt2", attn_implementation="flash_attention_2")  # [gpu-only-option]  # torchtpu: [gpu-only-option]
quantized = Quantized(bits=4, dataset="c4")  # [gpu-only-option]  # torchtpu: [gpu-only-option]

pipe = DiffusionPipeline.from_pretrained("some/pipeline")
pipe.enable_xformers_memory_efficient_attention()  # [gpu-only-option]  # torchtpu: [gpu-only-option]
pipe.enable_model_cpu_offload()  # [gpu-only-option]
pipe.unet.enable_sequential_cpu_offload()  # [gpu-only-option]

optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)  # [gpu-only-option]
trainer = Trainer(accelerator="gpu", devices=8)  # [gpu-only-option]
mixed = Trainer(accelerator="auto", precision="16-mixed")  # [gpu-only-option]

# Look-alikes: the TPU's settings, flags read at run time, and the same names off the switch.
ported = TrainingArguments("out", bf16=True, optim="adamw_torch")
from_flag = TrainingArguments("out", tf32=args.tf32, optim="adamw_torch")
no_tf32 = TrainingArguments("out", tf32=False, optim="adamw_torch")
sdpa = AutoModelForCausalLM.from_pretrained("gpt2", attn_implementation="sdpa")
unfused = torch.optim.AdamW(model.parameters(), lr=1e-4, foreach=True)
explicit_off = torch.optim.AdamW(model.parameters(), fused=False)
on_tpu = Trainer(accelerator="tpu", precision="bf16-true")
dist.all_reduce(torch.ones(2))
dist.all_reduce(torch.ones(2), op=dist.ReduceOp.AVG)  # [gpu-only-option]
dist.all_reduce(torch.ones(2), op=dist.ReduceOp.SUM)
default_optim = TrainingArguments("out", bf16=True)  # [gpu-only-option]
from_cli = TrainingArguments(**vars(args))
with torch.inference_mode():  # [gpu-only-option]
    model(torch.ones(2))
with torch.no_grad():
    model(torch.ones(2))
pipe.enable_sequential_cpu_offload(device="xla")  # torchtpu: [torch-xla-api]
from transformers import HfArgumentParser
parser = HfArgumentParser((ModelArguments, TrainingArguments))  # [gpu-only-option]
other_parser = HfArgumentParser(ModelArguments)
dist.init_process_group()  # [gpu-only-option]
dist.init_process_group("xla", init_method="xla://")  # torchtpu: [torch-xla-api, torch-xla-api]
dist.init_process_group(backend="xla")  # torchtpu: [torch-xla-api]
fp16 = TrainingArguments("out", fp16=True, optim="adamw_torch")  # [half-precision-training]  # torchtpu: [half-precision-training]
bf16 = TrainingArguments("out", bf16=True, optim="adamw_torch")

from dataclasses import dataclass, field


@dataclass
class OwnTrainingArguments(TrainingArguments):
    optim: str = field(default="adamw_torch")


@dataclass
class FusedTrainingArguments(TrainingArguments):
    optim: str = field(default="adamw_torch_fused")


own_parser = HfArgumentParser((ModelArguments, OwnTrainingArguments))
fused_parser = HfArgumentParser(FusedTrainingArguments)  # [gpu-only-option]
cpu_ddp = Trainer(accelerator="cpu", strategy="ddp", devices=2)
