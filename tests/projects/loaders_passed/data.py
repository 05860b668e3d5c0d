import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset
from transformers import DataCollatorWithPadding


class Texts(Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __getitem__(self, i):
        # Worker code on the CPU: a data-dependent shape here is not the step's.
        row = torch.tensor(self.rows[i])
        return row[row.nonzero().flatten()]

    def __len__(self):
        return len(self.rows)


def collate(batch):
    return pad_sequence(batch, batch_first=True)


def make_loader(rows):
    return DataLoader(Texts(rows), batch_size=8, collate_fn=collate)


def make_eval_loader(rows, tokenizer):
    collator = DataCollatorWithPadding(tokenizer)
    options = {"batch_size": 8, "drop_last": True, "pin_memory": True}
    return DataLoader(Texts(rows), collate_fn=collator, **options)


def make_fixed_loader(rows, tokenizer):
    # Fixed buckets and whole batches: nothing to change.
    return DataLoader(Texts(rows), batch_size=8, drop_last=True,
                      collate_fn=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=64))
