"""Text models: a recurrent sequence classifier and a character-level language model.

    model = TextClassifier(len(vocab), 2, cell="lstm", padding_idx=vocab.pad_index)
    logits = model(ids, lengths)          # ids (N, T) int64, lengths (N,): packed, no padding
                                          # reaches the final state
    lm = CharLM.from_text(text)
    lm.train_text(text, epochs=20)
    print(lm.sample("Once", 200, temperature=0.8, seed=0))

Both follow PyTorch's module layout (``embedding``, ``rnn``, ``fc``), so a PyTorch twin built
from nn.Embedding, nn.LSTM/GRU/RNN and nn.Linear loads the same ``state_dict``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..backend.random import Generator, default_generator
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from ..nn.utils.rnn import pack_padded_sequence

__all__ = ["TextClassifier", "CharLM", "text_classifier", "char_lm"]
BUILDERS: dict = {}  # not image classifiers: get_model's CLI cannot feed them

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def _recurrent(owner: str, cell: str, input_size: int, hidden_size: int, num_layers: int,
               bidirectional: bool, dropout: float, batch_first: bool) -> nn.Module:
    if cell not in _CELLS:
        raise ValueError(f"{owner}: cell must be one of 'lstm', 'gru', 'rnn', got {cell!r}")
    if not 0 <= dropout <= 1:
        raise ValueError(f"{owner}: dropout must be in [0, 1], got {dropout}")
    return _CELLS[cell](input_size, hidden_size, num_layers, batch_first=batch_first,
                        dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)


def _add_gate_bias(rnn: nn.Module, cell: str, value: float) -> None:
    """b_ih[H:2H] += value in every layer and direction: the forget gate (LSTM gates i, f, g, o)
    or the update gate z (GRU gates r, z, n), whose sigmoid then starts near 1 (keep the state)."""
    if not value or cell == "rnn":
        return
    h = rnn.hidden_size
    with no_grad():
        for name, p in rnn.named_parameters():
            if name.startswith("bias_ih"):
                p._data[h:2 * h] += value


def _long(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(np.asarray(x, dtype=np.int64), None, False)


class TextClassifier(nn.Module):
    """Embedding -> RNN/LSTM/GRU -> Linear on the last layer's final hidden state.

    With ``bidirectional`` the forward and backward final states are concatenated (forward
    first, as in h_n's order). Given ``lengths``, the embedded batch is packed, so each
    sequence's final state is taken at its own last token and padding never enters it.

    Args:
        vocab_size: rows of the embedding table.
        num_classes: outputs of the final Linear (logits).
        embed_dim, hidden_size, num_layers, bidirectional: the recurrent stack's shape.
        cell: 'lstm', 'gru' or 'rnn' (tanh).
        dropout: between recurrent layers and before the Linear.
        padding_idx: the embedding row for padding (zero, never trained).
        batch_first: input (N, T) if True, else (T, N).
        forget_bias: added at init to the input bias of the LSTM forget gate (GRU update gate),
            so the state is kept by default and gradients survive long sequences (Keras's
            ``unit_forget_bias`` adds 1; 2-3 helps memory over ~100 steps). 0 keeps PyTorch's
            plain init.

    Shape:
        - input: (N, T) int64 token ids; lengths: (N,) ints in [1, T] or None.
        - output: (N, num_classes) logits.
    """

    def __init__(self, vocab_size: int, num_classes: int = 2, embed_dim: int = 64,
                 hidden_size: int = 64, cell: str = "lstm", num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0,
                 padding_idx: int | None = None, batch_first: bool = True,
                 forget_bias: float = 1.0) -> None:
        super().__init__()
        self.cell, self.batch_first = cell, batch_first
        self.num_directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = _recurrent("TextClassifier", cell, embed_dim, hidden_size, num_layers,
                              bidirectional, dropout, batch_first)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * self.num_directions, num_classes)
        _add_gate_bias(self.rnn, cell, forget_bias)

    def features(self, input: Tensor, lengths: Any = None) -> Tensor:
        """(N, D * hidden_size): the last layer's final hidden state(s)."""
        input = _long(input)
        if input.ndim != 2:
            want = "(N, T)" if self.batch_first else "(T, N)"
            raise ValueError(f"TextClassifier: expected token ids of shape {want} as a 2-D "
                             f"int64 tensor, got shape {tuple(input.shape)}")
        x = self.embedding(input)
        if lengths is not None:
            x = pack_padded_sequence(x, _long(lengths), batch_first=self.batch_first,
                                     enforce_sorted=False)
        _, h = self.rnn(x)
        if self.cell == "lstm":
            h = h[0]
        # h: (num_layers * D, N, H); the last layer's directions are its final D rows
        if self.num_directions == 2:
            return h[-2:].permute(1, 0, 2).reshape(h.shape[1], 2 * h.shape[2])
        return h[-1]

    def forward(self, input: Tensor, lengths: Any = None) -> Tensor:
        return self.fc(self.dropout(self.features(input, lengths)))


class CharLM(nn.Module):
    """Character-level language model: Embedding -> LSTM/GRU -> Linear over the alphabet.

    ``chars`` is the alphabet (a string or sequence of distinct characters; ``from_text`` takes
    the sorted characters of a text) or an int vocabulary size, in which case ``sample`` and
    ``train_text`` work on id lists instead of strings.
    ``forget_bias`` is added to the LSTM forget (GRU update) gate's bias at init, as in
    :class:`TextClassifier`.

    Shape:
        - input: (N, T) int64 ids; state: the recurrent layer's (h, c) or h, or None.
        - output: ((N, T, V) logits, the new state).
    """

    def __init__(self, chars: str | Sequence[str] | int, embed_dim: int = 32,
                 hidden_size: int = 128, num_layers: int = 1, cell: str = "lstm",
                 dropout: float = 0.0, forget_bias: float = 1.0) -> None:
        super().__init__()
        if isinstance(chars, int):
            self.chars, size = None, chars
        else:
            self.chars = list(chars)
            size = len(self.chars)
            if len(set(self.chars)) != size:
                raise ValueError("CharLM: the characters of the alphabet must be distinct")
        if size < 1:
            raise ValueError(f"CharLM: the vocabulary needs at least one symbol, got {size}")
        self.vocab_size, self.cell = size, cell
        self._index = {c: i for i, c in enumerate(self.chars or ())}
        self.embedding = nn.Embedding(size, embed_dim)
        self.rnn = _recurrent("CharLM", cell, embed_dim, hidden_size, num_layers, False,
                              dropout, True)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size, size)
        _add_gate_bias(self.rnn, cell, forget_bias)

    @classmethod
    def from_text(cls, text: str, **kwargs: Any) -> "CharLM":
        """A CharLM whose alphabet is the sorted set of ``text``'s characters."""
        return cls("".join(sorted(set(text))), **kwargs)

    def forward(self, input: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        out, state = self.rnn(self.embedding(_long(input)), state)
        return self.fc(self.dropout(out)), state

    # ------------------------------------------------------------------ text <-> ids
    def encode(self, text: str | Sequence[int]) -> np.ndarray:
        """int64 ids of ``text`` (ids pass through, checked against the vocabulary)."""
        if self.chars is None or not isinstance(text, str):
            ids = np.asarray(list(text), dtype=np.int64)
            bad = ids[(ids < 0) | (ids >= self.vocab_size)]
            if bad.size:
                raise ValueError(f"CharLM: id {int(bad[0])} is outside the vocabulary of "
                                 f"{self.vocab_size}")
            return ids
        try:
            return np.fromiter((self._index[c] for c in text), np.int64, len(text))
        except KeyError as e:
            raise ValueError(f"CharLM: character {e.args[0]!r} is not in the model's alphabet "
                             f"({''.join(self.chars)!r})") from None

    def decode(self, ids: Sequence[int]) -> str | list[int]:
        """The characters of ``ids`` (the ids themselves when there is no alphabet)."""
        ids = [int(i) for i in ids]
        return ids if self.chars is None else "".join(self.chars[i] for i in ids)

    # ------------------------------------------------------------------ generation
    def sample(self, prefix: str | Sequence[int], length: int = 100, temperature: float = 1.0,
               top_k: int | None = None, generator: Any = None,
               seed: int | None = None) -> str | list[int]:
        """``prefix`` followed by ``length`` sampled symbols.

        The prefix is read once; each new symbol is fed back as a one-step call carrying the
        recurrent state. Symbols are drawn from softmax(logits / temperature), restricted to
        the ``top_k`` most likely; temperature <= 0 picks the most likely (greedy). Randomness
        comes from ``seed``, else ``generator`` (a shenjing.Generator or numpy Generator),
        else shenjing's default generator (``shenjing.manual_seed``).
        """
        ids = list(self.encode(prefix))
        if not ids:
            raise ValueError("CharLM.sample: prefix must hold at least one symbol")
        if length < 0:
            raise ValueError(f"CharLM.sample: length must be >= 0, got {length}")
        if top_k is not None and not 1 <= top_k <= self.vocab_size:
            raise ValueError(f"CharLM.sample: top_k must be in [1, {self.vocab_size}], got "
                             f"{top_k}")
        rng = _rng(generator, seed)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                logits, state = self(_long([ids]))
                for _ in range(length):
                    nxt = _pick(logits._data[0, -1].astype(np.float64), temperature, top_k, rng)
                    ids.append(nxt)
                    logits, state = self(_long([[nxt]]), state)
        finally:
            self.train(was_training)
        return self.decode(ids)

    # ------------------------------------------------------------------ training
    def train_text(self, text: str | Sequence[int], epochs: int = 10, seq_len: int = 64,
                   batch_size: int = 32, lr: float = 3e-3, clip: float | None = 5.0,
                   stride: int | None = None, seed: int = 0,
                   verbose: bool = False) -> list[float]:
        """Teacher-forced next-symbol training with Adam; returns the mean loss per epoch.

        Each epoch cuts ``text`` into windows of ``seq_len`` + 1 symbols every ``stride``
        (default ``seq_len``) from a random offset, shuffles them and takes Adam steps on
        cross-entropy(logits[t], x[t + 1]) with gradient norm clipping at ``clip``.
        """
        ids = self.encode(text)
        if ids.size < 2:
            raise ValueError("CharLM.train_text: the text needs at least 2 symbols")
        seq_len = max(1, min(seq_len, ids.size - 1))
        stride = stride or seq_len
        rng = np.random.default_rng(seed)
        opt = optim.Adam(self.parameters(), lr=lr)
        self.train()
        losses = []
        last = ids.size - seq_len - 1  # the last valid window start
        for epoch in range(epochs):
            starts = np.arange(int(rng.integers(0, min(stride, last + 1))), last + 1, stride)
            rng.shuffle(starts)
            total, count = 0.0, 0
            for b in range(0, starts.size, batch_size):
                win = ids[starts[b:b + batch_size, None] + np.arange(seq_len + 1)]
                logits, _ = self(_long(win[:, :-1]))
                loss = F.cross_entropy(logits.reshape(-1, self.vocab_size),
                                       _long(win[:, 1:].reshape(-1)))
                opt.zero_grad()
                loss.backward()
                if clip:
                    clip_grad_norm_(self.parameters(), clip)
                opt.step()
                total += float(loss.item()) * win.shape[0]
                count += win.shape[0]
            losses.append(total / count)
            if verbose:
                print(f"epoch {epoch + 1}/{epochs}: loss {losses[-1]:.4f}")
        self.eval()
        return losses


def _rng(generator: Any, seed: int | None) -> np.random.Generator:
    if seed is not None:
        return np.random.default_rng(seed)
    if generator is None:
        return default_generator.rng
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"CharLM.sample: generator must be a shenjing.Generator or a numpy "
                    f"Generator, got {type(generator).__name__}")


def _pick(logits: np.ndarray, temperature: float, top_k: int | None,
          rng: np.random.Generator) -> int:
    """One draw from softmax(logits / T) over the top_k entries (argmax when T <= 0)."""
    if temperature is None or temperature <= 0:
        return int(np.argmax(logits))
    z = logits / temperature
    if top_k is not None and top_k < z.size:
        kth = np.partition(z, -top_k)[-top_k]
        z = np.where(z >= kth, z, -np.inf)
    p = np.exp(z - z.max())
    p /= p.sum()
    return int(rng.choice(z.size, p=p))


def text_classifier(vocab_size: int, num_classes: int = 2, **kwargs: Any) -> TextClassifier:
    """A :class:`TextClassifier` (LSTM by default); kwargs go to its constructor."""
    return TextClassifier(vocab_size, num_classes, **kwargs)


def char_lm(chars: str | Sequence[str] | int, **kwargs: Any) -> CharLM:
    """A :class:`CharLM` over the alphabet ``chars``; kwargs go to its constructor."""
    return CharLM(chars, **kwargs)
