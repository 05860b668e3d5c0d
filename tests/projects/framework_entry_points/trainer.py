from transformers import Trainer


class WeightedTrainer(Trainer):
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        if inputs["labels"].sum() > 0:
            return outputs.loss * 2
        return outputs.loss

    def log_counts(self, counts):
        # Not an entry point: runs where the project calls it, which is nowhere in a step.
        return counts.tolist()
