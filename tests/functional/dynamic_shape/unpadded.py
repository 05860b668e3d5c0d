"""Inputs whose shape changes from call to call."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer

device = torch_xla.device()  # torchtpu: [torch-xla-api]
tokenizer = AutoTokenizer.from_pretrained("gpt2")
model = AutoModelForCausalLM.from_pretrained("gpt2").to(device)
optimizer = torch.optim.AdamW(model.parameters())
prompts_encoded = tokenizer(["set-up, once"], return_tensors="pt")


def answer(prompts):
    for prompt in prompts:
        inputs = tokenizer(prompt, return_tensors="pt").to(device)  # [unpadded-input]  # torchtpu: [unpadded-input]
        model.generate(**inputs, max_new_tokens=32)  # one hazard with the tokenizer's: one edit
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def answer_padded_dynamic_cache(prompts):
    for prompt in prompts:
        inputs = tokenizer(prompt, return_tensors="pt", padding="max_length", max_length=128).to(device)
        model.generate(**inputs, max_new_tokens=32)  # [unpadded-input]  # torchtpu: [unpadded-input]
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def answer_padded(prompts):
    for prompt in prompts:
        inputs = tokenizer(prompt, return_tensors="pt", padding="max_length", max_length=128).to(device)
        model.generate(**inputs, max_new_tokens=32, cache_implementation="static")
        bucketed = tokenizer(prompt, return_tensors="pt", padding=True, pad_to_multiple_of=64)
        token_ids = tokenizer(prompt)["input_ids"]  # Python lists, not device input
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return bucketed


def train(dataset, epochs):
    loader = DataLoader(dataset, batch_size=32, shuffle=True)  # [unpadded-input]  # torchtpu: [unpadded-input]
    fixed = DataLoader(dataset, batch_size=32, drop_last=True)
    evaluation = DataLoader(dataset, batch_size=32)
    for _ in range(epochs):
        for batch in loader:
            model(**batch).loss.backward()
            optimizer.step()
            torch_xla.sync()  # torchtpu: [torch-xla-api]
        for batch in fixed:
            model(**batch).loss.backward()
            optimizer.step()
            torch_xla.sync()  # torchtpu: [torch-xla-api]
    with torch.no_grad():
        for batch in evaluation:
            model(**batch)
            torch_xla.sync()  # torchtpu: [torch-xla-api]


class TinyGPT(torch.nn.Module):
    """A model with its own generate() (nanoGPT's style): its loop is judged where it is written,
    and Hugging Face's cache_implementation= would mean nothing to it."""

    def forward(self, idx):
        return idx

    def generate(self, idx, steps):
        return idx


tiny = TinyGPT()
tiny.to(device)


def sample(prompts):
    for prompt in prompts:
        tiny.generate(prompt.to(device), 16)
        torch_xla.sync()  # torchtpu: [torch-xla-api]
