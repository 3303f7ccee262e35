# Reference values for nn-core/tests/recurrent_reference.rs: forward outputs and
# backpropagation-through-time gradients of single-layer recurrent cells, in float64 numpy.
#
# The cells follow the equations published in the PyTorch documentation of
#   torch.nn.RNN  (nonlinearity='tanh'):  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
#   torch.nn.LSTM (gate rows i, f, g, o): i = σ(W_ii x + b_ii + W_hi h' + b_hi), f = σ(..f..),
#                                          g = tanh(..g..), o = σ(..o..),
#                                          c = f ⊙ c' + i ⊙ g,  h = o ⊙ tanh(c)
#   torch.nn.GRU  (gate rows r, z, n):    r = σ(W_ir x + b_ir + W_hr h' + b_hr), z = σ(..z..),
#                                          n = tanh(W_in x + b_in + r ⊙ (W_hn h' + b_hn)),
#                                          h = (1 − z) ⊙ n + z ⊙ h'
# (h' = h_{t-1}, c' = c_{t-1}). This script is written from those equations only, not from
# the Rust code. The gradients are those of the scalar L = Σ_t Σ_j dY[t, j] · h_t[j], by a
# hand-written backward pass through time, checked here against central finite differences
# of L for every parameter, input and initial-state entry before anything is printed.
#
# Run: python3 nn-core/tests/reference/recurrent.py > nn-core/tests/reference/recurrent_values.rs
# (numpy 2.4.6 was used). The inputs are drawn from a seeded numpy generator and printed
# with the results, so the Rust test reads exactly the same data.
#
# Printed layouts (column-major, as nn stores them):
#   W_IH (GH × IN), W_HH (GH × H): element (r, c) at r + c·GH, i.e. numpy W.T.flatten().
#   B_IH, B_HH: GH.
#   X (IN × T·N), DY and Y (H × T·N), DX like X: column t·N + j holds step t of sequence j,
#   element k + D·(t·N + j), i.e. numpy x[t, j, k] (shape (T, N, D)) flattened.
#   H0, C0, DH0, DC0 (H × N): element k + H·j, i.e. numpy h0[j, k] (shape (N, H)) flattened.
import numpy as np

IN, H, T, N = 3, 4, 5, 2
rng = np.random.default_rng(20250211)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------- RNN (tanh)


def rnn_forward(p, x, h0):
    h = h0
    ys, cache = [], []
    for t in range(T):
        hp = h
        h = np.tanh(x[t] @ p["w_ih"].T + p["b_ih"] + hp @ p["w_hh"].T + p["b_hh"])
        ys.append(h)
        cache.append((hp, h))
    return np.stack(ys), cache


def rnn_backward(p, x, dy, cache):
    g = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.zeros_like(x)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        hp, h = cache[t]
        dh = dy[t] + dh_next
        da = dh * (1.0 - h * h)  # (N, H)
        g["w_ih"] += da.T @ x[t]
        g["w_hh"] += da.T @ hp
        g["b_ih"] += da.sum(axis=0)
        g["b_hh"] += da.sum(axis=0)
        dx[t] = da @ p["w_ih"]
        dh_next = da @ p["w_hh"]
    return g, dx, dh_next


# ---------------------------------------------------------------- LSTM


def lstm_forward(p, x, h0, c0):
    h, c = h0, c0
    ys, cache = [], []
    for t in range(T):
        hp, cp = h, c
        a = x[t] @ p["w_ih"].T + p["b_ih"] + hp @ p["w_hh"].T + p["b_hh"]  # (N, 4H)
        i = sigmoid(a[:, 0:H])
        f = sigmoid(a[:, H : 2 * H])
        gg = np.tanh(a[:, 2 * H : 3 * H])
        o = sigmoid(a[:, 3 * H : 4 * H])
        c = f * cp + i * gg
        tc = np.tanh(c)
        h = o * tc
        ys.append(h)
        cache.append((hp, cp, i, f, gg, o, tc))
    return np.stack(ys), cache


