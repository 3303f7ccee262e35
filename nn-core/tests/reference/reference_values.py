# Reference values for nn-core/tests/reference_values.rs, computed with the book's numpy
# formulas ("Deep Learning from Scratch 2", common/functions.py and common/layers.py) in the
# book's layout: x is N x D (one sample per ROW) and W is IN x OUT. The layers after the
# book's (LeakyReLU, GELU, Softplus, LayerNorm, BatchNorm1d) follow PyTorch's definitions.
# nn stores the same batch as D x N (one sample per column) and W as OUT x IN (= W.T here).
# Run: python3 nn-core/tests/reference/reference_values.py   (numpy 2.4.6 was used)
import numpy as np

np.set_printoptions(precision=17, floatmode="unique")

def show(name, a):
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in r) + "]" for r in a)
    print(f"{name} = [{rows}]")

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def softmax(x):  # book: row-wise, max subtracted
    x = x - x.max(axis=1, keepdims=True)
    x = np.exp(x)
    return x / x.sum(axis=1, keepdims=True)

x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])          # N=2, IN=3
W = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])           # IN=3, OUT=2 (nn: W.T)
b = np.array([0.05, -0.1])
dout = np.array([[1.0, -2.0], [0.5, 0.25]])                    # N=2, OUT=2

print("# Affine / MatMul")
show("affine_y", x @ W + b)
show("matmul_y", x @ W)
show("dx", dout @ W.T)
show("dW_book", x.T @ dout)           # IN x OUT; nn's dw is its transpose
show("db", dout.sum(axis=0))

print("# Sigmoid, Tanh, Relu on a (N=2, D=3) batch")
a = np.array([[0.5, -1.0, 2.0], [-3.0, 0.0, 0.75]])
g = np.array([[1.0, -0.5, 0.25], [2.0, 1.5, -1.0]])
y = sigmoid(a)
show("sigmoid_y", y)
show("sigmoid_dx", g * (1.0 - y) * y)
y = np.tanh(a)
show("tanh_y", y)
show("tanh_dx", g * (1.0 - y ** 2))
mask = a <= 0
y = a.copy(); y[mask] = 0
show("relu_y", y)
d = g.copy(); d[mask] = 0
show("relu_dx", d)

print("# Softmax layer (book's Softmax.backward)")
y = softmax(a)
show("softmax_y", y)
sumdx = (y * g).sum(axis=1, keepdims=True)
show("softmax_dx", y * g - y * sumdx)

print("# SoftmaxWithLoss, labels [2, 0]")
s = np.array([[0.3, -1.2, 2.0], [1.0, 0.5, -0.5]])
t = np.array([2, 0])
y = softmax(s)
n = s.shape[0]
print("swl_loss_exact =", repr(float(-np.sum(np.log(y[np.arange(n), t])) / n)))
print("swl_loss_book_guard =", repr(float(-np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n)))
dx = y.copy(); dx[np.arange(n), t] -= 1
show("swl_dx", dx / n)

print("# SigmoidWithLoss, D=1, labels [1, 0, 1]")
s1 = np.array([[0.8], [-0.4], [-2.0]])
t1 = np.array([[1.0], [0.0], [1.0]])
y = sigmoid(s1)
print("sigl_loss =", repr(float(-np.sum(t1 * np.log(y) + (1 - t1) * np.log(1 - y)) / 3)))
show("sigl_dx", (y - t1) / 3)

print("# MeanSquaredError, (N=2, D=3)")
tm = np.array([[0.0, 1.0, -1.0], [2.0, 0.5, 0.5]])
print("mse_loss =", repr(float(np.mean((a - tm) ** 2))))
show("mse_dx", 2 * (a - tm) / a.size)

print("# One SGD step (lr = 0.5) of Affine(2->3) -> Sigmoid -> Affine(3->2) -> SoftmaxWithLoss")
X = np.array([[1.0, -0.5], [0.2, 0.8], [-1.5, 0.3]])           # N=3
T = np.array([0, 1, 1])
W1 = np.array([[0.2, -0.4, 0.1], [0.5, 0.3, -0.2]]); b1 = np.array([0.1, 0.0, -0.1])
W2 = np.array([[0.3, -0.1], [-0.6, 0.4], [0.2, 0.7]]); b2 = np.array([0.0, 0.05])
h = X @ W1 + b1; z = sigmoid(h); sc = z @ W2 + b2; y = softmax(sc)
N = X.shape[0]
print("net_loss =", repr(float(-np.sum(np.log(y[np.arange(N), T])) / N)))
ds = y.copy(); ds[np.arange(N), T] -= 1; ds /= N
dW2 = z.T @ ds; db2 = ds.sum(axis=0); dz = ds @ W2.T
dh = dz * (1 - z) * z
dW1 = X.T @ dh; db1 = dh.sum(axis=0)
lr = 0.5
show("net_W1_after_book", W1 - lr * dW1)
show("net_b1_after", b1 - lr * db1)
show("net_W2_after_book", W2 - lr * dW2)
show("net_b2_after", b2 - lr * db2)

# --- The layers that are not in the book (PyTorch's definitions), same layout: N x D. ---
import math

