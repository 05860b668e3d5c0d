class Config:
    def __call__(self, x):
        return x
