"""A small greedy decode loop as GPU inference code writes it for CUDA graphs: a static KV cache
(one buffer of MAX_LEN positions), the position kept on the device, one token per step."""
import torch
import torch.nn.functional as F

MAX_LEN, WIDTH, VOCAB = 32, 64, 100


class TinyDecoder(torch.nn.Module):
    """One attention layer over a KV cache of MAX_LEN positions, and an output head."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, WIDTH)
        self.qkv = torch.nn.Linear(WIDTH, 3 * WIDTH)
        self.head = torch.nn.Linear(WIDTH, VOCAB)

    def forward(self, token, position, keys, values):
        query, key, value = self.qkv(self.embed(token)).chunk(3, dim=-1)  # (1, WIDTH) each
        keys.index_copy_(0, position, key)
        values.index_copy_(0, position, value)
        visible = torch.arange(MAX_LEN, device=token.device) <= position
        scores = (keys @ query.T).squeeze(-1).masked_fill(~visible, float("-inf"))
        attended = F.softmax(scores, dim=0) @ values
        return self.head(attended)


@torch.no_grad()
def generate(model, first_token, steps, device):
    keys = torch.zeros(MAX_LEN, WIDTH, device=device)
    values = torch.zeros(MAX_LEN, WIDTH, device=device)
    tokens = torch.zeros(MAX_LEN, dtype=torch.long, device=device)
    token = torch.tensor([first_token], device=device)
    position = torch.zeros(1, dtype=torch.long, device=device)
    for _ in range(steps):
        logits = model(token, position, keys, values)
        token = logits.argmax().view(1)
        tokens.index_copy_(0, position, token)
        position = position + 1
    return tokens


if __name__ == "__main__":
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = TinyDecoder().to(device).eval()
    tokens = generate(model, first_token=1, steps=12, device=device)
    print("tokens:", tokens[:12].tolist())
