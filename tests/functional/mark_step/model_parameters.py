"""A model passed in as a parameter, with no call site in the file: what the function does with it
says it is a model (issue 11). Look-alikes: callables and objects that are not used as models."""
import torch  # [missing-torch-xla-import]


def generate(model, ids, eos_id, steps=64):
    ids = ids.cuda()  # [cuda-move-method]  # torchtpu: [cuda-move-method]
    for _ in range(steps):  # [missing-graph-barrier]
        nxt = model(ids)[:, -1].argmax(-1, keepdim=True)
        ids = torch.cat([ids, nxt], dim=-1)  # [growing-tensor]  # torchtpu: [growing-tensor]
        if nxt.item() == eos_id:  # [host-sync-in-step]
            break
    return ids


def evaluate(net, batches):
    net.eval()
    for batch in batches:  # [missing-graph-barrier]
        net(batch.to("cuda"))  # [cuda-device]  # torchtpu: [cuda-device]


def fit(model, optimizer, batches):
    for x, y in batches:  # [missing-graph-barrier]
        loss = torch.nn.functional.mse_loss(model.forward(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def apply_all(handler, requests):
    for request in requests:
        handler(request)  # a callable given plain Python values: not a model


def retry(fn, attempts):
    for attempt in range(attempts):
        if fn(attempt):  # not a tensor argument
            return attempt
    return None


def report(writer, values):
    writer.eval()  # asked for .eval() but never run on anything in a loop
    for value in values:
        writer.write(value)
