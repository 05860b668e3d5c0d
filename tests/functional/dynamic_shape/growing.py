"""Tensors that grow, and Python indices that change, every iteration of the step loop."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]

device = torch_xla.device()  # torchtpu: [torch-xla-api]
model = torch.nn.Linear(8, 8).to(device)


def generate(tokens, max_len):
    prev_pos = 0
    cache = torch.zeros(max_len, 8, device=device)
    for cur_pos in range(1, max_len):
        logits = model(tokens[:, prev_pos:cur_pos])  # [growing-tensor]  # torchtpu: [growing-tensor]
        tokens = torch.cat([tokens, logits[:, -1:]], dim=1)  # [growing-tensor]  # torchtpu: [growing-tensor]
        cache[cur_pos] = logits[0, -1]  # [growing-tensor]  # torchtpu: [growing-tensor]
        prev_pos = cur_pos
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return tokens, cache


def static(tokens, max_len):
    buffer = torch.zeros(1, max_len, 8, device=device)
    outputs = []
    for step in range(max_len):
        position = torch.tensor([step], device=device)
        logits = model(tokens)
        buffer.index_copy_(1, position, logits[:, -1:])
        outputs.append(logits[:, -1])
        torch_xla.sync()  # torchtpu: [torch-xla-api]
    return torch.stack(outputs), buffer


def collect(batches):
    parts = []
    for batch in batches:
        parts.append(batch)
    return torch.cat(parts)
