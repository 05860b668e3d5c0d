"""Token-by-token decoding, diffusion sampling, agent loops, RL rollouts."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
from transformers import AutoModelForCausalLM, AutoTokenizer

device = torch_xla.device()  # torchtpu: [torch-xla-api]
tokenizer = AutoTokenizer.from_pretrained("gpt2")
llm = AutoModelForCausalLM.from_pretrained("gpt2").to(device)


def decode(tokens, steps):
    for cur_pos in range(steps):  # [missing-graph-barrier]
        logits = llm(tokens[:, :cur_pos + 1]).logits
        next_token = torch.argmax(logits[:, -1], dim=-1)
        tokens[:, cur_pos + 1] = next_token
    return tokens


def decode_synced(tokens, steps):
    for cur_pos in range(steps):
        logits = llm(tokens).logits
        tokens = torch.cat([tokens, logits[:, -1:].argmax(-1)], dim=1)  # [growing-tensor]  # torchtpu: [growing-tensor]
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return tokens


def agent(prompts, tools):
    history = []
    for prompt in prompts:  # [missing-graph-barrier]
        inputs = tokenizer(prompt, return_tensors="pt").to(device)  # [unpadded-input]  # torchtpu: [unpadded-input]
        output = llm.generate(**inputs, max_new_tokens=32)  # with the tokenizer: one finding
        history.append(output)
        tools.run(history)
    return history


def agent_synced(prompts):
    answers = []
    for prompt in prompts:
        inputs = tokenizer(prompt, return_tensors="pt").to(device)  # [unpadded-input]  # torchtpu: [unpadded-input]
        answers.append(llm.generate(**inputs, max_new_tokens=32))  # with the tokenizer: one finding
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return answers


def sample(unet: torch.nn.Module, scheduler, latents):
    for t in scheduler.timesteps:  # [missing-graph-barrier]
        noise = unet(latents, t)
        latents = scheduler.step(noise, t, latents).prev_sample
    return latents


def rollout(policy: torch.nn.Module, env, steps):
    observation = env.reset()
    for _ in range(steps):  # [missing-graph-barrier]
        action = policy(torch.as_tensor(observation, device=device))
        observation, reward, done, _ = env.step(action.argmax().item())  # [host-sync-in-step]
        if done:
            break


def tokenize_only(texts):
    encoded = []
    for text in texts:
        encoded.append(tokenizer(text)["input_ids"])
    return encoded


class TinyGPT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList(torch.nn.Linear(8, 8) for _ in range(2))

    def forward(self, idx):
        for block in self.blocks:
            idx = block(idx)
        return idx

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):  # [missing-graph-barrier]
            logits = self(idx)
            idx = torch.cat((idx, logits[:, -1:]), dim=1)  # [growing-tensor]  # torchtpu: [growing-tensor]
        return idx
