import json

import torch


@torch.inference_mode()
def convert(checkpoint, out):
    state = torch.load(checkpoint, map_location="cpu")
    renamed = {name.replace("model.", ""): value for name, value in state.items()}
    torch.save(renamed, out)
    json.dump(sorted(renamed), open(f"{out}.json", "w"))
