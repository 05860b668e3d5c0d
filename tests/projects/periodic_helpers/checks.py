def save(model, path):
    weights = model.weight
    if weights.detach().abs().max() > 1e3:
        print("large weights at", path)


def check(model):
    weights = model.weight
    if weights.detach().abs().max() > 1e3:
        print("large weights")
