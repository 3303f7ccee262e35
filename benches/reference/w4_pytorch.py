# W4 in PyTorch, for BENCHMARKS.md: one training step (forward, backward, SGD update) of the
# LSTM language model of `benches/sequences.rs`, on one thread, float32, synthetic token ids:
# Embedding(V, 100) -> LSTM(100, 100) -> Linear(100, V), batch 20, T 35, cross-entropy over
# all 700 steps (mean), SGD lr 0.1. V = 10,000 (the book's chapter-6 shape) and V = 100 (the
# character twin). Prints ms per step: the median and the range of 7 rounds of `steps` steps
# after a warm-up.
#
# Run: python3 benches/reference/w4_pytorch.py   (torch 2.15.0 was used: `pip install torch`)
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)
BATCH, STEPS, E, H = 20, 35, 100, 100


class Lm(torch.nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, E)
        self.lstm = torch.nn.LSTM(E, H)  # time-major input (T, N, E), as nn's layout
        self.fc = torch.nn.Linear(H, vocab)

    def forward(self, ids):
        h, _ = self.lstm(self.embed(ids))
        return self.fc(h)


def bench(vocab, steps):
    model = Lm(vocab)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ids = torch.randint(0, vocab, (STEPS + 1, BATCH))
    x, t = ids[:-1], ids[1:].reshape(-1)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(x).reshape(-1, vocab), t)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    rounds = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        rounds.append((time.perf_counter() - start) / steps * 1e3)
    return statistics.median(rounds), min(rounds), max(rounds)


print(f"torch {torch.__version__}, threads {torch.get_num_threads()}", file=sys.stderr)
for vocab, steps in [(10_000, 5), (100, 50)]:
    med, lo, hi = bench(vocab, steps)
    print(f"W4 PyTorch V={vocab}: {med:.2f} ms/step (median of 7 rounds; range {lo:.2f}-{hi:.2f})")
