"""Small neural networks for the lectures: logistic layers, the quadratic cost and backpropagation.

Columns are samples: an input batch has shape (n0, N); layer l has W of shape (n_l, n_{l-1}) and
b of shape (n_l, 1). The same conventions as assignment a3, so the lectures and the assignment
speak one language (the assignment's students write their own; they never import this).
"""
import numpy as np
from scipy.special import expit


def sigma(z):
    """The logistic function 1 / (1 + e^{-z}); scipy's expit is accurate and never overflows."""
    return expit(z)


def d_sigma(z):
    """σ'(z) = σ(z)(1 − σ(z)) = σ(z)σ(−z): the second form keeps its digits for large z."""
    return expit(z) * expit(-z)


class Network:
    """A fully connected network of logistic layers, e.g. Network([1, 6, 7, 2], seed=0)."""

    def __init__(self, sizes, seed=0, scale=1.0):
        rng = np.random.default_rng(seed)
        self.sizes = list(sizes)
        self.weights = [rng.normal(0.0, scale / np.sqrt(n_in), (n_out, n_in))
                        for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.biases = [rng.normal(0.0, scale, (n_out, 1)) for n_out in sizes[1:]]

    @property
    def parameters(self):
        return sum(W.size + b.size for W, b in zip(self.weights, self.biases))

    def feed_forward(self, a0):
        activations, zs = [a0], []
        for W, b in zip(self.weights, self.biases):
            zs.append(W @ activations[-1] + b)
            activations.append(sigma(zs[-1]))
        return activations, zs

    def cost(self, x, y):
        aL = self.feed_forward(x)[0][-1]
        return float(np.sum((aL - y) ** 2) / x.shape[1])

    def backpropagate(self, x, y):
        """The exact gradient of `cost`: lists (dW, db) shaped like the weights and biases."""
        activations, zs = self.feed_forward(x)
        delta = 2.0 * (activations[-1] - y) / x.shape[1] * d_sigma(zs[-1])
        dW, db = [None] * len(self.weights), [None] * len(self.biases)
        for layer in range(len(self.weights) - 1, -1, -1):
            dW[layer] = delta @ activations[layer].T
            db[layer] = delta.sum(axis=1, keepdims=True)
            if layer:
                delta = (self.weights[layer].T @ delta) * d_sigma(zs[layer - 1])
        return dW, db

    def step(self, x, y, learning_rate):
        dW, db = self.backpropagate(x, y)
        self.weights = [W - learning_rate * g for W, g in zip(self.weights, dW)]
        self.biases = [b - learning_rate * g for b, g in zip(self.biases, db)]

    def flat(self):
        return np.concatenate([p.ravel() for pair in zip(self.weights, self.biases) for p in pair])

    def set_flat(self, theta):
        """Load all parameters from one vector (the order of `flat`)."""
        at = 0
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            self.weights[i] = theta[at:at + W.size].reshape(W.shape).copy()
            at += W.size
            self.biases[i] = theta[at:at + b.size].reshape(b.shape).copy()
            at += b.size


def finite_difference_gradient(network, x, y, h=1e-6):
    """The cost's gradient by central differences, one parameter at a time: 2P cost evaluations."""
    theta = network.flat()
    grad = np.empty_like(theta)
    try:
        for i in range(theta.size):
            shifted = theta.copy()
            shifted[i] += h
            network.set_flat(shifted)
            up = network.cost(x, y)
            shifted[i] -= 2 * h
            network.set_flat(shifted)
            grad[i] = (up - network.cost(x, y)) / (2 * h)
    finally:  # an interrupted check must not leave a parameter shifted
        network.set_flat(theta)
    return grad


def flatten(dW, db):
    return np.concatenate([p.ravel() for pair in zip(dW, db) for p in pair])
