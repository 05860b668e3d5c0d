from .model import Transformer