def lstm_backward(p, x, dy, cache):
    g = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.zeros_like(x)
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H))
    for t in reversed(range(T)):
        hp, cp, i, f, gg, o, tc = cache[t]
        dh = dy[t] + dh_next
        dc = dc_next + dh * o * (1.0 - tc * tc)
        do = dh * tc
        di = dc * gg
        dg = dc * i
        df = dc * cp
        da = np.concatenate(
            [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - gg * gg), do * o * (1.0 - o)], axis=1
        )  # (N, 4H)
        g["w_ih"] += da.T @ x[t]
        g["w_hh"] += da.T @ hp
        g["b_ih"] += da.sum(axis=0)
        g["b_hh"] += da.sum(axis=0)
        dx[t] = da @ p["w_ih"]
        dh_next = da @ p["w_hh"]
        dc_next = dc * f
    return g, dx, dh_next, dc_next


# ---------------------------------------------------------------- GRU


def gru_forward(p, x, h0):
    h = h0
    ys, cache = [], []
    for t in range(T):
        hp = h
        ai = x[t] @ p["w_ih"].T + p["b_ih"]  # (N, 3H)
        ah = hp @ p["w_hh"].T + p["b_hh"]  # (N, 3H)
        r = sigmoid(ai[:, 0:H] + ah[:, 0:H])
        z = sigmoid(ai[:, H : 2 * H] + ah[:, H : 2 * H])
        ahn = ah[:, 2 * H : 3 * H]
        n = np.tanh(ai[:, 2 * H : 3 * H] + r * ahn)
        h = (1.0 - z) * n + z * hp
        ys.append(h)
        cache.append((hp, r, z, n, ahn))
    return np.stack(ys), cache


def gru_backward(p, x, dy, cache):
    g = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.zeros_like(x)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        hp, r, z, n, ahn = cache[t]
        dh = dy[t] + dh_next
        dn = dh * (1.0 - z)
        dz = dh * (hp - n)
        dan = dn * (1.0 - n * n)  # d(pre-tanh of n)
        dr = dan * ahn
        dar = dr * r * (1.0 - r)
        daz = dz * z * (1.0 - z)
        dai = np.concatenate([dar, daz, dan], axis=1)  # (N, 3H) input-side pre-activations
        dah = np.concatenate([dar, daz, dan * r], axis=1)  # (N, 3H) hidden-side
        g["w_ih"] += dai.T @ x[t]
        g["w_hh"] += dah.T @ hp
        g["b_ih"] += dai.sum(axis=0)
        g["b_hh"] += dah.sum(axis=0)
        dx[t] = dai @ p["w_ih"]
        dh_next = dh * z + dah @ p["w_hh"]
    return g, dx, dh_next


# ---------------------------------------------------------------- data, checks, output


def draw(gates, with_c):
    gh = gates * H
    p = {
        "w_ih": rng.uniform(-0.5, 0.5, (gh, IN)),
        "w_hh": rng.uniform(-0.5, 0.5, (gh, H)),
        "b_ih": rng.uniform(-0.5, 0.5, gh),
        "b_hh": rng.uniform(-0.5, 0.5, gh),
    }
    x = rng.uniform(-1.0, 1.0, (T, N, IN))
    h0 = rng.uniform(-0.5, 0.5, (N, H))
    c0 = rng.uniform(-0.5, 0.5, (N, H)) if with_c else None
    dy = rng.uniform(-1.0, 1.0, (T, N, H))
    return p, x, h0, c0, dy


