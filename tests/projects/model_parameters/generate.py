import torch


def generate(model, ids, eos_id, steps=64):
    ids = ids.cuda()
    for _ in range(steps):
        nxt = model(ids)[:, -1].argmax(-1, keepdim=True)
        ids = torch.cat([ids, nxt], dim=-1)
        if nxt.item() == eos_id:
            break
    return ids


def describe(ids, vocab):
    # No step reaches this: the caller decodes once, after generation.
    return [vocab[i] for i in ids.tolist()]
