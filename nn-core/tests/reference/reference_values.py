# Reference values for nn-core/tests/reference_values.rs, computed with the book's numpy
# formulas ("Deep Learning from Scratch 2", common/functions.py and common/layers.py) in the
# book's layout: x is N x D (one sample per ROW) and W is IN x OUT.
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