erf = np.vectorize(math.erf)

print("# LeakyReLU(negative_slope=0.1) on a, gradient g (PyTorch: slope alpha where x <= 0)")
alpha = 0.1
show("leaky_y", np.where(a > 0, a, alpha * a))
show("leaky_dx", np.where(a > 0, g, alpha * g))

print("# GELU exact: y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), dy/dx = Phi(x) + x phi(x)")
Phi = 0.5 * (1 + erf(a / math.sqrt(2)))
phi = np.exp(-a ** 2 / 2) / math.sqrt(2 * math.pi)
show("gelu_y", a * Phi)
show("gelu_dx", g * (Phi + a * phi))

print("# GELU tanh: y = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)")
k = math.sqrt(2 / math.pi)
u = k * (a + 0.044715 * a ** 3)
t = np.tanh(u)
show("gelu_tanh_y", 0.5 * a * (1 + t))
show("gelu_tanh_dx", g * (0.5 * (1 + t) + 0.5 * a * (1 - t ** 2) * k * (1 + 3 * 0.044715 * a ** 2)))

print("# Softplus (beta 1, threshold 20) on sp, gradient gs: y = log1p(exp(x)), x above 20")
sp = np.array([[0.5, -1.0, 2.0], [25.0, -30.0, 19.5]])
gs = np.array([[1.0, -0.5, 0.25], [2.0, 1.5, -1.0]])
show("softplus_y", np.where(sp > 20, sp, np.log1p(np.exp(np.minimum(sp, 20)))))
show("softplus_dx", gs * np.where(sp > 20, 1.0, 1 / (1 + np.exp(-sp))))

def normalize_jacobian(xh, inv):
    # d xhat_i / d x_j for one group of m values normalised together (biased variance):
    # inv * (delta_ij - 1/m - xhat_i xhat_j / m). Written as a matrix, not the closed form.
    m = xh.shape[0]
    return inv * (np.eye(m) - 1.0 / m - np.outer(xh, xh) / m)

print("# LayerNorm(3, eps=1e-5) per sample (row) of a, weight gl, bias bl, gradient g")
eps = 1e-5
gl = np.array([1.5, -0.5, 2.0]); bl = np.array([0.1, 0.2, -0.3])
y = np.zeros_like(a); dx = np.zeros_like(a)
for n in range(a.shape[0]):
    mu = a[n].mean(); var = ((a[n] - mu) ** 2).mean(); inv = 1 / math.sqrt(var + eps)
    xh = (a[n] - mu) * inv
    y[n] = gl * xh + bl
    dx[n] = normalize_jacobian(xh, inv).T @ (gl * g[n])
xh_all = (a - a.mean(axis=1, keepdims=True)) / np.sqrt(a.var(axis=1, keepdims=True) + eps)
show("ln_y", y)
show("ln_dx", dx)
show("ln_dweight", (g * xh_all).sum(axis=0))
show("ln_dbias", g.sum(axis=0))

print("# BatchNorm1d(3, eps=1e-5, momentum=0.1): three training batches (N=4), then eval")
mom = 0.1
bx = [np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 0.5, 1.0], [0.0, 3.0, -1.5]]),
      np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 0.5], [2.5, -1.5, 1.0], [0.5, 0.0, -2.0]]),
      np.array([[-0.5, 1.0, 3.0], [0.25, -2.0, 1.0], [1.75, 0.5, -1.0], [-1.0, 1.5, 0.5]])]
gb = np.array([1.25, 0.5, -1.0]); bb = np.array([0.0, -0.25, 0.5])
bd = np.array([[1.0, -0.5, 0.25], [2.0, 1.5, -1.0], [-0.75, 0.5, 1.0], [0.5, -1.0, -0.25]])
rm = np.zeros(3); rv = np.ones(3)
for i, xb in enumerate(bx):
    N = xb.shape[0]
    mu = xb.mean(axis=0); var = xb.var(axis=0); inv = 1 / np.sqrt(var + eps)
    xh = (xb - mu) * inv
    if i == 0:
        show("bn_train_y", gb * xh + bb)
        dx = np.zeros_like(xb)
        for d in range(3):
            dx[:, d] = normalize_jacobian(xh[:, d], inv[d]).T @ (gb[d] * bd[:, d])
        show("bn_train_dx", dx)
        show("bn_train_dweight", (bd * xh).sum(axis=0))
        show("bn_train_dbias", bd.sum(axis=0))
    rm = (1 - mom) * rm + mom * mu
    rv = (1 - mom) * rv + mom * xb.var(axis=0, ddof=1)
show("bn_running_mean", rm)
show("bn_running_var", rv)
xe = np.array([[0.3, -0.7, 1.2], [-1.1, 0.9, 0.0]])
de = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 0.25]])
xh = (xe - rm) / np.sqrt(rv + eps)
show("bn_eval_y", gb * xh + bb)
show("bn_eval_dx", de * gb / np.sqrt(rv + eps))
show("bn_eval_dweight", (de * xh).sum(axis=0))
show("bn_eval_dbias", de.sum(axis=0))
