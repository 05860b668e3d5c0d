from .base import Base
class Transformer(Base):
    def forward(self, x):
        return x