def check(name, loss, arrays, grads, eps=1e-5, tol=1e-7):
    """Central differences of loss() for every entry of every array (perturbed in place)."""
    worst = 0.0
    for key, a in arrays.items():
        ga = grads[key]
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            lp = loss()
            a[idx] = old - eps
            lm = loss()
            a[idx] = old
            fd = (lp - lm) / (2.0 * eps)
            err = abs(fd - ga[idx])
            worst = max(worst, err)
            assert err <= tol * max(1.0, abs(fd)), f"{name} {key}{idx}: analytic {ga[idx]!r}, numeric {fd!r}"
    return worst


def floats(name, a):
    a = np.asarray(a, dtype=np.float64).ravel()
    print(f"    pub const {name}: [f64; {a.size}] = [{', '.join(repr(float(v)) for v in a)}];")


def colmajor(w):
    return w.T.flatten()


def emit(name, doc, p, x, h0, c0, dy, y, g, dx, dh0, dc0):
    print()
    print(f"/// {doc}")
    print(f"pub mod {name} {{")
    floats("W_IH", colmajor(p["w_ih"]))
    floats("W_HH", colmajor(p["w_hh"]))
    floats("B_IH", p["b_ih"])
    floats("B_HH", p["b_hh"])
    floats("X", x)
    floats("H0", h0)
    if c0 is not None:
        floats("C0", c0)
    floats("DY", dy)
    floats("Y", y)
    floats("DW_IH", colmajor(g["w_ih"]))
    floats("DW_HH", colmajor(g["w_hh"]))
    floats("DB_IH", g["b_ih"])
    floats("DB_HH", g["b_hh"])
    floats("DX", dx)
    floats("DH0", dh0)
    if dc0 is not None:
        floats("DC0", dc0)
    print("}")


def main():
    out = []
    worst = {}

    # RNN
    p, x, h0, _, dy = draw(1, False)
    y, cache = rnn_forward(p, x, h0)
    g, dx, dh0 = rnn_backward(p, x, dy, cache)
    arrays = dict(p, x=x, h0=h0)
    grads = dict(g, x=dx, h0=dh0)
    worst["rnn"] = check("rnn", lambda: float(np.sum(dy * rnn_forward(p, x, h0)[0])), arrays, grads)
    out.append(("rnn", "nn.RNN (tanh), G = 1.", p, x, h0, None, dy, y, g, dx, dh0, None))

    # LSTM
    p, x, h0, c0, dy = draw(4, True)
    y, cache = lstm_forward(p, x, h0, c0)
    g, dx, dh0, dc0 = lstm_backward(p, x, dy, cache)
    arrays = dict(p, x=x, h0=h0, c0=c0)
    grads = dict(g, x=dx, h0=dh0, c0=dc0)
    worst["lstm"] = check("lstm", lambda: float(np.sum(dy * lstm_forward(p, x, h0, c0)[0])), arrays, grads)
    out.append(("lstm", "nn.LSTM, G = 4 (rows i, f, g, o).", p, x, h0, c0, dy, y, g, dx, dh0, dc0))

    # GRU
    p, x, h0, _, dy = draw(3, False)
    y, cache = gru_forward(p, x, h0)
    g, dx, dh0 = gru_backward(p, x, dy, cache)
    arrays = dict(p, x=x, h0=h0)
    grads = dict(g, x=dx, h0=dh0)
    worst["gru"] = check("gru", lambda: float(np.sum(dy * gru_forward(p, x, h0)[0])), arrays, grads)
    out.append(("gru", "nn.GRU, G = 3 (rows r, z, n).", p, x, h0, None, dy, y, g, dx, dh0, None))

    print("// @generated by nn-core/tests/reference/recurrent.py (numpy); do not edit.")
    print("//")
    print("// Largest |analytic − central difference| of the gradients, checked over every entry:")
    for k, v in worst.items():
        print(f"// {k}: {v:.1e}")
    print()
    print(f"pub const IN: usize = {IN};")
    print(f"pub const H: usize = {H};")
    print(f"pub const T: usize = {T};")
    print(f"pub const N: usize = {N};")
    for args in out:
        emit(*args)


main()
