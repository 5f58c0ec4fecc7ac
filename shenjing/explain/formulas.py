"""Local derivatives, one short formula per op, for the backward trace.

Keyed by Function class name; a value is a string, or a callable taking the node (before its
backward runs, so its attributes are still there) and returning one. ``g`` is the upstream
gradient dL/d(out).
"""
from __future__ import annotations

from typing import Any, Callable

_LOSS = {
    "mse": "d(mean (x-t)^2)/dx = 2(x-t)/n",
    "l1": "d(mean |x-t|)/dx = sign(x-t)/n",
    "smooth_l1": "d(smooth_l1(x-t))/dx = (x-t)/beta if |x-t|<beta else sign(x-t)",
    "huber": "d(huber(x-t))/dx = (x-t) if |x-t|<delta else delta*sign(x-t)",
}


def _pointwise(fn: Any) -> str:
    return _LOSS.get(getattr(fn, "kind", ""), "d(loss(x-t))/dx (pointwise); d/dt = -d/dx")


FORMULAS: dict[str, str | Callable[[Any], str]] = {
    # elementwise arithmetic
    "Add": "d(a+b)/da = 1, d(a+b)/db = 1 (broadcast dims summed)",
    "Sub": "d(a-b)/da = 1, d(a-b)/db = -1",
    "Mul": "d(a*b)/da = b, d(a*b)/db = a",
    "Div": "d(a/b)/da = 1/b, d(a/b)/db = -a/b^2",
    "Neg": "d(-x)/dx = -1",
    "Pow": "d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a",
    "PowScalar": lambda fn: f"d(x^p)/dx = p x^(p-1), p = {getattr(fn, 'e', 'p')}",
    "Square": "d(x^2)/dx = 2x",
    "Sqrt": "d(sqrt x)/dx = 1/(2 sqrt x)",
    "Rsqrt": "d(x^-1/2)/dx = -1/2 x^(-3/2)",
    "Reciprocal": "d(1/x)/dx = -1/x^2",
    "Exp": "d(e^x)/dx = e^x",
    "Log": "d(log x)/dx = 1/x",
    "Log1p": "d(log(1+x))/dx = 1/(1+x)",
    "Sin": "d(sin x)/dx = cos x",
    "Cos": "d(cos x)/dx = -sin x",
    "Abs": "d|x|/dx = sign(x)",
    "Clamp": "d(clamp x)/dx = 1 inside [min, max], else 0",
    "Maximum": "d(max(a,b))/da = 1[a>b] (ties split), d/db = 1[b>a]",
    "Minimum": "d(min(a,b))/da = 1[a<b] (ties split), d/db = 1[b<a]",
    "Where": "d(where(c,a,b))/da = 1[c], d/db = 1[not c]",
    "Cast": "d(cast x)/dx = 1 (cast back)",
    "Clone": "d(x)/dx = 1",
    # activations
    "Sigmoid": "d(sigmoid)/dx = s(1-s)",
    "Tanh": "d(tanh)/dx = 1 - t^2",
    "ReLU": "d(relu)/dx = 1[x>0]",
    "LeakyReLU": "d(leaky_relu)/dx = 1 if x>0 else slope",
    "ELU": "d(elu)/dx = 1 if x>0 else elu(x)+alpha",
    "GELU": "d(gelu)/dx = Phi(x) + x phi(x)",
    "SiLU": "d(x s(x))/dx = s(x)(1 + x(1-s(x)))",
    "Softplus": "d(softplus)/dx = sigmoid(beta x)",
    "LogSigmoid": "d(log sigmoid)/dx = 1 - sigmoid(x)",
    "Softsign": "d(x/(1+|x|))/dx = 1/(1+|x|)^2",
    "Hardtanh": "d(hardtanh)/dx = 1 inside [min, max], else 0",
    "Mish": "d(x tanh(softplus x))/dx = tanh(sp) + x sigmoid(x)(1 - tanh(sp)^2)",
    "Softmax": "d(softmax)/dx: dx = s * (g - sum(g*s))",
    "LogSoftmax": "d(log_softmax)/dx: dx = g - softmax(x) * sum(g)",
    # linear algebra
    "MatMul": "d(a@b)/da = g @ b^T, d(a@b)/db = a^T @ g",
    "Linear": "y = x W^T + b: dx = g W, dW = g^T x, db = sum_rows g",
    "Outer": "d(outer(a,b))/da = g @ b, d/db = g^T @ a",
    "Einsum": "d(einsum)/d(operand) = einsum of g with the other operands",
    # reductions and shapes
    "Sum": "d(sum x)/dx = 1 (g broadcast back)",
    "Mean": "d(mean x)/dx = 1/n (g broadcast back)",
    "Var": "d(var x)/dx = 2(x - mean)/(n - correction)",
    "Prod": "d(prod x)/dx_i = prod / x_i",
    "LogSumExp": "d(logsumexp)/dx = softmax(x)",
    "VectorNorm": "d||x||_p/dx = sign(x)|x|^(p-1) / ||x||^(p-1)",
    "CumSum": "d(cumsum)/dx = reversed cumsum of g",
    "Reshape": "d(reshape)/dx = g reshaped back",
    "Permute": "d(permute)/dx = g permuted back",
    "Expand": "d(expand)/dx = g summed over expanded dims",
    "Repeat": "d(repeat)/dx = g summed over the copies",
    "Cat": "d(cat)/dx_i = the slice of g for x_i",
    "Stack": "d(stack)/dx_i = g[i]",
    "Slice": "d(slice)/dx = g placed into zeros",
    "Index": "d(x[idx])/dx = g scattered (added) into zeros at idx",
    "Gather": "d(gather)/dx = g scatter-added at index",
    "IndexSelect": "d(index_select)/dx = g index-added back",
    "MaskedFill": "d(masked_fill)/dx = g where not mask",
    "ConstantPad": "d(pad)/dx = g with the padding cut off",
    "Flip": "d(flip)/dx = g flipped back",
    "Roll": "d(roll)/dx = g rolled back",
    # layers
    "ConvNd": "dx = conv_transpose(g, W), dW = correlate(x, g), db = sum g over N and space",
    "ConvTransposeNd": "dx = conv(g, W), dW = correlate(g, x), db = sum g",
    "AvgPool": "d(avg_pool)/dx = g / window size spread over each window",
    "AdaptiveAvg": "d(adaptive_avg_pool)/dx = g / bin size spread over each bin",
    "BatchNorm": "dx = (gamma/sigma)(g - mean(g) - x_hat mean(g x_hat)); dgamma = sum g x_hat",
    "LayerNorm": "dx = (1/sigma)(g' - mean(g') - x_hat mean(g' x_hat)), g' = gamma g",
    "GroupNorm": "per group as LayerNorm: dx = (1/sigma)(g' - mean g' - x_hat mean(g' x_hat))",
    "Embedding": "d(embedding)/dW = g rows scatter-added at the indices",
    "EmbeddingBag": "d(embedding_bag)/dW = g of each bag scattered to its rows",
    "MaskMul": "d(x*mask)/dx = mask (dropout: mask / (1-p))",
    "RNNLayer": "backpropagation through time over the whole sequence",
    # losses
    "PointwiseLoss": _pointwise,
    "CrossEntropy": "d(CE)/dx = (softmax(x) - onehot(t)) / n",
    "CrossEntropyProbs": "d(CE)/dx = (softmax(x) sum(p) - p) / n",
    "NLLLoss": "d(NLL)/dx = -onehot(t) / n",
    "BinaryCrossEntropy": "d(BCE)/dp = (p - t) / (p(1-p)) / n",
    "BCEWithLogits": "d(BCE with logits)/dx = (sigmoid(x) - t) / n",
    "KLDiv": "d(KL)/dx = -t / n (log-space input)",
}


def local_derivative(fn: Any) -> str:
    """A short formula for ``fn``'s local derivative (generic text for ops not in the table)."""
    name = type(fn).__name__
    f = FORMULAS.get(name)
    if f is None:
        return f"d({name.lower()})/d(inputs): see {name}.backward"
    return f(fn) if callable(f) else f
