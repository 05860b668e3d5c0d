from json import *


def summary(device="cuda"):
    # No PyTorch here, star import or not: "cuda" is a string.
    return dumps({"device": device})
