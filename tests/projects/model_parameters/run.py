from transformers import AutoModelForCausalLM, AutoTokenizer

from generate import describe, generate


def beam(lm, prompt):
    # `lm` is a model because the call site below passes one: no use here says so.
    for step in range(8):
        prompt = lm(prompt)
    return prompt


def chat(reply, history):
    # `reply` is a plain function the caller passes: not a model, no step.
    for turn in history:
        print(reply(turn))


def main():
    tokenizer = AutoTokenizer.from_pretrained("gpt2")
    model = AutoModelForCausalLM.from_pretrained("gpt2")
    ids = tokenizer("hello", return_tensors="pt").input_ids
    out = generate(model, ids, tokenizer.eos_token_id)
    print(describe(out, tokenizer.get_vocab()))
    beam(model, ids)
    chat(str.upper, ["hi"])
